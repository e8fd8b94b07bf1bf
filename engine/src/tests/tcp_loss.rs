//! Loss on the LAN leg, as the hidden host sees it: holes repaired from SACK information
//! within a round trip, lost retransmissions and tail losses found without a timeout, the
//! timeout with exponential back-off only when the host goes silent, hosts without SACK
//! handled by duplicate ACKs and NewReno, and every repair counted where users can see it.

use std::time::Duration;

use super::emitted::Seg;
use super::harness::{Conn, Harness, Rng};
use super::lan_host::LanTcp;
use crate::{Config, Protocol, SocketCommand};

const MSS: u32 = 1460;

/// Runs timers until the flow is gone, collecting every segment with its time.
fn run_until_gone(h: &mut Harness) -> Vec<(Duration, Seg)> {
    let mut seen = Vec::new();
    while h.flows(Protocol::Tcp) > 0 {
        h.fire_next_timer()
            .expect("a flow with unacknowledged data keeps a timer");
        seen.extend(h.tun().into_iter().map(|e| (e.at, e.tcp().clone())));
        assert!(h.elapsed() < Duration::from_secs(600), "never gave up");
    }
    seen
}

/// Sends `n` full segments from the server and returns them as the host saw them.
fn burst(h: &mut Harness, c: &Conn, n: usize) -> (Vec<u8>, Vec<Seg>) {
    let data = Rng::new(n as u64).bytes(n * MSS as usize);
    h.remote_write(c.id, &data);
    let segs = h.tun_tcp();
    assert_eq!(
        segs.len(),
        n,
        "initial window of 10 segments sends all at once"
    );
    (data, segs)
}

/// SACK block covering segments `from..to` of a burst.
fn block(segs: &[Seg], from: usize, to: usize) -> (u32, u32) {
    (segs[from].seq, segs[to - 1].seq.wrapping_add(MSS))
}

/// Data segments (with payload or FIN) among `segs`.
fn data_segs(segs: &[Seg]) -> Vec<&Seg> {
    segs.iter().filter(|s| s.seq_len() > 0).collect()
}

/// Opens a connection on which the server has `segments` full segments to send, lets the
/// first window go and the host acknowledge it after `rtt`, so the flow has measured its
/// round trip. Returns the connection, the whole payload and the next window's segments
/// (sent at the moment the ACK arrived).
fn warmed_up(h: &mut Harness, segments: usize, rtt: Duration) -> (Conn, Vec<u8>, Vec<Seg>) {
    let mut c = h.open_with_rtt(default_lan(), rtt);
    let payload = Rng::new(segments as u64).bytes(segments * MSS as usize);
    h.remote_write(c.id, &payload);
    let first = h.tun_tcp();
    h.advance(rtt);
    for s in &first {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    let next: Vec<Seg> = data_segs(&h.tun_tcp()).into_iter().cloned().collect();
    (c, payload, next)
}

/// The host of `Harness::open_default(50_000, 3)`.
fn default_lan() -> LanTcp {
    LanTcp::new(
        50_000,
        std::net::SocketAddrV4::new(super::lan_host::REMOTE, 443),
        3,
    )
}

/// A connection whose host does not offer SACK.
fn open_without_sack(h: &mut Harness) -> Conn {
    let mut lan = LanTcp::new(
        50_000,
        std::net::SocketAddrV4::new(super::lan_host::REMOTE, 443),
        3,
    );
    lan.sack_permitted = false;
    h.open(lan)
}

#[test]
fn a_lone_unanswered_segment_gets_a_probe_then_timeouts_doubling_then_a_reset() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 3);
    let t0 = h.elapsed();
    h.remote_write(c.id, b"data the host never acknowledges");
    let first = h.tun_tcp();
    assert_eq!(first.len(), 1);
    let seen = run_until_gone(&mut h);

    // The handshake measured an RTT of ~0: the tail loss probe would wait 2 RTT + the
    // host's worst delayed ACK (200 ms) but never longer than the RTO (the 200 ms floor), so
    // it goes at 200 ms in the timeout's place. Then the timeout runs, doubling from 200 ms.
    let retx: Vec<Duration> = seen
        .iter()
        .filter(|(_, s)| !s.payload.is_empty())
        .map(|(t, _)| *t - t0)
        .collect();
    let want: Vec<Duration> = [200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200]
        .into_iter()
        .map(Duration::from_millis)
        .collect();
    assert_eq!(retx, want, "a probe, then one retransmission per expiry");
    assert!(
        seen.iter()
            .filter(|(_, s)| !s.payload.is_empty())
            .all(|(_, s)| s.seq == first[0].seq && s.payload == first[0].payload)
    );

    // The ninth timeout exceeds max_retransmits (8): RST to the host, abort upstream.
    let (t_rst, rst) = seen.last().expect("a RST");
    assert!(rst.rst, "{rst:?}");
    assert_eq!(*t_rst - t0, Duration::from_millis(102_400));
    assert!(h.tcp(c.id).aborted, "upstream connection reset too");
    let counters = h.engine.counters();
    assert_eq!(counters.tcp_retransmits, 9);
    assert_eq!(counters.tcp_tail_loss_probes, 1);
    assert_eq!(counters.tcp_rtos, 8);
    assert_eq!(h.engine.poll_timeout(), None);
}

