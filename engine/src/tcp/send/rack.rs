//! RACK (RFC 8985 6): loss detection by time instead of by counting duplicate ACKs. A
//! segment is lost once a segment sent after it has been delivered and more than one RTT
//! plus a small reordering window has passed since it was sent.
//!
//! Because the test is on send times, retransmissions take part like any other segment: a
//! lost retransmission is found one RTT later instead of by a retransmission timeout, which
//! is what keeps a modern sender out of RTOs under random loss. The reordering window starts
//! at a quarter of the minimum RTT, drops to zero once three segments beyond a hole are
//! SACKed (the classic duplicate-ACK threshold, while no reordering was ever seen), and grows
//! when DSACKs show that segments judged lost were only late (Linux `tcp_recovery.c`).

use std::time::{Duration, Instant};

use super::scoreboard::{Scoreboard, Segment, Verdict};

/// RFC 8985 6.2 and Linux: the reordering window may grow to at most SRTT in steps of
/// min_rtt/4, and falls back to one step after this many recoveries without a DSACK.
const REO_WND_PERSIST: u32 = 16;
const MAX_STEPS: u32 = 255;
/// Segments SACKed beyond a hole that make the reordering window zero while no reordering
/// was seen (RFC 8985 6.2 step 4, the duplicate-ACK threshold).
pub(crate) const DUPTHRESH: u64 = 3;

/// RACK state of one flow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rack {
    /// Send time and end of the most recently sent segment known delivered.
    newest: Option<(Instant, u64)>,
    /// RTT of the delivery that set `newest` (RACK.rtt).
    rtt: Duration,
    /// Something new was delivered since the last detection.
    advanced: bool,
    /// The host has shown reordering (a never-retransmitted segment arrived below one SACKed
    /// after it).
    reordering_seen: bool,
    steps: u32,
    persist: u32,
    dsack_pending: bool,
    last_step: Option<Instant>,
}

/// Whether segment a (sent at `t1`, ending at `e1`) was sent after segment b.
fn sent_after(t1: Instant, e1: u64, t2: Instant, e2: u64) -> bool {
    t1 > t2 || (t1 == t2 && e1 > e2)
}

impl Rack {
    /// A segment was delivered (cumulatively ACKed or SACKed) at `now`.
    pub(crate) fn on_delivered(&mut self, seg: &Segment, now: Instant, min_rtt: Option<Duration>) {
        let rtt = now.saturating_duration_since(seg.sent);
        if seg.ever_retransmitted() && min_rtt.is_some_and(|m| rtt < m) {
            // Faster than the path allows: the original copy was delivered, not this
            // retransmission, so the send time says nothing (RFC 8985 6.2 step 2).
            return;
        }
        self.advanced = true;
        self.rtt = rtt;
        if self
            .newest
            .is_none_or(|(t, e)| sent_after(seg.sent, seg.end, t, e))
        {
            self.newest = Some((seg.sent, seg.end));
        }
    }

    /// A never-retransmitted segment ending at `end` arrived after the host had already
    /// SACKed beyond it (`fack`): the path reorders (RFC 8985 6.2 step 3).
    pub(crate) fn on_reordering(&mut self) {
        self.reordering_seen = true;
    }

    /// A DSACK arrived: a segment was delivered twice, so one judged lost may have been
    /// late. The window grows by a step at most once per round trip.
    pub(crate) fn on_dsack(&mut self) {
        self.dsack_pending = true;
    }

    /// Applies a pending DSACK to the reordering window (Linux `tcp_rack_update_reo_wnd`).
    pub(crate) fn adapt(&mut self, now: Instant, srtt: Duration) {
        if self.steps == 0 {
            self.steps = 1;
        }
        if !self.dsack_pending {
            return;
        }
        self.dsack_pending = false;
        if self
            .last_step
            .is_some_and(|t| now.saturating_duration_since(t) < srtt)
        {
            return;
        }
        self.steps = (self.steps + 1).min(MAX_STEPS);
        self.persist = REO_WND_PERSIST;
        self.last_step = Some(now);
    }

    /// A recovery episode began: a window that grew for reordering shrinks back after
    /// [`REO_WND_PERSIST`] episodes without a DSACK.
    pub(crate) fn on_recovery(&mut self) {
        if self.persist > 0 {
            self.persist -= 1;
        } else {
            self.steps = 1;
        }
    }

    /// The reordering window (RFC 8985 6.2 step 4).
    pub(crate) fn reo_wnd(
        &self,
        min_rtt: Option<Duration>,
        srtt: Duration,
        in_recovery: bool,
        sacked_segments: u64,
    ) -> Duration {
        if !self.reordering_seen && (in_recovery || sacked_segments >= DUPTHRESH) {
            return Duration::ZERO;
        }
        let step = min_rtt.unwrap_or(srtt) / 4;
        (step * self.steps.max(1)).min(srtt)
    }

    /// Marks every segment that is overdue lost (RFC 8985 6.2 step 5). Returns how long until
    /// the next one would be, if any waits (the reordering timer).
    pub(crate) fn detect(
        &mut self,
        sb: &mut Scoreboard,
        now: Instant,
        reo_wnd: Duration,
    ) -> Option<Duration> {
        self.advanced = false;
        let (newest_sent, newest_end) = self.newest?;
        let deadline = self.rtt + reo_wnd;
        sb.detect_loss(|seg| {
            if !sent_after(newest_sent, newest_end, seg.sent, seg.end) {
                // Sent at or after the newest delivered segment: nothing to judge. Segments
                // further on were first sent later still, unless this one is a resend.
                return if seg.ever_retransmitted() {
                    Verdict::Skip
                } else {
                    Verdict::Stop
                };
            }
            let elapsed = now.saturating_duration_since(seg.sent);
            match deadline.checked_sub(elapsed) {
                Some(left) if !left.is_zero() => Verdict::Wait(left),
                _ => Verdict::Lost,
            }
        })
    }

