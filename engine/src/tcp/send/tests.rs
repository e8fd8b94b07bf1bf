//! The sender on its own, built in a given state and driven ACK by ACK (smoltcp's
//! `socket_established()` style): what it sends, which state it is in, what its window does.
//! The scenario suite (`tests/tcp_loss.rs`) covers the same behaviour through whole packets.

use std::time::{Duration, Instant};

use super::recovery::CaState;
use super::{AckIn, AckResult, Sender, SenderConfig, TxKind};
use crate::config::CongestionControl;

const MSS: u64 = 1000;
const ISN: u32 = u32::MAX - 5_000;

fn t0() -> Instant {
    #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
    Instant::now()
}

fn config(cc: CongestionControl) -> SenderConfig {
    SenderConfig {
        rto_min: Duration::from_millis(200),
        rto_max: Duration::from_secs(60),
        max_retransmits: 8,
        congestion_control: cc,
    }
}

/// A sender past its handshake (RTT 10 ms measured), SACK on, a 1 MiB window, holding
/// `bytes` of data. The ISN sits just below 2^32 so sequence numbers wrap during the tests.
struct Fixture {
    tx: Sender,
    now: Instant,
    seq: u64,
}

impl Fixture {
    fn new(bytes: usize, sack: bool) -> Fixture {
        Fixture::with_cc(bytes, sack, CongestionControl::Cubic)
    }

    fn with_cc(bytes: usize, sack: bool, cc: CongestionControl) -> Fixture {
        let now = t0();
        let mut tx = Sender::new(ISN, MSS, MSS, config(cc));
        tx.learn_handshake(MSS, MSS, sack, 1 << 20);
        tx.on_established(now, Some(Duration::from_millis(10)), 1 << 20);
        tx.push_data(&vec![7u8; bytes]);
        Fixture { tx, now, seq: 0 }
    }

    /// Everything the sender would send now: (offset, len, kind).
    fn send(&mut self) -> Vec<(u64, u64, TxKind)> {
        let mut out = Vec::new();
        while let Some(t) = self.tx.poll_transmit(self.now) {
            out.push((t.offset, t.len, t.kind));
            self.tx.on_transmit(self.now, &t);
            self.tx.scoreboard().check();
        }
        out
    }

    fn wait(&mut self, d: Duration) {
        self.now += d;
    }

    /// An ACK of offset `ack` with SACK blocks (offsets), window 1 MiB.
    fn ack(&mut self, ack: u64, sack: &[(u64, u64)]) -> AckResult {
        self.ack_window(ack, sack, 1 << 20)
    }

    fn ack_window(&mut self, ack: u64, sack: &[(u64, u64)], window: u64) -> AckResult {
        let mut blocks = [None; 4];
        for (slot, &(s, e)) in blocks.iter_mut().zip(sack) {
            *slot = Some((self.tx.wire(s), self.tx.wire(e)));
        }
        let a = AckIn {
            ack: self.tx.wire(ack),
            window,
            seq: self.seq,
            pure: true,
            sack: &blocks,
        };
        let r = self.tx.on_ack(self.now, &a);
        self.tx.scoreboard().check();
        r
    }

    fn fire(&mut self) -> Vec<(u64, u64, TxKind)> {
        let at = self.tx.deadline().expect("a timer is armed");
        self.now = self.now.max(at);
        self.tx.on_timeout(self.now);
        self.send()
    }
}

fn offsets(sent: &[(u64, u64, TxKind)]) -> Vec<u64> {
    sent.iter().map(|s| s.0).collect()
}

#[test]
fn the_initial_window_is_ten_segments() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    let sent = f.send();
    assert_eq!(sent.len(), 10);
    assert!(sent.iter().all(|s| s.1 == MSS && s.2 == TxKind::New));
    assert_eq!(f.tx.state(), CaState::Open);
}

#[test]
fn slow_start_grows_by_what_is_acknowledged() {
    let mut f = Fixture::new(100 * MSS as usize, true);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(5 * MSS, &[]);
    f.ack(10 * MSS, &[]);
    assert_eq!(f.tx.window().cwnd, 20 * MSS);
    assert_eq!(f.send().len(), 20);
}