#[test]
fn max_retransmits_counts_timeouts() {
    for max in [1u32, 3] {
        let mut cfg = Config::default();
        cfg.tcp.max_retransmits = max;
        let mut h = Harness::with_config(cfg);
        let c = h.open_default(50_000, 3);
        h.remote_write(c.id, b"x");
        h.tun();
        let seen = run_until_gone(&mut h);
        let retx = seen.iter().filter(|(_, s)| !s.payload.is_empty()).count();
        assert_eq!(
            retx,
            max as usize + 1,
            "max_retransmits {max}, plus the probe"
        );
        assert!(seen.last().is_some_and(|(_, s)| s.rst));
        assert!(h.cmds().contains(&SocketCommand::TcpAbort { id: c.id }));
    }
}

#[test]
fn three_segments_sacked_beyond_a_hole_resend_it_at_once() {
    let mut h = Harness::new();
    let mut c = h.open_with_rtt(default_lan(), Duration::from_millis(1));
    let (data, segs) = burst(&mut h, &c, 10);
    // Segment 0 is lost; the host SACKs 1, then 1-2, then 1-3 (RFC 2018), a round trip
    // later.
    h.advance(Duration::from_millis(1));
    let hole = c.lan.rcv_nxt;
    for n in 1..=3 {
        h.send(&c.lan.ack_sack(hole, &[block(&segs, 1, 1 + n)]));
        let out = data_segs(&h.tun_tcp())
            .into_iter()
            .cloned()
            .collect::<Vec<_>>();
        let resent: Vec<&Seg> = out.iter().filter(|s| s.seq == segs[0].seq).collect();
        if n < 3 {
            assert!(
                resent.is_empty(),
                "not before the third SACKed segment: {out:?}"
            );
        } else {
            assert_eq!(resent.len(), 1, "the hole, at once: {out:?}");
            assert_eq!(resent[0].payload, segs[0].payload);
        }
    }
    assert_eq!(h.engine.counters().tcp_fast_recoveries, 1);
    // The retransmission fills the hole: the host ACKs everything.
    for s in &segs {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    assert!(c.lan.received == data);
    h.advance(Duration::from_secs(5));
    assert!(
        h.tun_tcp().iter().all(|s| s.payload.is_empty()),
        "nothing more once everything is acknowledged"
    );
    let counters = h.engine.counters();
    assert_eq!(counters.tcp_retransmits, 1);
    assert_eq!(counters.tcp_rtos, 0);
}

#[test]
fn one_sacked_segment_finds_the_hole_after_a_quarter_rtt() {
    let mut h = Harness::new();
    let (c, _, segs) = warmed_up(&mut h, 100, Duration::from_millis(4));
    assert!(segs.len() >= 10, "the window grew: {}", segs.len());
    h.advance(Duration::from_millis(4));
    // Only the last segment arrived after a lost first one: RACK waits RTT + min_rtt/4
    // from when the hole was sent (a reordering window), then resends it.
    let t_ack = h.elapsed();
    let last = segs.len() - 1;
    h.send(
        &c.lan
            .ack_sack(c.lan.rcv_nxt, &[block(&segs, last, last + 1)]),
    );
    let out = h.tun_tcp();
    assert!(
        data_segs(&out).iter().all(|s| s.seq != segs[0].seq),
        "a single SACK could be reordering: wait (the SACK only frees room for new data)"
    );
    loop {
        h.fire_next_timer().expect("the reordering timer");
        if data_segs(&h.tun_tcp()).iter().any(|s| s.seq == segs[0].seq) {
            break;
        }
    }
    let waited = h.elapsed() - t_ack;
    assert!(
        waited >= Duration::from_millis(1) && waited < Duration::from_millis(3),
        "the reordering window is about a quarter RTT: waited {waited:?}"
    );
    assert_eq!(h.engine.counters().tcp_rtos, 0);
}

#[test]
fn several_holes_are_resent_in_one_round_trip() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 3);
    let (_, segs) = burst(&mut h, &c, 10);
    // Segments 1, 4 and 7 are lost; the host SACKs the rest in one ACK (newest first).
    let blocks = [block(&segs, 8, 10), block(&segs, 5, 7), block(&segs, 2, 4)];
    h.send(&c.lan.ack_sack(segs[1].seq, &blocks));
    let out = h.tun_tcp();
    let resent: Vec<u32> = data_segs(&out).iter().map(|s| s.seq).collect();
    assert_eq!(
        resent,
        vec![segs[1].seq, segs[4].seq, segs[7].seq],
        "every hole once, oldest first, and nothing the host holds"
    );
    assert_eq!(h.engine.counters().tcp_fast_recoveries, 1);
}

