//! The sender toward the LAN host (the download direction): what to send next, what the
//! host's ACKs say was delivered or lost, and how fast to go.
//!
//! It works the way Linux's does, because a LAN host's download speed over a lossy hop
//! (Wi-Fi) depends on it and nothing else:
//! - a scoreboard of every segment in flight, fed by SACK blocks ([`scoreboard`]);
//! - RACK-TLP to find losses by time, retransmissions and tail losses included, so a
//!   retransmission timeout is left for blackouts ([`rack`], the tail loss probe here);
//! - Proportional Rate Reduction while repairing, CUBIC (or NewReno) for the window
//!   ([`recovery`], [`cc`]);
//! - undo of reductions that DSACKs prove spurious, and RFC 6298 timeouts with a LAN floor
//!   ([`rtt`]).
//!
//! Without SACK (a host that did not offer it) losses are found by three duplicate ACKs and
//! NewReno partial ACKs (RFC 5681, RFC 6582), as Linux does for such peers.
//!
//! The sender is sans-IO in the small: [`Sender::poll_transmit`] says which bytes to send,
//! the flow builds the packet, then reports it with [`Sender::on_transmit`]. Sequence numbers
//! are u64 stream offsets; the FIN is one offset past the data.

pub(crate) mod cc;
mod pacing;
mod rack;
mod rate;
mod recovery;
mod rtt;
mod scoreboard;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tracing::debug;

use self::cc::{AckEvent, AckSample, Cc, Controller, Window};
use self::pacing::Pacer;
use self::rack::Rack;
use self::rate::RateSampler;
use self::recovery::{CaState, Probe, Prr, Undo};
use self::rtt::RttEstimator;
use self::scoreboard::Scoreboard;
use super::Seq;
use crate::config::CongestionControl;

/// Initial congestion window in segments (RFC 6928).
const INITIAL_WINDOW_SEGMENTS: u64 = 10;
/// Duplicate ACKs that mean a loss to a host without SACK (RFC 5681 3.2).
const RENO_DUPTHRESH: u32 = 3;
/// Worst-case delayed ACK of the host (RFC 8985 7.2 WCDelAckT): a lone segment may wait this
/// long for its ACK, so a probe any earlier would be spurious.
const WC_DELAYED_ACK: Duration = Duration::from_millis(200);
/// Slack of the tail loss probe beyond two RTTs when more than one segment is in flight:
/// the clock's and the hosts' scheduling granularity. RFC 8985 7.2 adds nothing; Linux adds
/// two jiffies (2-8 ms) because its timers cannot do better, which on a LAN whose RTT is
/// 50-100 us is twenty round trips of silence after every lost tail ACK.
const TLP_SLACK: Duration = Duration::from_micros(200);
/// Granularity added to the reordering timer (Linux adds `TCP_TIMEOUT_MIN`).
const REO_SLACK: Duration = Duration::from_micros(200);
/// Unanswered probes after which the wait stops doubling (2^10 times two RTTs is far beyond
/// any RTO anyway).
const MAX_PROBE_BACKOFF: u32 = 10;
/// A write to the adapter failed (its ring was full): retry this much later.
const WRITE_RETRY: Duration = Duration::from_millis(1);

/// Send-buffer capacity an empty sender may keep: an interactive flow's writes, without a
/// reallocation per write.
const IDLE_BUFFER: usize = 4096;

/// The sender's settings (from [`crate::TcpConfig`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SenderConfig {
    pub rto_min: Duration,
    pub rto_max: Duration,
    pub max_retransmits: u32,
    pub congestion_control: CongestionControl,
}

/// What kind of bytes a [`Transmit`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxKind {
    /// Bytes never sent before.
    New,
    /// A segment judged lost.
    Retransmit,
    /// A tail loss probe: new data if there is some, else the last segment again.
    Probe,
    /// One byte beyond a closed window, so the host's answer shows when it reopens.
    WindowProbe,
}

/// The next segment to send: `len` payload bytes at stream offset `offset`, then the FIN if
/// `fin` (a FIN has `len` 0 and sits at the end of the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transmit {
    pub offset: u64,
    pub len: u64,
    pub fin: bool,
    pub kind: TxKind,
}

/// What an ACK from the host amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckResult {
    /// Acknowledges something never sent, or is far too old (RFC 9293 3.10.7.4, RFC 5961
    /// 5.2): the caller answers with an ACK and drops the segment.
    Unacceptable,
    /// Processed; `data_acked` bytes left the buffer (credit for the shell).
    Processed { data_acked: u64 },
}

/// An ACK as the sender needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckIn<'a> {
    /// The acknowledgment number (wire).
    pub ack: u32,
    /// The host's window, already scaled.
    pub window: u64,
    /// Where the segment sits in the host's sequence space (receive offset), for the
    /// SND.WL1 / SND.WL2 rule.
    pub seq: u64,
    /// No payload and no SYN or FIN: could be a duplicate ACK.
    pub pure: bool,
    /// SACK blocks (wire), first as the host ordered them.
    pub sack: &'a [Option<(u32, u32)>; 4],
}

/// What a timer asks of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerResult {
    /// Something may now be sent: run the transmit loop.
    Transmit,
    /// Retransmissions exhausted: reset the connection.
    GiveUp,
}

/// Counters of one flow's loss recovery, for `masq status` and the translation table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SendStats {
    pub retransmits: u64,
    pub rtos: u64,
    pub tail_loss_probes: u64,
    pub tlp_recoveries: u64,
    pub fast_recoveries: u64,
    pub spurious_retransmits: u64,
    pub undos: u64,
}

