//! HyStart++ (RFC 9406): leave slow start when the round trip starts to grow, before the
//! doubling window overflows a queue and loses a whole window's worth.
//!
//! On a LAN whose RTT is tens of microseconds the delay signal (at least 4 ms more than the
//! previous round) never fires and slow start ends on the first loss, as it should there;
//! behind Wi-Fi or a slow bottleneck, where a queue builds over milliseconds, it saves the
//! burst of losses that ends a plain slow start.

use std::time::Duration;

/// RFC 9406 4.2 constants.
const MIN_RTT_THRESH: Duration = Duration::from_millis(4);
const MAX_RTT_THRESH: Duration = Duration::from_millis(16);
const MIN_RTT_DIVISOR: u32 = 8;
const N_RTT_SAMPLE: u32 = 8;
const CSS_GROWTH_DIVISOR: u64 = 4;
const CSS_ROUNDS: u32 = 5;
/// Most growth per ACK in segments without pacing (RFC 9406 4.3, L).
pub(crate) const L: u64 = 8;

/// Where slow start stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Standard slow start.
    SlowStart,
    /// Conservative Slow Start: the RTT grew, grow a quarter as fast while checking it was
    /// not a fluke.
    Css,
    /// Slow start is over (HyStart++ told the controller to set ssthresh, or a loss did).
    Done,
}

/// HyStart++ state for the initial slow start.
#[derive(Debug, Clone)]
pub(crate) struct HyStart {
    phase: Phase,
    round: u64,
    last_round_min: Option<Duration>,
    current_round_min: Option<Duration>,
    samples: u32,
    css_baseline: Option<Duration>,
    css_rounds: u32,
}

impl Default for HyStart {
    fn default() -> Self {
        HyStart {
            phase: Phase::SlowStart,
            round: 0,
            last_round_min: None,
            current_round_min: None,
            samples: 0,
            css_baseline: None,
            css_rounds: 0,
        }
    }
}

impl HyStart {
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// Slow start ended for another reason (a loss): HyStart++ applies only to the first one
    /// (RFC 9406 4.3).
    pub(crate) fn finish(&mut self) {
        self.phase = Phase::Done;
    }

    /// Growth for `delivered` bytes in the current phase, before the controller applies it.
    pub(crate) fn growth(&self, delivered: u64, mss: u64) -> u64 {
        let capped = delivered.min(L * mss);
        match self.phase {
            Phase::Css => capped / CSS_GROWTH_DIVISOR,
            _ => capped,
        }
    }

    /// One RTT sample in round `round` (rounds count up as the ACK passes the sequence that
    /// was next to send when the previous round began). Returns true when slow start must end
    /// now (ssthresh = cwnd).
    pub(crate) fn on_rtt(&mut self, rtt: Duration, round: u64) -> bool {
        if self.phase == Phase::Done {
            return false;
        }
        if round != self.round {
            self.round = round;
            self.last_round_min = self.current_round_min.take();
            self.samples = 0;
            if self.phase == Phase::Css {
                self.css_rounds += 1;
                if self.css_rounds >= CSS_ROUNDS {
                    self.phase = Phase::Done;
                    return true;
                }
            }
        }
        self.current_round_min = Some(self.current_round_min.map_or(rtt, |m| m.min(rtt)));
        self.samples += 1;
        let (Some(current), Some(last)) = (self.current_round_min, self.last_round_min) else {
            return false;
        };
        match self.phase {
            Phase::SlowStart if self.samples >= N_RTT_SAMPLE => {
                let thresh = (last / MIN_RTT_DIVISOR).clamp(MIN_RTT_THRESH, MAX_RTT_THRESH);
                if current >= last + thresh {
                    self.phase = Phase::Css;
                    self.css_baseline = Some(current);
                    self.css_rounds = 0;
                }
            }
            Phase::Css if self.css_baseline.is_some_and(|b| current < b) => {
                // The delay increase was spurious: back to standard slow start.
                self.phase = Phase::SlowStart;
                self.css_baseline = None;
            }
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn round(h: &mut HyStart, r: u64, rtt: Duration) -> bool {
        (0..N_RTT_SAMPLE).any(|_| h.on_rtt(rtt, r))
    }

    #[test]
    fn growing_delay_enters_css_and_ends_slow_start_after_five_rounds() {
        let mut h = HyStart::default();
        assert!(!round(&mut h, 1, ms(20)));
        assert!(!round(&mut h, 2, ms(20)));
        assert_eq!(h.phase(), Phase::SlowStart);
        // 20 ms + clamp(20/8, 4, 16) = 24 ms: 25 ms is an increase.
        assert!(!round(&mut h, 3, ms(25)));
        assert_eq!(h.phase(), Phase::Css);
        assert_eq!(h.growth(8000, 1000), 2000, "a quarter of the growth in CSS");
        let mut ended = false;
        for r in 4..=8 {
            ended |= round(&mut h, r, ms(26));
        }
        assert!(ended);
        assert_eq!(h.phase(), Phase::Done);
    }

    #[test]
    fn a_delay_that_falls_back_returns_to_slow_start() {
        let mut h = HyStart::default();
        round(&mut h, 1, ms(20));
        round(&mut h, 2, ms(30));
        assert_eq!(h.phase(), Phase::Css);
        round(&mut h, 3, ms(21));
        assert_eq!(h.phase(), Phase::SlowStart);
    }

    #[test]
    fn lan_rtts_never_trigger_it() {
        let mut h = HyStart::default();
        for r in 1..100 {
            // 50 us growing to 1 ms: far below the 4 ms minimum threshold.
            assert!(!round(&mut h, r, Duration::from_micros(50 + r * 10)));
        }
        assert_eq!(h.phase(), Phase::SlowStart);
    }

    #[test]
    fn growth_per_ack_is_capped() {
        let h = HyStart::default();
        assert_eq!(h.growth(100_000, 1000), L * 1000);
    }
}