#[test]
fn a_lost_retransmission_is_found_without_a_timeout() {
    let mut h = Harness::new();
    let (c, _, segs) = warmed_up(&mut h, 100, Duration::from_millis(2));
    let n = segs.len();
    assert!(n >= 6);
    h.advance(Duration::from_millis(2));
    // Segment 0 is lost, the rest arrives: it is resent at once (3+ SACKed beyond it).
    h.send(&c.lan.ack_sack(segs[0].seq, &[block(&segs, 1, n)]));
    let out = h.tun_tcp();
    assert_eq!(data_segs(&out)[0].seq, segs[0].seq);
    // The retransmission is lost too. New data sent with it keeps arriving and being
    // SACKed: once something sent after the retransmission is delivered and an RTT has
    // passed, RACK declares it lost again and resends it. No timeout.
    let new: Vec<Seg> = data_segs(&out)[1..].iter().map(|s| (*s).clone()).collect();
    assert!(
        !new.is_empty(),
        "PRR lets new data go with the retransmission"
    );
    h.advance(Duration::from_millis(2));
    let last = new.last().unwrap();
    h.send(&c.lan.ack_sack(
        segs[0].seq,
        &[
            (new[0].seq, last.seq.wrapping_add(last.payload.len() as u32)),
            block(&segs, 1, n),
        ],
    ));
    let mut again: Vec<Seg> = data_segs(&h.tun_tcp()).into_iter().cloned().collect();
    while !again.iter().any(|s| s.seq == segs[0].seq) {
        h.fire_next_timer().expect("the reordering timer");
        again = data_segs(&h.tun_tcp()).into_iter().cloned().collect();
        assert!(
            h.elapsed() < Duration::from_millis(100),
            "resent without an RTO"
        );
    }
    let counters = h.engine.counters();
    assert_eq!(counters.tcp_rtos, 0);
    assert_eq!(counters.tcp_retransmits, 2);
}