/// The download direction of one flow.
#[derive(Debug)]
pub(crate) struct Sender {
    snd: Seq,
    /// Bytes read from the socket and not yet acknowledged: offsets `una..data_end`.
    buf: VecDeque<u8>,
    data_end: u64,
    /// The remote finished: our FIN follows the data.
    fin_queued: bool,
    una: u64,
    /// Next offset never sent (RFC 9293 SND.NXT; never moves back).
    nxt: u64,
    wnd: u64,
    max_wnd: u64,
    wl1: u64,
    wl2: u64,
    seg_size: u64,
    max_send: u64,
    sack_ok: bool,
    sb: Scoreboard,
    rtt: RttEstimator,
    rack: Rack,
    cc: Cc,
    w: Window,
    /// Delivery-rate samples (for BBR; kept for every controller, they cost little).
    rate: RateSampler,
    /// Spreads sends at the controller's pacing rate (BBR only).
    pacer: Pacer,
    state: CaState,
    prr: Prr,
    undo: Option<Undo>,
    probe: Option<Probe>,
    /// Probes sent in a row without the host answering anything new: each waits twice as
    /// long as the one before.
    probe_backoff: u32,
    pending: Option<Transmit>,
    reno_dupacks: u32,
    /// Round trips, counted as the ACK passes `round_end` (HyStart++, cwnd-limited test).
    round: u64,
    round_end: u64,
    round_cwnd_limited: bool,
    last_round_cwnd_limited: bool,
    round_max_flight: u64,
    last_round_max_flight: u64,
    last_send: Option<Instant>,
    rto_at: Option<Instant>,
    tlp_at: Option<Instant>,
    reo_at: Option<Instant>,
    persist_at: Option<Instant>,
    retry_at: Option<Instant>,
    /// When the pacer lets the next segment go.
    pace_at: Option<Instant>,
    /// Timeouts (and window probes) in a row without progress.
    retries: u32,
    cfg: SenderConfig,
    pub(crate) stats: SendStats,
}

impl Sender {
    /// A sender whose first data byte goes out as `isn + 1`, cutting segments of `seg_size`
    /// and sending at most `max_send` bytes in one packet (a super-segment with offload).
    pub(crate) fn new(isn: u32, seg_size: u64, max_send: u64, cfg: SenderConfig) -> Sender {
        Sender {
            snd: Seq::new(isn),
            buf: VecDeque::new(),
            data_end: 0,
            fin_queued: false,
            una: 0,
            nxt: 0,
            wnd: 0,
            max_wnd: 0,
            wl1: 0,
            wl2: 0,
            seg_size,
            max_send,
            sack_ok: false,
            sb: Scoreboard::default(),
            rtt: RttEstimator::new(cfg.rto_min, cfg.rto_max),
            rack: Rack::default(),
            cc: Cc::new(cfg.congestion_control),
            rate: RateSampler::default(),
            pacer: Pacer::default(),
            w: Window {
                cwnd: INITIAL_WINDOW_SEGMENTS * seg_size,
                ssthresh: u64::MAX,
                mss: seg_size,
            },
            state: CaState::Open,
            prr: Prr::default(),
            undo: None,
            probe: None,
            probe_backoff: 0,
            pending: None,
            reno_dupacks: 0,
            round: 0,
            round_end: 0,
            round_cwnd_limited: false,
            last_round_cwnd_limited: false,
            round_max_flight: 0,
            last_round_max_flight: 0,
            last_send: None,
            rto_at: None,
            tlp_at: None,
            reo_at: None,
            persist_at: None,
            retry_at: None,
            pace_at: None,
            retries: 0,
            cfg,
            stats: SendStats::default(),
        }
    }

    /// What the host's SYN (or SYN-ACK) said: its segment size and SACK, and its window.
    pub(crate) fn learn_handshake(
        &mut self,
        seg_size: u64,
        max_send: u64,
        sack_ok: bool,
        wnd: u64,
    ) {
        self.seg_size = seg_size;
        self.max_send = max_send;
        self.sack_ok = sack_ok;
        self.w = Window {
            cwnd: INITIAL_WINDOW_SEGMENTS * seg_size,
            ssthresh: u64::MAX,
            mss: seg_size,
        };
        self.wnd = wnd;
        self.max_wnd = wnd;
    }

    /// The handshake completed: its RTT is the first sample, `wnd` the host's first scaled
    /// window (from the segment at receive offset 0 that acknowledged our SYN).
    pub(crate) fn on_established(&mut self, now: Instant, rtt: Option<Duration>, wnd: u64) {
        if let Some(rtt) = rtt {
            self.rtt.sample(now, rtt, rtt);
        }
        self.wnd = wnd;
        self.max_wnd = self.max_wnd.max(wnd);
    }

    /// The wire sequence number of an offset.
    pub(crate) fn wire(&self, offset: u64) -> u32 {
        self.snd.wire(offset)
    }

    /// Next offset never sent.
    pub(crate) fn nxt(&self) -> u64 {
        self.nxt
    }

    pub(crate) fn una(&self) -> u64 {
        self.una
    }

    /// One past the last data byte read from the socket (where the FIN goes).
    pub(crate) fn data_end(&self) -> u64 {
        self.data_end
    }

    pub(crate) fn seg_size(&self) -> u64 {
        self.seg_size
    }

    /// Bytes held for the host (read and not acknowledged).
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The FIN was queued and the host acknowledged it.
    pub(crate) fn fin_acked(&self) -> bool {
        self.fin_queued && self.una > self.data_end
    }

    pub(crate) fn fin_queued(&self) -> bool {
        self.fin_queued
    }