#[test]
fn sacks_beyond_a_hole_start_fast_recovery_with_prr() {
    let mut f = Fixture::new(100 * MSS as usize, true);
    f.send();
    f.wait(Duration::from_millis(10));
    // Segment 0 lost, 1..4 SACKed one by one.
    for n in 1..=3u64 {
        f.ack(0, &[(MSS, (n + 1) * MSS)]);
    }
    assert!(matches!(f.tx.state(), CaState::Recovery { high } if high == 10 * MSS));
    let w = f.tx.window();
    assert_eq!(
        w.ssthresh,
        7 * MSS,
        "CUBIC's beta 0.7 of the 10-segment window"
    );
    let sent = f.send();
    assert_eq!(
        sent[0],
        (0, MSS, TxKind::Retransmit),
        "the hole first: {sent:?}"
    );
    // PRR: three segments were delivered; about 0.7 of each may be sent, the first
    // retransmission always.
    assert!(sent.len() <= 3, "{sent:?}");
}

#[test]
fn recovery_ends_on_ssthresh_when_the_episode_is_acknowledged() {
    let mut f = Fixture::new(100 * MSS as usize, true);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(0, &[(MSS, 4 * MSS)]);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(10 * MSS, &[]);
    assert_eq!(f.tx.state(), CaState::Open);
    // At ssthresh (then congestion avoidance may add a little for the same ACK).
    let cwnd = f.tx.window().cwnd;
    assert!((7 * MSS..8 * MSS).contains(&cwnd), "{cwnd}");
    assert_eq!(f.tx.stats.fast_recoveries, 1);
    assert_eq!(f.tx.stats.undos, 0);
}

#[test]
fn a_dsack_of_the_only_retransmission_undoes_the_episode() {
    let mut f = Fixture::new(100 * MSS as usize, true);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(0, &[(MSS, 4 * MSS)]);
    f.send();
    // Segment 0 was only late: its original arrives, then the retransmission, which the
    // host reports as a duplicate (DSACK below the cumulative ACK).
    f.ack(4 * MSS, &[(0, MSS)]);
    assert_eq!(f.tx.stats.spurious_retransmits, 1);
    f.ack(10 * MSS, &[]);
    assert_eq!(f.tx.stats.undos, 1);
    assert!(
        f.tx.window().cwnd >= 10 * MSS,
        "the window before the episode is back"
    );
}

#[test]
fn a_retransmission_lost_again_is_resent_after_one_rtt_not_an_rto() {
    let mut f = Fixture::new(100 * MSS as usize, true);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(0, &[(MSS, 4 * MSS)]);
    let first = f.send();
    assert_eq!(first[0], (0, MSS, TxKind::Retransmit));
    // More SACKs for segments sent before the retransmission: nothing to judge it by, but
    // room for new data, sent after the retransmission.
    f.wait(Duration::from_millis(1));
    f.ack(0, &[(MSS, 10 * MSS)]);
    let new = f.send();
    assert!(
        new.iter().all(|s| s.0 != 0 && s.2 == TxKind::New),
        "{new:?}"
    );
    let after = new.first().expect("new data went out").0;
    // That new data is SACKed an RTT later: the retransmission before it is overdue.
    f.wait(Duration::from_millis(10));
    f.ack(0, &[(after, after + MSS), (MSS, 10 * MSS)]);
    let again = f.send();
    assert_eq!(
        again.first().map(|s| (s.0, s.2)),
        Some((0, TxKind::Retransmit))
    );
    assert_eq!(f.tx.stats.rtos, 0);
}

#[test]
fn the_tail_loss_probe_resends_the_last_segment_two_rtts_after_it() {
    let mut f = Fixture::new(5 * MSS as usize, true);
    f.send();
    let sent_at = f.now;
    let probe = f.fire();
    assert_eq!(probe, vec![(4 * MSS, MSS, TxKind::Probe)]);
    let waited = f.now - sent_at;
    // PTO = 2 SRTT + 200 us of slack (more than one segment in flight).
    assert_eq!(waited, Duration::from_micros(20_200));
    assert_eq!(f.tx.stats.tail_loss_probes, 1);
}