#[test]
fn a_lost_tail_is_repaired_by_a_probe_without_a_timeout() {
    let mut h = Harness::new();
    let mut c = h.open_with_rtt(default_lan(), Duration::from_millis(1));
    // A short response of 5 segments; the last 2 are lost.
    let (_, first) = burst(&mut h, &c, 10);
    h.advance(Duration::from_millis(1));
    for s in &first {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    let response = Rng::new(9).bytes(5 * MSS as usize);
    h.remote_write(c.id, &response);
    let segs = h.tun_tcp();
    assert_eq!(segs.len(), 5);
    for s in &segs[..3] {
        c.lan.receive(s);
    }
    h.advance(Duration::from_micros(500));
    h.send(&c.lan.ack());
    // No SACK can come (nothing after the lost tail arrived): the probe resends the last
    // segment about two RTTs later, far before the 200 ms RTO.
    let t = h.elapsed();
    h.fire_next_timer().expect("the probe timer");
    let probe = h.tun_tcp();
    assert_eq!(probe.len(), 1, "{probe:?}");
    assert_eq!(probe[0].seq, segs[4].seq, "the last segment again");
    assert!(h.elapsed() - t < Duration::from_millis(10));
    // The host SACKs it a round trip later: RACK finds segment 3 lost and resends it.
    h.advance(Duration::from_millis(1));
    h.send(&c.lan.ack_sack(c.lan.rcv_nxt, &[block(&segs, 4, 5)]));
    let mut resent = data_segs(&h.tun_tcp())
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    while resent.is_empty() {
        h.fire_next_timer().expect("the reordering timer");
        resent = data_segs(&h.tun_tcp()).into_iter().cloned().collect();
    }
    assert_eq!(resent[0].seq, segs[3].seq);
    c.lan.receive(&resent[0]);
    c.lan.receive(&probe[0]);
    h.send(&c.lan.ack());
    let counters = h.engine.counters();
    assert_eq!(counters.tcp_rtos, 0);
    assert_eq!(counters.tcp_tail_loss_probes, 1);
    assert!(c.lan.received.ends_with(&response));
}

#[test]
fn dsacks_for_every_retransmission_undo_the_reduction() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 3);
    let (_, segs) = burst(&mut h, &c, 10);
    // Segment 0 is only late: three later ones are SACKed, so it is resent...
    h.send(&c.lan.ack_sack(segs[0].seq, &[block(&segs, 1, 4)]));
    let resent = h.tun_tcp();
    assert!(data_segs(&resent).iter().any(|s| s.seq == segs[0].seq));
    let cwnd_in_recovery = h.translations()[0].tcp.unwrap().cwnd_bytes;
    // ...then the original arrives, and the retransmission as a duplicate: the host ACKs
    // everything and reports the duplicate with a DSACK (RFC 2883).
    for s in &segs {
        c.lan.receive(s);
    }
    let dup = block(&segs, 0, 1);
    h.send(&c.lan.ack_sack(c.lan.rcv_nxt, &[dup]));
    let t = h.translations()[0].tcp.unwrap();
    assert_eq!(t.spurious_retransmits, 1);
    assert_eq!(t.undos, 1, "the reduction is undone");
    assert!(
        t.cwnd_bytes > cwnd_in_recovery,
        "window restored: {} after {}",
        t.cwnd_bytes,
        cwnd_in_recovery
    );
}