    /// The smoothed RTT, if measured (shown per translation).
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }

    /// The congestion window in bytes (shown per translation).
    pub(crate) fn cwnd(&self) -> u64 {
        self.w.cwnd
    }

    /// Heap bytes held (what an idle flow costs beyond its fixed size).
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.sb.heap_bytes()
    }

    /// Bytes from the socket, to be sent after everything before.
    pub(crate) fn push_data(&mut self, data: &[u8]) {
        self.buf.extend(data);
        self.data_end += data.len() as u64;
    }

    /// The remote finished: a FIN follows the data.
    pub(crate) fn push_fin(&mut self) {
        self.fin_queued = true;
    }

    /// The payload of `t` as at most two slices of the buffer.
    pub(crate) fn payload(&self, t: &Transmit) -> [&[u8]; 2] {
        let start = (t.offset - self.una) as usize;
        let len = t.len as usize;
        let (a, b) = self.buf.as_slices();
        let end = start + len;
        let first = &a[start.min(a.len())..end.min(a.len())];
        let second = if end > a.len() {
            &b[start.saturating_sub(a.len())..end - a.len()]
        } else {
            &[]
        };
        [first, second]
    }

    // ------------------------------------------------------------------ sending

    /// The next segment to send now, if the windows allow one (RFC 6675 NextSeg order:
    /// retransmissions of lost segments first, then new data, then the FIN).
    pub(crate) fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if let Some(t) = self.pending.take() {
            return Some(t);
        }
        let in_flight = self.in_flight();
        if self.sb.awaiting_retransmission() {
            if in_flight >= self.w.cwnd {
                self.round_cwnd_limited = true;
                return None;
            }
            if self.paced(now, self.seg_size) {
                return None;
            }
            let seg = self.sb.next_lost(self.seg_size)?;
            // Beyond the host's window only the head is resent (Linux
            // `tcp_retransmit_skb`): the window shrank, the rest waits for it.
            if seg.start >= self.una + self.wnd.max(1) && seg.start != self.una {
                return None;
            }
            return Some(Transmit {
                offset: seg.start,
                len: if seg.is_fin() { 0 } else { seg.len() },
                fin: seg.is_fin(),
                kind: TxKind::Retransmit,
            });
        }
        if self.nxt < self.data_end {
            let room = self.w.cwnd.saturating_sub(in_flight);
            let wnd_room = (self.una + self.wnd).saturating_sub(self.nxt);
            let avail = self.data_end - self.nxt;
            if wnd_room == 0 {
                if self.sb.is_empty() && self.persist_at.is_none() {
                    self.persist_at = Some(now + self.rtt.rto());
                }
                return None;
            }
            if room == 0 {
                self.round_cwnd_limited = true;
                return None;
            }
            if self.paced(now, self.seg_size.min(avail)) {
                return None;
            }
            let paced = self.pacer.allowance(now, self.seg_size);
            let mut len = avail.min(room).min(wnd_room).min(self.max_send).min(paced);
            if len < avail {
                if len >= self.seg_size {
                    // Whole segments only while more waits: a super-segment's pieces are
                    // all full-sized but the last.
                    len -= len % self.seg_size;
                } else if !self.sb.is_empty() {
                    // Sender silly window avoidance (RFC 9293 3.8.6.2.1): no small segment
                    // while more data waits and an ACK will open room.
                    if room < self.seg_size {
                        self.round_cwnd_limited = true;
                    }
                    return None;
                }
            }
            return Some(Transmit {
                offset: self.nxt,
                len,
                fin: false,
                kind: TxKind::New,
            });
        }
        if self.fin_queued && self.nxt == self.data_end && in_flight < self.w.cwnd.max(1) {
            return Some(Transmit {
                offset: self.data_end,
                len: 0,
                fin: true,
                kind: TxKind::New,
            });
        }
        if self.nxt >= self.data_end && in_flight < self.w.cwnd {
            // Nothing to send and room to send it: the rate samples that follow say how fast
            // the remote feeds us, not how fast the path is.
            self.rate.on_app_limited(in_flight);
        }
        None
    }

    /// Whether the pacer holds back the next `len` bytes; if so, the timer wakes the
    /// sender when it lets them go.
    fn paced(&mut self, now: Instant, len: u64) -> bool {
        self.pace_at = self.pacer.next_send(now, len, self.seg_size);
        self.pace_at.is_some()
    }

    /// `t` (from [`Sender::poll_transmit`]) went out at `now`.
    pub(crate) fn on_transmit(&mut self, now: Instant, t: &Transmit) {
        let seq_len = t.len + u64::from(t.fin);
        let is_new = t.offset >= self.nxt;
        let stamp = self.rate.on_send(now, self.in_flight());
        self.pacer.on_sent(t.len.max(1));
        if is_new {
            if self.sb.is_empty()
                && let Some(last) = self.last_send
            {
                let idle = now.saturating_duration_since(last);
                if idle > self.rtt.rto() {
                    self.cc.on_idle_restart(idle);
                }
            }
            let mut at = t.offset;
            let end = t.offset + t.len;
            while at < end {
                let to = (at + self.seg_size).min(end);
                self.sb.push(at, to, now, false, stamp);
                at = to;
            }
            if t.fin {
                self.sb.push(end, end + 1, now, true, stamp);
            }
            self.nxt = t.offset + seq_len;
            if t.kind == TxKind::Probe {
                self.probe = Some(Probe {
                    high: self.nxt,
                    resent: None,
                });
            }
        } else {
            self.stats.retransmits += 1;
            match t.kind {
                TxKind::WindowProbe => self.sb.on_head_probed(now, stamp),
                TxKind::Probe => {
                    self.sb.on_probe_retransmitted(t.offset, now, stamp);
                    self.probe = Some(Probe {
                        high: self.nxt,
                        resent: Some((t.offset, t.offset + seq_len)),
                    });
                }
                _ => {
                    self.sb.on_retransmitted(t.offset, now, stamp);
                    if let Some(u) = self.undo.as_mut() {
                        u.retrans += seq_len;
                        u.any_retrans = true;
                    }
                }
            }
        }
        if self.state.in_episode() {
            self.prr.on_sent(seq_len);
        }
        self.round_max_flight = self.round_max_flight.max(self.in_flight());
        self.last_send = Some(now);
        self.persist_at = None;
        self.retry_at = None;
        if self.rto_at.is_none() {
            self.rto_at = Some(now + self.rtt.rto());
        }
        self.arm_probe(now);
    }

    // ------------------------------------------------------------------ ACKs

    /// Processes the acknowledgment part of a segment from the host (Linux `tcp_ack`, step
    /// by step: acceptability, window, SACK, cumulative ACK, DSACK and undo, tail loss probe,
    /// loss detection and recovery, window growth or reduction, timers).
    pub(crate) fn on_ack(&mut self, now: Instant, a: &AckIn<'_>) -> AckResult {
        let ack = match self.snd.offset(a.ack, self.una) {
            Some(ack) if ack <= self.nxt => ack,
            _ => return AckResult::Unacceptable,
        };
        if ack < self.una && self.una - ack > self.max_wnd.max(self.seg_size) {
            // RFC 5961 5.2: older than anything the host could still be acknowledging.
            return AckResult::Unacceptable;
        }
        let old = ack < self.una;
        let ack = ack.max(self.una);
        let una_advanced = ack > self.una;
        let prior_fack = self.sb.fack();
        let prior_una = self.una;
        let prior_wnd = self.wnd;
        let prior_in_flight = self.in_flight();
        let min_rtt = self.rtt.min_rtt();

        // Window, under the SND.WL1 / SND.WL2 rule (RFC 9293 3.10.7.4): an older segment
        // (reordered on the way) never shrinks or closes the window a newer one opened.
        if !old && (self.wl1 < a.seq || (self.wl1 == a.seq && self.wl2 <= ack)) {
            self.wnd = a.window;
            self.max_wnd = self.max_wnd.max(a.window);
            self.wl1 = a.seq;
            self.wl2 = ack;
        }

        // SACK blocks; a DSACK first block (RFC 2883 4) is set apart.
        let mut samples = Samples::default();
        let mut delivered = 0;
        let mut dsack: Option<(u64, u64)> = None;
        if self.sack_ok {
            let blocks = self.sack_blocks(a.sack);
            for (i, &(s, e)) in blocks.iter().flatten().enumerate() {
                let inside_second = i == 0 && blocks[1].is_some_and(|(s2, e2)| s >= s2 && e <= e2);
                if i == 0 && (s < ack || inside_second) {
                    dsack = Some((s, e));
                    continue;
                }
                let Self { sb, rack, rate, .. } = self;
                delivered += sb.sack(s.max(ack), e, |seg| {
                    rack.on_delivered(seg, now, min_rtt);
                    rate.on_delivered(now, seg.len(), seg.sent, seg.stamp);
                    samples.sacked(seg, prior_fack);
                });
            }
        }

        // Cumulative ACK.
        let data_before = prior_una.min(self.data_end);
        if una_advanced {
            let Self { sb, rack, rate, .. } = self;
            delivered += sb.ack(ack, |seg| {
                rack.on_delivered(seg, now, min_rtt);
                rate.on_delivered(now, seg.len(), seg.sent, seg.stamp);
                samples.acked(seg, prior_fack);
            });
            self.una = ack;
            self.retries = 0;
        } else if !old && self.wnd == 0 {
            // The host answered a window probe: it is alive, probing may go on (Linux resets
            // `icsk_probes_out` on any ACK).
            self.retries = 0;
        }
        let data_acked = self.una.min(self.data_end) - data_before;
        self.buf.drain(..data_acked as usize);
        if self.buf.is_empty() && self.buf.capacity() > IDLE_BUFFER {
            // Up to the whole send buffer (256 KiB by default) would stay allocated through
            // hours of an idle keep-alive after one download; Linux frees its buffers as
            // they are acknowledged.
            self.buf = VecDeque::new();
        }
        if samples.reordering {
            self.rack.on_reordering();
        }
        let mut newest_rtt = None;
        if let (Some(oldest), Some(newest)) = (
            samples.acked_first.or(samples.sacked_oldest),
            samples.newest,
        ) {
            let newest = now.saturating_duration_since(newest);
            self.rtt
                .sample(now, now.saturating_duration_since(oldest), newest);
            self.cc.on_rtt(&mut self.w, newest, self.round);
            newest_rtt = Some(newest);
        }
        let rate_sample = self.rate.sample(newest_rtt, self.rtt.min_rtt());

        // DSACK: undo accounting and the reordering window.
        let mut probe_dsacked = false;
        if let Some((s, e)) = dsack {
            self.rack.on_dsack();
            let bytes = e - s;
            if let Some(u) = self.undo.as_mut()
                && e > u.marker
                && u.any_retrans
            {
                self.stats.spurious_retransmits += bytes.div_ceil(self.seg_size);
                u.on_dsack(bytes);
            }
            if let Some(Probe {
                resent: Some((ps, pe)),
                ..
            }) = self.probe
            {
                probe_dsacked = s <= ps && e >= pe;
                if probe_dsacked {
                    self.stats.spurious_retransmits += 1;
                }
            }
        }
        self.rack.adapt(now, self.srtt_or_rto());
        self.settle_probe(now, ack, probe_dsacked);

        // Losses, the recovery state, the window.
        let is_dupack = !old
            && !una_advanced
            && a.pure
            && a.window == prior_wnd
            && self.wnd > 0
            && !self.sb.is_empty()
            && dsack.is_none();
        let lost_before = self.sb.marked_lost();
        self.recovery_step(now, una_advanced, is_dupack);
        let newly_lost = self.sb.marked_lost() - lost_before;
        self.update_window(
            now,
            una_advanced,
            delivered,
            newly_lost,
            prior_in_flight,
            rate_sample.as_ref(),
        );

        // Rounds.
        if self.una >= self.round_end && una_advanced {
            self.round += 1;
            self.round_end = self.nxt;
            self.last_round_cwnd_limited = self.round_cwnd_limited;
            self.last_round_max_flight = self.round_max_flight;
            self.round_cwnd_limited = false;
            self.round_max_flight = self.in_flight();
        }

        // Timers: RFC 6298 5.2 and 5.3. Probing starts afresh when the host showed progress;
        // a DSACK alone (a probe's copy arrived twice) is none, so repeated probes still
        // meet the RTO.
        if una_advanced || delivered > 0 {
            self.probe_backoff = 0;
        }
        if self.sb.is_empty() {
            self.rto_at = None;
            self.reo_at = None;
        } else if una_advanced {
            self.rto_at = Some(now + self.rtt.rto());
        }
        self.arm_probe(now);
        AckResult::Processed { data_acked }
    }

    /// The SACK blocks of an ACK as offsets, in the host's order, keeping only those within
    /// what was sent (RFC 6675 and gVisor accept a block only then; anything else is a
    /// forged or corrupted option).
    fn sack_blocks(&self, sack: &[Option<(u32, u32)>; 4]) -> [Option<(u64, u64)>; 4] {
        let lowest = self.una.saturating_sub(self.max_wnd.max(self.seg_size));
        let mut out = [None; 4];
        let valid = sack.iter().flatten().filter_map(|&(l, r)| {
            let s = self.snd.offset(l, self.una)?;
            let e = self.snd.offset(r, self.una)?;
            (e > s && s >= lowest && e <= self.nxt).then_some((s, e))
        });
        for (slot, block) in out.iter_mut().zip(valid) {
            *slot = Some(block);
        }
        out
    }

    /// The state machine of Linux `tcp_fastretrans_alert`: end an episode whose losses are
    /// repaired, find new losses, start fast recovery when there are some.
    fn recovery_step(&mut self, now: Instant, una_advanced: bool, is_dupack: bool) {
        if let Some(high) = self.state.high()
            && self.una >= high
        {
            self.end_episode();
        }
        if self.sack_ok {
            if self.rack.advanced() {
                self.detect_losses(now);
            }
        } else {
            if is_dupack {
                self.reno_dupacks += 1;
            }
            match self.state {
                // NewReno (RFC 6582 3.2 step 3): a partial ACK means the next segment was
                // lost too.
                CaState::Recovery { .. } if una_advanced => self.sb.mark_head_lost(),
                CaState::Open | CaState::Disorder if self.reno_dupacks >= RENO_DUPTHRESH => {
                    self.sb.mark_head_lost()
                }
                _ => {}
            }
            if una_advanced {
                self.reno_dupacks = 0;
            }
        }
        if self.sb.lost_bytes() > 0
            && matches!(
                self.state,
                CaState::Open | CaState::Disorder | CaState::Cwr { .. }
            )
        {
            self.enter_recovery(now);
        }
        if matches!(self.state, CaState::Open | CaState::Disorder) {
            self.state = if self.sb.sacked_bytes() > 0 || self.reno_dupacks > 0 {
                CaState::Disorder
            } else {
                CaState::Open
            };
        }
    }

    /// RACK's walk, arming the reordering timer for what is not overdue yet.
    fn detect_losses(&mut self, now: Instant) {
        let srtt = self.srtt_or_rto();
        let in_recovery = matches!(self.state, CaState::Recovery { .. } | CaState::Loss { .. });
        let sacked_segments = self.sb.sacked_bytes() / self.seg_size.max(1);
        let reo = self
            .rack
            .reo_wnd(self.rtt.min_rtt(), srtt, in_recovery, sacked_segments);
        self.reo_at = self
            .rack
            .detect(&mut self.sb, now, reo)
            .map(|wait| now + wait + REO_SLACK);
    }

    fn enter_recovery(&mut self, now: Instant) {
        self.stats.fast_recoveries += 1;
        self.rack.on_recovery();
        self.undo = Some(Undo::new(self.una, self.w.cwnd, self.w.ssthresh));
        // From CWR the window is already being reduced for this episode (Linux
        // `tcp_enter_recovery`): only the undo marker is new.
        if !matches!(self.state, CaState::Cwr { .. }) {
            self.w.ssthresh = self.cc.on_congestion(now, &self.w);
            self.prr = Prr::new(self.w.cwnd);
        }
        self.probe = None;
        self.state = CaState::Recovery { high: self.nxt };
    }

    /// Everything sent before the episode began is acknowledged: finish the reduction (the
    /// window lands on ssthresh, Linux `tcp_end_cwnd_reduction`), or undo it if DSACKs showed
    /// every retransmission unneeded.
    fn end_episode(&mut self) {
        let spurious = self.undo.is_some_and(|u| u.is_spurious());
        match self.state {
            CaState::Recovery { .. } | CaState::Cwr { .. } => {
                if spurious {
                    self.undo_reduction();
                } else if !self.cc.model_based() {
                    self.w.cwnd = self.w.ssthresh.max(self.seg_size);
                }
            }
            CaState::Loss { .. } if spurious && self.undo.is_some_and(|u| u.any_retrans) => {
                self.undo_reduction()
            }
            _ => {}
        }
        self.undo = None;
        self.state = CaState::Open;
    }

    fn undo_reduction(&mut self) {
        if let Some(u) = self.undo {
            self.w.cwnd = self.w.cwnd.max(u.prior_cwnd);
            self.w.ssthresh = self.w.ssthresh.max(u.prior_ssthresh);
            self.cc.undo();
            self.stats.undos += 1;
        }
    }

    /// Linux `tcp_cong_control`: a model-based controller sets the window itself from the
    /// ACK; else PRR while reducing, growth when the window limited sending.
    fn update_window(
        &mut self,
        now: Instant,
        una_advanced: bool,
        delivered: u64,
        newly_lost: u64,
        prior_in_flight: u64,
        sample: Option<&rate::RateSample>,
    ) {
        if self.cc.model_based() {
            let ev = AckEvent {
                now,
                sample,
                delivered: self.rate.delivered(),
                acked: delivered,
                lost: newly_lost,
                prior_in_flight,
                in_flight: self.in_flight(),
                state: self.state,
                srtt: self.rtt.srtt(),
            };
            self.cc.on_ack_event(&mut self.w, &ev);
            self.pacer.set_rate(self.cc.pacing_rate());
            self.w.cwnd = self.w.cwnd.max(self.seg_size);
            return;
        }
        let newly_lost = newly_lost > 0;
        match self.state {
            CaState::Recovery { .. } | CaState::Cwr { .. } => {
                let in_flight = self.in_flight();
                if let Some(cwnd) = self.prr.window(
                    delivered,
                    in_flight,
                    self.w.ssthresh,
                    una_advanced && !newly_lost,
                    self.seg_size,
                ) {
                    self.w.cwnd = cwnd;
                }
            }
            CaState::Open | CaState::Disorder | CaState::Loss { .. } => {
                if una_advanced && delivered > 0 && self.is_cwnd_limited() {
                    let srtt = self.srtt_or_rto();
                    self.cc.on_ack(
                        &mut self.w,
                        AckSample {
                            now,
                            delivered,
                            srtt,
                        },
                    );
                }
            }
        }
        self.w.cwnd = self.w.cwnd.max(self.seg_size);
    }

    /// Whether the window (not the data the remote sends) limited sending recently (Linux
    /// `tcp_is_cwnd_limited`): only then does growing it mean anything.
    fn is_cwnd_limited(&self) -> bool {
        if self.w.in_slow_start() {
            let flight = self.round_max_flight.max(self.last_round_max_flight);
            return self.w.cwnd < 2 * flight;
        }
        self.round_cwnd_limited || self.last_round_cwnd_limited
    }

    /// A tail loss probe is settled by the first ACK beyond what was sent with it (Linux
    /// `tcp_process_tlp_ack`): if it resent a segment and no DSACK says the original had
    /// arrived, the probe repaired a loss, which costs one reduction.
    fn settle_probe(&mut self, now: Instant, ack: u64, dsacked: bool) {
        let Some(p) = self.probe else {
            return;
        };
        let resent = p.resent.is_some();
        if dsacked {
            self.probe = None;
            return;
        }
        if ack < p.high || (resent && ack == p.high) {
            return;
        }
        self.probe = None;
        if !resent || self.state.in_episode() {
            return;
        }
        self.stats.tlp_recoveries += 1;
        if self.cc.model_based() {
            // Loss is not a congestion signal to a model-based controller.
            return;
        }
        self.w.ssthresh = self.cc.on_congestion(now, &self.w);
        self.w.cwnd = self.w.ssthresh;
    }

    // ------------------------------------------------------------------ timers

    /// The earliest moment [`Sender::on_timeout`] must run.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        [
            self.rto_at,
            self.tlp_at,
            self.reo_at,
            self.persist_at,
            self.retry_at,
            self.pace_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers that are due.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Option<TimerResult> {
        let due = |t: Option<Instant>| t.is_some_and(|t| now >= t);
        let mut result = None;
        if due(self.retry_at) {
            self.retry_at = None;
            result = Some(TimerResult::Transmit);
        }
        if due(self.pace_at) {
            self.pace_at = None;
            result = Some(TimerResult::Transmit);
        }
        if due(self.reo_at) {
            self.reo_at = None;
            let lost_before = self.sb.marked_lost();
            let prior_in_flight = self.in_flight();
            self.detect_losses(now);
            let lost = self.sb.marked_lost() - lost_before;
            if lost > 0 {
                if !matches!(self.state, CaState::Recovery { .. } | CaState::Loss { .. }) {
                    self.enter_recovery(now);
                }
                // Linux `tcp_rack_reo_timeout` reduces as if one segment was delivered.
                self.update_window(now, false, self.seg_size, lost, prior_in_flight, None);
                result = Some(TimerResult::Transmit);
            }
        }
        if due(self.tlp_at) {
            self.tlp_at = None;
            if self.send_probe() {
                // The first probe takes the timeout's place; the RTO restarts from it (Linux
                // `tcp_send_loss_probe` re-arms it), so both never fire together. Later
                // probes leave it: a host that answers none of them meets the RTO.
                if self.probe_backoff == 0 {
                    self.rto_at = Some(now + self.rtt.rto());
                }
                self.probe_backoff = (self.probe_backoff + 1).min(MAX_PROBE_BACKOFF);
                return Some(TimerResult::Transmit);
            }
        }
        if due(self.rto_at) {
            self.rto_at = None;
            result = Some(self.on_rto(now));
        }
        if due(self.persist_at) {
            self.persist_at = None;
            if self.sb.is_empty() && self.nxt < self.data_end && self.una + self.wnd <= self.nxt {
                self.pending = Some(Transmit {
                    offset: self.nxt,
                    len: 1,
                    fin: false,
                    kind: TxKind::WindowProbe,
                });
                self.rtt.back_off();
                result = Some(TimerResult::Transmit);
            }
        }
        result
    }

    /// RFC 6298 5.4-5.7 with Linux's `tcp_enter_loss`: everything not SACKed is presumed
    /// lost, the window restarts from one segment, the timeout doubles.
    fn on_rto(&mut self, now: Instant) -> TimerResult {
        if self.sb.is_empty() {
            return TimerResult::Transmit;
        }
        self.retries += 1;
        if self.retries > self.cfg.max_retransmits {
            return TimerResult::GiveUp;
        }
        self.rtt.back_off();
        self.probe = None;
        self.probe_backoff = 0;
        self.tlp_at = None;
        self.reo_at = None;
        self.reno_dupacks = 0;
        if self.wnd == 0 {
            // The host closed its window: what is in flight (usually one probe byte) is
            // resent as a window probe on the persist timer's back-off. Not a sign of
            // congestion, and never a reason to give up on a host that answers.
            if let Some(head) = self.sb.head() {
                self.pending = Some(Transmit {
                    offset: head.start,
                    len: if head.is_fin() {
                        0
                    } else {
                        head.len().min(self.seg_size)
                    },
                    fin: head.is_fin(),
                    kind: TxKind::WindowProbe,
                });
            }
            self.rto_at = Some(now + self.rtt.rto());
            return TimerResult::Transmit;
        }
        self.stats.rtos += 1;
        debug!(
            state = ?self.state,
            una = self.una,
            nxt = self.nxt,
            data_end = self.data_end,
            in_flight = self.in_flight(),
            outstanding = self.sb.outstanding(),
            sacked = self.sb.sacked_bytes(),
            lost = self.sb.lost_bytes(),
            awaiting = self.sb.awaiting_retransmission(),
            cwnd = self.w.cwnd,
            ssthresh = self.w.ssthresh,
            wnd = self.wnd,
            srtt = ?self.rtt.srtt(),
            rack_rtt = ?self.rack.rtt(),
            probe = ?self.probe,
            head = ?self.sb.head(),
            "retransmission timeout toward the LAN host"
        );
        if matches!(self.state, CaState::Open | CaState::Disorder) || self.undo.is_none() {
            self.undo = Some(Undo::new(self.una, self.w.cwnd, self.w.ssthresh));
            self.w.ssthresh = self.cc.on_timeout(now, &self.w);
        }
        self.w.cwnd = self.seg_size;
        let recent = self.rack.rtt();
        self.sb
            .on_timeout(|seg| now.saturating_duration_since(seg.sent) < recent);
        self.state = CaState::Loss { high: self.nxt };
        self.rto_at = Some(now + self.rtt.rto());
        TimerResult::Transmit
    }

    /// A tail loss probe (RFC 8985 7.3): new data if the windows allow, else the last
    /// segment again, so the host's answer (a SACK) shows what is missing.
    ///
    /// New data goes as two segments where there are two: a host that already acknowledged
    /// everything before (in an ACK that was lost) delays its ACK of a lone in-order segment
    /// (Linux by 40 ms), while two full segments or a duplicate are acknowledged at once
    /// (RFC 5681 4.2). One new segment is only sent when that is all there is.
    fn send_probe(&mut self) -> bool {
        if !self.probe_allowed() {
            return false;
        }
        self.stats.tail_loss_probes += 1;
        let wnd_room = (self.una + self.wnd).saturating_sub(self.nxt);
        let new = self.data_end.saturating_sub(self.nxt).min(wnd_room);
        let t = if new >= 2 * self.seg_size || (new > 0 && self.sb.is_empty()) {
            Transmit {
                offset: self.nxt,
                len: new.min(2 * self.seg_size),
                fin: false,
                kind: TxKind::Probe,
            }
        } else {
            // The highest segment the host does not hold: the tail if it was lost, else the
            // last hole (a lost retransmission that nothing sent later can reveal, when the
            // buffer is all in flight). The host answers either with a SACK or by filling it.
            let Some(last) = self.sb.last_unsacked() else {
                return false;
            };
            Transmit {
                offset: last.start,
                len: if last.is_fin() { 0 } else { last.len() },
                fin: last.is_fin(),
                kind: TxKind::Probe,
            }
        };
        self.pending = Some(t);
        true
    }

    /// Whether a tail loss probe may be armed.
    ///
    /// Two departures from RFC 8985 7.2 and Linux, both for the way LAN hosts acknowledge:
    /// a host acknowledges a burst from the adapter with a single stretch ACK, so losing that
    /// one ACK (1 % of them on a lossy link) leaves the sender with a full window and nothing
    /// to hear, and only the RTO (200 ms, thousands of round trips) would end it.
    /// - Probes are allowed during fast recovery too: a probe two RTTs later draws an ACK
    ///   that says where the host is.
    /// - A probe the host does not answer is followed by another after twice the wait,
    ///   until the waits reach the RTO (QUIC's PTO, RFC 9002 6.2, backs off the same way and
    ///   likewise never collapses the window for it). Each probe is one or two segments.
    ///
    /// Not after a timeout: the path may be gone, and the RTO's own back-off governs then.
    fn probe_allowed(&self) -> bool {
        self.sack_ok
            && !self.sb.is_empty()
            && !matches!(self.state, CaState::Loss { .. })
            && self.rtt.srtt().is_some()
    }

    /// (Re)arms the tail loss probe two RTTs after the last transmission or ACK (doubled for
    /// every unanswered probe before it), no later than the RTO (RFC 8985 7.2).
    fn arm_probe(&mut self, now: Instant) {
        self.tlp_at = None;
        if !self.probe_allowed() || self.wnd == 0 {
            return;
        }
        let Some(srtt) = self.rtt.srtt() else {
            return;
        };
        let pto = if self.sb.outstanding() <= self.seg_size {
            2 * srtt + WC_DELAYED_ACK
        } else {
            2 * srtt + TLP_SLACK
        };
        let at = now + pto.saturating_mul(1 << self.probe_backoff);
        self.tlp_at = match self.rto_at {
            // The first probe goes no later than the RTO, in its place; later ones only
            // before it (then the RTO itself answers the silence).
            Some(rto) if at >= rto => (self.probe_backoff == 0).then_some(rto),
            _ => Some(at),
        };
    }

    // ------------------------------------------------------------------ other events

    /// The path to the host got a smaller MTU (an ICMP Packet Too Big or Fragmentation
    /// Needed from the LAN): cut segments to `seg_size` from now on and resend the ones
    /// in flight that are larger (Linux `tcp_simple_retransmit`). Not congestion: the window
    /// stays.
    pub(crate) fn on_mtu_reduced(&mut self, seg_size: u64, max_send: u64) {
        if seg_size >= self.seg_size {
            return;
        }
        self.seg_size = seg_size;
        self.max_send = max_send;
        self.w.mss = seg_size;
        self.sb.mark_oversized_lost(seg_size);
    }

    /// Writing `[start, end)` to the adapter failed, so it never left: resend it soon, and
    /// treat the full adapter as local congestion (Linux enters CWR on a local drop).
    pub(crate) fn on_transmit_failed(&mut self, now: Instant, start: u64, end: u64) {
        if end <= self.una || start >= self.nxt {
            return;
        }
        self.sb
            .mark_range_lost(start.max(self.una), end.min(self.nxt));
        if matches!(self.state, CaState::Open | CaState::Disorder) {
            self.undo = None;
            self.w.ssthresh = self.cc.on_congestion(now, &self.w);
            self.prr = Prr::new(self.w.cwnd);
            self.state = CaState::Cwr { high: self.nxt };
        }
        self.retry_at = Some(now + WRITE_RETRY);
    }

    /// Forgets what is buffered (the connection is gone).
    pub(crate) fn clear(&mut self) {
        self.buf = VecDeque::new();
        self.sb.clear();
        self.rto_at = None;
        self.tlp_at = None;
        self.reo_at = None;
        self.persist_at = None;
        self.retry_at = None;
        self.pace_at = None;
        self.pending = None;
    }

    /// Stops every timer (the flow finished; only TIME_WAIT remains).
    pub(crate) fn stop_timers(&mut self) {
        self.rto_at = None;
        self.tlp_at = None;
        self.reo_at = None;
        self.persist_at = None;
        self.retry_at = None;
        self.pace_at = None;
    }

    fn in_flight(&self) -> u64 {
        let pipe = self.sb.in_flight();
        if self.sack_ok {
            pipe
        } else {
            // Each duplicate ACK from a host without SACK means a segment left the network
            // (Linux counts them as SACKed: `tcp_add_reno_sack`).
            pipe.saturating_sub(u64::from(self.reno_dupacks) * self.seg_size)
        }
    }

    fn srtt_or_rto(&self) -> Duration {
        self.rtt.srtt().unwrap_or_else(|| self.rtt.rto())
    }

    /// The current loss-recovery state's name, for tests and the trace.
    #[cfg(test)]
    pub(crate) fn state(&self) -> CaState {
        self.state
    }

    #[cfg(test)]
    pub(crate) fn window(&self) -> Window {
        self.w
    }

    #[cfg(test)]
    pub(crate) fn scoreboard(&self) -> &Scoreboard {
        &self.sb
    }
}

