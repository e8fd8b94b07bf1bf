//! NewReno's window (RFC 5681): one segment per round trip in congestion avoidance, half the
//! window on loss. The recovery half of NewReno (RFC 6582 partial ACKs) is the sender's.

use std::time::{Duration, Instant};

use super::{AckSample, Controller, Window, slow_start};

/// NewReno state: only what undoing a reduction needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewReno {
    /// Bytes acknowledged toward the next one-segment increase (RFC 3465 byte counting).
    acked: u64,
}

impl Controller for NewReno {
    fn on_ack(&mut self, w: &mut Window, ack: AckSample) {
        let mut delivered = ack.delivered;
        if w.in_slow_start() {
            delivered = slow_start(w, delivered, u64::MAX);
            if delivered == 0 {
                return;
            }
        }
        // RFC 5681 3.1: cwnd += SMSS * SMSS / cwnd per ACK, here counted in bytes so that
        // stretch ACKs (which cover several segments) grow it as much.
        self.acked += delivered;
        if self.acked >= w.cwnd {
            self.acked -= w.cwnd;
            w.cwnd += w.mss;
        }
    }

    fn on_congestion(&mut self, _now: Instant, w: &Window) -> u64 {
        self.acked = 0;
        // RFC 5681 eq. (4), with the window as the flight size (what Linux's Reno does).
        (w.cwnd / 2).max(2 * w.mss)
    }

    fn undo(&mut self) {}

    fn on_idle_restart(&mut self, _idle: Duration) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    fn ack(delivered: u64) -> AckSample {
        AckSample {
            now: now(),
            delivered,
            srtt: Duration::from_millis(10),
        }
    }

    #[test]
    fn slow_start_doubles_per_round_then_one_segment_per_round() {
        let mut r = NewReno::default();
        let mut w = Window {
            cwnd: 10_000,
            ssthresh: 20_000,
            mss: 1000,
        };
        for _ in 0..10 {
            r.on_ack(&mut w, ack(1000));
        }
        assert_eq!(
            w.cwnd, 20_000,
            "one round of slow start doubles it, up to ssthresh"
        );
        // A round of congestion avoidance: 20 segments acknowledged, one segment more.
        for _ in 0..20 {
            r.on_ack(&mut w, ack(1000));
        }
        assert_eq!(w.cwnd, 21_000);
    }

    #[test]
    fn loss_halves_but_keeps_two_segments() {
        let mut r = NewReno::default();
        let w = Window {
            cwnd: 10_000,
            ssthresh: u64::MAX,
            mss: 1000,
        };
        assert_eq!(r.on_congestion(now(), &w), 5_000);
        let small = Window { cwnd: 3_000, ..w };
        assert_eq!(r.on_congestion(now(), &small), 2_000);
    }
}