#[test]
fn without_sack_three_duplicate_acks_trigger_one_fast_retransmit() {
    let mut h = Harness::new();
    let mut c = open_without_sack(&mut h);
    let (data_sent, segs) = burst(&mut h, &c, 10);
    let hole = c.lan.rcv_nxt;
    for i in 1..=3 {
        h.send(&c.lan.ack_of(hole));
        let out = data_segs(&h.tun_tcp())
            .into_iter()
            .cloned()
            .collect::<Vec<_>>();
        let resent = out.iter().filter(|s| s.seq == segs[0].seq).count();
        assert_eq!(resent, usize::from(i == 3), "dupack {i}: {out:?}");
    }
    for _ in 4..10 {
        h.send(&c.lan.ack_of(hole));
    }
    assert_eq!(
        h.engine.counters().tcp_retransmits,
        1,
        "one fast retransmit, not one per duplicate"
    );
    for s in &segs {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    let _ = h.tun_tcp();
    assert!(c.lan.received == data_sent);
    h.advance(Duration::from_secs(5));
    assert!(h.tun_tcp().iter().all(|s| s.payload.is_empty()));
    assert_eq!(h.engine.counters().tcp_rtos, 0);
}

#[test]
fn without_sack_a_partial_ack_resends_the_next_hole_at_once() {
    let mut h = Harness::new();
    let c = open_without_sack(&mut h);
    let (_, segs) = burst(&mut h, &c, 10);
    // Segments 0 and 5 are lost.
    let hole = c.lan.rcv_nxt;
    for _ in 0..3 {
        h.send(&c.lan.ack_of(hole));
    }
    let fr = h.tun_tcp();
    assert_eq!(fr.iter().filter(|s| s.seq == segs[0].seq).count(), 1);
    // The retransmission arrives; the host now ACKs up to the second hole (a partial ACK,
    // RFC 6582).
    h.send(&c.lan.ack_of(segs[5].seq));
    let out = h.tun_tcp();
    let resent: Vec<&Seg> = out
        .iter()
        .filter(|s| s.seq == segs[5].seq && !s.payload.is_empty())
        .collect();
    assert_eq!(resent.len(), 1, "without waiting for the RTO: {out:?}");
    assert_eq!(resent[0].payload, segs[5].payload);
    assert_eq!(h.engine.counters().tcp_retransmits, 2);
}

#[test]
fn zero_window_probe_answers_are_not_duplicate_acks() {
    let mut h = Harness::new();
    let mut c = open_without_sack(&mut h);
    let payload = Rng::new(3).bytes(20 * MSS as usize);
    h.remote_write(c.id, &payload);
    let segs = h.tun_tcp();
    for s in &segs {
        c.lan.receive(s);
    }
    // The host's buffer is full: it acknowledges everything with a zero window.
    h.send(&c.lan.ack_with_window(0));
    assert!(h.tun_tcp().is_empty());
    // Probes come; the host answers each with the same ACK and a zero window. However many,
    // none is taken for a duplicate ACK (no fast retransmit, no window reduction).
    for _ in 0..5 {
        h.fire_next_timer().expect("the persist timer");
        let probe = h.tun_tcp();
        assert_eq!(data_segs(&probe).len(), 1, "{probe:?}");
        for _ in 0..3 {
            h.send(&c.lan.ack_with_window(0));
        }
        assert!(h.tun_tcp().iter().all(|s| s.payload.is_empty()));
    }
    assert_eq!(h.engine.counters().tcp_fast_recoveries, 0);
    assert_eq!(h.engine.counters().tcp_rtos, 0, "probing is not a timeout");
    // The window reopens: the rest flows.
    h.send(&c.lan.ack());
    h.lan_receive(&mut c, 2, |l| l.received.len() >= payload.len());
    assert!(c.lan.received == payload);
}

#[test]
fn a_reordered_old_segment_cannot_close_the_window() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 3);
    // The host uploads two segments; the one sent later (with a window of 64 KiB) arrives
    // first, the earlier one (which carried a zero window) second.
    let old = c.lan.seg(
        super::lan_host::TcpSpec {
            seq: c.lan.snd_nxt,
            ack: Some(c.lan.rcv_nxt),
            window: 0,
            ..Default::default()
        },
        b"first",
    );
    let newer = c.lan.seg(
        super::lan_host::TcpSpec {
            seq: c.lan.snd_nxt.wrapping_add(5),
            ack: Some(c.lan.rcv_nxt),
            window: 65_535,
            ..Default::default()
        },
        b"second",
    );
    c.lan.snd_nxt = c.lan.snd_nxt.wrapping_add(11);
    h.send(&newer);
    h.send(&old);
    h.tun();
    // SND.WL1 says the later segment's window is the newer one (RFC 9293 3.10.7.4): the
    // server's data still flows.
    let payload = Rng::new(5).bytes(4 * MSS as usize);
    h.remote_write(c.id, &payload);
    let segs = h.tun_tcp();
    assert_eq!(data_segs(&segs).len(), 4, "window open: {segs:?}");
}