/// RTT samples and signs of reordering gathered while an ACK is processed; only segments
/// sent once count (Karn's rule).
#[derive(Debug, Default)]
struct Samples {
    /// Send time of the first segment the cumulative ACK newly covered (the RFC 6298 sample,
    /// Linux `seq_rtt_us`).
    acked_first: Option<Instant>,
    /// Send time of the oldest newly SACKed one, used when the cumulative ACK did not move.
    sacked_oldest: Option<Instant>,
    /// Send time of the newest newly delivered one (for the minimum RTT and HyStart++).
    newest: Option<Instant>,
    reordering: bool,
}

impl Samples {
    fn acked(&mut self, seg: &scoreboard::Segment, prior_fack: u64) {
        self.note(seg, prior_fack, true);
    }

    fn sacked(&mut self, seg: &scoreboard::Segment, prior_fack: u64) {
        self.note(seg, prior_fack, false);
    }

    fn note(&mut self, seg: &scoreboard::Segment, prior_fack: u64, cumulative: bool) {
        if seg.ever_retransmitted() {
            return;
        }
        // Delivered below what the host had already SACKed, never resent: it was late, not
        // lost (Linux `tcp_check_sack_reordering`).
        if seg.end <= prior_fack {
            self.reordering = true;
        }
        if cumulative {
            self.acked_first.get_or_insert(seg.sent);
        } else {
            self.sacked_oldest = Some(self.sacked_oldest.map_or(seg.sent, |t| t.min(seg.sent)));
        }
        self.newest = Some(self.newest.map_or(seg.sent, |t| t.max(seg.sent)));
    }
}