    /// Whether something was delivered since the last detection (only then can a walk find
    /// anything new, Linux `tcp_rack_mark_lost`).
    pub(crate) fn advanced(&self) -> bool {
        self.advanced
    }

    /// RACK.rtt: how long the latest delivery took (an RTO spares segments sent more recently
    /// than this).
    pub(crate) fn rtt(&self) -> Duration {
        self.rtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::send::rate::TxStamp;

    fn stamp(t: Instant) -> TxStamp {
        TxStamp {
            delivered: 0,
            delivered_time: t,
            first_sent_time: t,
            app_limited: false,
        }
    }

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Ten 100-byte segments sent 10 us apart.
    fn board(t: Instant) -> Scoreboard {
        let mut s = Scoreboard::default();
        for i in 0..10u64 {
            s.push(i * 100, i * 100 + 100, t + us(i * 10), false, stamp(t));
        }
        s
    }

    #[test]
    fn a_hole_is_lost_one_rtt_plus_the_window_after_it_was_sent() {
        let t = t0();
        let mut sb = board(t);
        let mut rack = Rack::default();
        // Segment 1 (sent at 10 us) is SACKed at 110 us: RTT 100 us.
        let now = t + us(110);
        sb.sack(100, 200, |s| rack.on_delivered(s, now, Some(us(100))));
        let reo = rack.reo_wnd(Some(us(100)), us(100), false, 1);
        assert_eq!(reo, us(25), "min_rtt / 4 before three segments are SACKed");
        // Segment 0 was sent at 0: due at 0 + 100 + 25 = 125 us; 15 us to go.
        assert_eq!(rack.detect(&mut sb, now, reo), Some(us(15)));
        assert_eq!(sb.lost_bytes(), 0);
        assert_eq!(rack.detect(&mut sb, t + us(125), reo), None);
        assert_eq!(sb.lost_bytes(), 100);
    }

    #[test]
    fn three_sacked_segments_make_the_window_zero() {
        let t = t0();
        let mut sb = board(t);
        let mut rack = Rack::default();
        let now = t + us(130);
        sb.sack(100, 400, |s| rack.on_delivered(s, now, Some(us(100))));
        let reo = rack.reo_wnd(Some(us(100)), us(100), false, 3);
        assert_eq!(reo, Duration::ZERO);
        rack.detect(&mut sb, now, reo);
        assert_eq!(sb.lost_bytes(), 100, "segment 0 at once");
    }

    #[test]
    fn a_lost_retransmission_is_found_without_a_timeout() {
        let t = t0();
        let mut sb = board(t);
        let mut rack = Rack::default();
        let mut now = t + us(130);
        sb.sack(100, 400, |s| rack.on_delivered(s, now, Some(us(100))));
        rack.detect(&mut sb, now, Duration::ZERO);
        let lost = sb.next_lost(100).unwrap();
        sb.on_retransmitted(lost.start, now, stamp(t));
        // The retransmission at 130 us is lost too; segments 4.. (sent at 40 us and later)
        // keep being SACKed. Only a delivery of something sent after 130 us can judge it.
        now = t + us(200);
        sb.sack(400, 1000, |s| rack.on_delivered(s, now, Some(us(100))));
        rack.detect(&mut sb, now, Duration::ZERO);
        assert_eq!(sb.next_lost(100).map(|s| s.start), None, "not judged yet");
        // New data sent at 140 us is SACKed at 240 us: the retransmission is now overdue.
        sb.push(1000, 1100, t + us(140), false, stamp(t));
        now = t + us(240);
        sb.sack(1000, 1100, |s| rack.on_delivered(s, now, Some(us(100))));
        rack.detect(&mut sb, now, Duration::ZERO);
        assert_eq!(
            sb.next_lost(100).map(|s| s.start),
            Some(0),
            "lost again, resend"
        );
        sb.check();
    }

    #[test]
    fn dsacks_widen_the_window_once_per_round_trip() {
        let t = t0();
        let mut rack = Rack::default();
        rack.on_reordering();
        rack.adapt(t, us(100));
        assert_eq!(rack.reo_wnd(Some(us(100)), us(400), true, 5), us(25));
        rack.on_dsack();
        rack.adapt(t, us(400));
        rack.on_dsack();
        rack.adapt(t + us(10), us(400));
        assert_eq!(rack.reo_wnd(Some(us(100)), us(400), true, 5), us(50));
        rack.on_dsack();
        rack.adapt(t + us(500), us(400));
        assert_eq!(rack.reo_wnd(Some(us(100)), us(400), true, 5), us(75));
        // Capped at SRTT.
        for i in 0..20 {
            rack.on_dsack();
            rack.adapt(t + us(1000 * (i + 1)), us(400));
        }
        assert_eq!(rack.reo_wnd(Some(us(100)), us(400), true, 5), us(400));
        // Sixteen recoveries without a DSACK, then back to one step.
        for _ in 0..=REO_WND_PERSIST {
            rack.on_recovery();
        }
        assert_eq!(rack.reo_wnd(Some(us(100)), us(400), true, 5), us(25));
    }

    #[test]
    fn an_ambiguous_retransmission_does_not_move_rack() {
        let t = t0();
        let mut sb = board(t);
        sb.mark_head_lost();
        sb.on_retransmitted(0, t + us(200), stamp(t));
        let head = *sb.head().unwrap();
        let mut rack = Rack::default();
        // ACKed 20 us after the resend, faster than the 100 us path: the original arrived.
        rack.on_delivered(&head, t + us(220), Some(us(100)));
        assert!(!rack.advanced());
    }
}