#[test]
fn an_ack_of_data_never_sent_is_answered_and_ignored() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 3);
    let (_, segs) = burst(&mut h, &c, 2);
    let beyond = segs[1].seq.wrapping_add(MSS + 1000);
    h.send(&c.lan.ack_of(beyond));
    let out = h.tun_tcp();
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].is_pure_ack());
    assert_eq!(out[0].seq, segs[1].seq.wrapping_add(MSS));
    // Nothing was taken as acknowledged: the data is still resent when due.
    h.advance(Duration::from_millis(300));
    assert!(
        data_segs(&h.tun_tcp())
            .iter()
            .any(|s| s.seq == segs[1].seq || s.seq == segs[0].seq)
    );
}

#[test]
fn a_timeout_resends_only_what_the_host_does_not_hold() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 3);
    let (payload, segs) = burst(&mut h, &c, 10);
    // The host holds 5..10 but never gets 0..5; then it goes silent. Probes (the last
    // segment again) find no answer; the timeout comes.
    h.send(&c.lan.ack_sack(segs[0].seq, &[block(&segs, 5, 10)]));
    while h.engine.counters().tcp_rtos == 0 {
        h.fire_next_timer();
        assert!(h.elapsed() < Duration::from_secs(1), "no timeout");
    }
    let mut resent: Vec<u32> = data_segs(&h.tun_tcp())
        .iter()
        .filter(|s| s.seq != segs[9].seq)
        .map(|s| s.seq)
        .collect();
    for _ in 0..4 {
        h.fire_next_timer();
        resent.extend(data_segs(&h.tun_tcp()).iter().map(|s| s.seq));
    }
    assert!(
        resent.iter().all(|&s| (0..5).any(|i| segs[i].seq == s)),
        "only holes are resent after the timeout: {resent:?}"
    );
    // The host then receives everything it was sent and ACKs it all.
    for s in &segs {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    assert!(c.lan.received == payload);
}

#[test]
fn a_host_that_drops_what_it_sacked_gets_everything_again() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 3);
    let (payload, segs) = burst(&mut h, &c, 10);
    // The host SACKs 0..3 without ever ACKing them (it later discards them: reneging).
    h.send(&c.lan.ack_sack(segs[0].seq, &[block(&segs, 0, 3)]));
    h.tun();
    // At the timeout the head is SACKed but unacknowledged: every mark is cleared and the
    // whole window is resent in order (RFC 2018 8), nothing is skipped forever.
    h.lan_receive(&mut c, 1, |l| l.received.len() == payload.len());
    assert!(c.lan.received == payload);
}

#[test]
fn each_translation_shows_its_loss_recovery() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 3);
    let (_, segs) = burst(&mut h, &c, 10);
    h.send(&c.lan.ack_sack(segs[0].seq, &[block(&segs, 1, 10)]));
    h.tun();
    let t = h.translations()[0].tcp.expect("a TCP flow has stats");
    assert_eq!((t.fast_recoveries, t.retransmits, t.rtos), (1, 1, 0));
    assert_eq!(t.mss, u64::from(MSS));
    let json = serde_json::to_value(h.translations()[0].clone()).unwrap();
    assert_eq!(json["tcp"]["fast_recoveries"], 1);
    let status = serde_json::to_value(h.engine.status()).unwrap();
    assert_eq!(status["counters"]["tcp_fast_recoveries"], 1);
}