#[test]
fn a_probe_that_repaired_a_loss_reduces_the_window_once() {
    let mut f = Fixture::new(5 * MSS as usize, true);
    f.send();
    f.fire();
    let cwnd = f.tx.window().cwnd;
    // The probe's ACK covers everything but says nothing of a duplicate: the last segment
    // had been lost and the probe repaired it. Settled on the next ACK beyond it.
    f.ack(5 * MSS, &[]);
    f.tx.push_data(&[1u8; 3000]);
    f.send();
    f.ack(6 * MSS, &[]);
    assert_eq!(f.tx.stats.tlp_recoveries, 1);
    assert!(f.tx.window().cwnd < cwnd);
}

#[test]
fn unanswered_probes_back_off_then_the_timeout_collapses_the_window() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    f.send();
    // Probes two RTTs apart, doubling, until the RTO (200 ms after the first) comes.
    let mut gaps = Vec::new();
    let mut last = f.now;
    let rto = loop {
        assert!(gaps.len() < 20, "the timeout never came: {gaps:?}");
        let sent = f.fire();
        gaps.push(f.now - last);
        last = f.now;
        if f.tx.stats.rtos > 0 {
            break sent;
        }
        assert!(sent.iter().all(|s| s.2 == TxKind::Probe), "{sent:?}");
    };
    let ms = |n: u64| Duration::from_micros(n);
    assert_eq!(
        gaps[..4],
        [ms(20_200), ms(40_400), ms(80_800), ms(78_800)],
        "two RTTs and slack, doubling, then the RTO, 200 ms after the first probe"
    );
    assert_eq!(
        rto,
        vec![(0, MSS, TxKind::Retransmit)],
        "one segment: the window is 1 MSS"
    );
    assert!(matches!(f.tx.state(), CaState::Loss { .. }));
    assert_eq!(f.tx.stats.rtos, 1);
    let t1 = f.now;
    f.fire();
    assert_eq!(f.now - t1, Duration::from_millis(400), "doubled");
    // The host answers: slow start resends the rest in order, never going back.
    f.ack(MSS, &[]);
    let next = f.send();
    assert_eq!(offsets(&next), vec![MSS, 2 * MSS]);
}

#[test]
fn without_sack_three_duplicates_and_newreno_partial_acks() {
    let mut f = Fixture::new(50 * MSS as usize, false);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(0, &[]);
    f.ack(0, &[]);
    assert!(
        f.send().iter().all(|s| s.2 == TxKind::New),
        "limited transmit only"
    );
    f.ack(0, &[]);
    let fr = f.send();
    assert_eq!(
        fr.first().map(|s| (s.0, s.2)),
        Some((0, TxKind::Retransmit))
    );
    // A partial ACK: the next hole goes at once.
    f.ack(3 * MSS, &[]);
    let partial = f.send();
    assert_eq!(
        partial.first().map(|s| (s.0, s.2)),
        Some((3 * MSS, TxKind::Retransmit))
    );
}

#[test]
fn acks_for_window_probes_are_not_duplicates() {
    let mut f = Fixture::new(50 * MSS as usize, false);
    f.send();
    f.ack_window(10 * MSS, &[], 0);
    assert!(f.send().is_empty());
    for _ in 0..4 {
        let probe = f.fire();
        assert_eq!(probe.len(), 1, "{probe:?}");
        assert_eq!(probe[0].1, 1);
        for _ in 0..5 {
            f.ack_window(10 * MSS, &[], 0);
        }
    }
    assert_eq!(f.tx.stats.fast_recoveries, 0);
    assert_eq!(f.tx.stats.rtos, 0);
    assert_eq!(f.tx.state(), CaState::Open);
}

#[test]
fn an_older_segment_never_updates_the_window() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    f.send();
    f.seq = 500;
    f.ack_window(2 * MSS, &[], 1 << 20);
    // A segment sent earlier by the host (lower sequence) arrives late, with window 0.
    f.seq = 100;
    f.ack_window(2 * MSS, &[], 0);
    assert!(!f.send().is_empty(), "the newer window stands");
}

#[test]
fn acks_beyond_what_was_sent_are_refused() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    f.send();
    assert_eq!(f.ack(11 * MSS, &[]), AckResult::Unacceptable);
    assert_eq!(
        f.ack(10 * MSS, &[]),
        AckResult::Processed {
            data_acked: 10 * MSS
        }
    );
}

#[test]
fn sack_blocks_outside_what_was_sent_are_ignored() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    f.send();
    f.ack(0, &[(20 * MSS, 30 * MSS), (0, 1 << 40)]);
    assert_eq!(f.tx.scoreboard().sacked_bytes(), 0);
    assert_eq!(f.tx.state(), CaState::Open);
}

#[test]
fn a_smaller_path_mtu_resends_the_oversized_segments_cut_to_size() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    f.send();
    f.tx.on_mtu_reduced(600, 600);
    let sent = f.send();
    assert_eq!(sent[0], (0, 600, TxKind::Retransmit));
    assert_eq!(sent[1], (600, 400, TxKind::Retransmit));
    assert!(sent.iter().all(|s| s.1 <= 600));
    assert_eq!(
        f.tx.window().cwnd,
        10 * MSS,
        "not congestion: the window stays"
    );
}

#[test]
fn a_failed_write_is_resent_soon_without_waiting_for_the_rto() {
    let mut f = Fixture::new(50 * MSS as usize, true);
    f.send();
    f.tx.on_transmit_failed(f.now, 5 * MSS, 10 * MSS);
    let t = f.now;
    let again = f.fire();
    assert!(f.now - t <= Duration::from_millis(1));
    assert_eq!(
        offsets(&again)[..5],
        [5 * MSS, 6 * MSS, 7 * MSS, 8 * MSS, 9 * MSS]
    );
}

#[test]
fn newreno_halves_the_window() {
    let mut f = Fixture::with_cc(100 * MSS as usize, true, CongestionControl::NewReno);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(0, &[(MSS, 4 * MSS)]);
    assert_eq!(f.tx.window().ssthresh, 5 * MSS);
}

#[test]
fn the_fin_is_sent_after_the_data_and_probed_when_lost() {
    let mut f = Fixture::new(2 * MSS as usize, true);
    f.tx.push_fin();
    let sent = f.send();
    assert_eq!(sent.last(), Some(&(2 * MSS, 0, TxKind::New)));
    f.ack(2 * MSS, &[]);
    let probe = f.fire();
    assert_eq!(probe, vec![(2 * MSS, 0, TxKind::Probe)]);
    f.ack(2 * MSS + 1, &[]);
    assert!(f.tx.fin_acked());
}

#[test]
fn with_nothing_new_to_send_a_probe_resends_the_last_hole_not_a_sacked_tail() {
    // The whole buffer is in flight; segment 0 is lost, the rest arrives; its retransmission
    // is lost too. Nothing sent after it can be SACKed (there is nothing new), so only a
    // probe reveals it: resending segment 9, which the host holds, would only draw a DSACK.
    let mut f = Fixture::new(10 * MSS as usize, true);
    f.send();
    f.wait(Duration::from_millis(10));
    f.ack(0, &[(MSS, 10 * MSS)]);
    assert_eq!(f.send(), vec![(0, MSS, TxKind::Retransmit)]);
    let probe = f.fire();
    assert_eq!(probe, vec![(0, MSS, TxKind::Probe)]);
    // Answered only with a DSACK of a copy that was seen twice: no progress, so the
    // probes back off and the RTO still comes.
    f.ack(0, &[(9 * MSS, 10 * MSS), (MSS, 10 * MSS)]);
    for _ in 0..20 {
        f.fire();
        if f.tx.stats.rtos > 0 {
            break;
        }
    }
    assert_eq!(
        f.tx.stats.rtos, 1,
        "probes that draw nothing new end in the RTO"
    );
}

#[test]
fn an_idle_sender_gives_back_its_buffers() {
    // A browser keeps a connection open for minutes after a download: the send buffer and
    // the scoreboard of that download must not stay allocated with it.
    let total = 512 * MSS;
    let mut f = Fixture::new(total as usize, true);
    let mut acked = 0;
    let mut peak = 0;
    while acked < total {
        let sent = f.send();
        peak = peak.max(f.tx.heap_bytes());
        let end = sent
            .iter()
            .map(|s| s.0 + s.1)
            .max()
            .expect("the window allows more");
        f.wait(Duration::from_millis(10));
        f.ack(end, &[]);
        acked = end;
    }
    assert!(
        peak >= total as usize,
        "the buffer held the download ({peak})"
    );
    assert!(
        f.tx.heap_bytes() <= 8 * 1024,
        "{} bytes kept",
        f.tx.heap_bytes()
    );
    // And it still works: a small write afterwards goes out.
    f.tx.push_data(&[1u8; 100]);
    assert_eq!(f.send().len(), 1);
}
