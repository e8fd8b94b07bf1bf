//! Retransmission timeout estimation (RFC 6298) for the LAN leg.

use std::time::Duration;

/// Smoothed RTT state with the RFC 6298 formulas; Karn's rule is the caller's job (never
/// sample a retransmitted segment).
#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    min: Duration,
    max: Duration,
    /// Exponent of the current back-off (RFC 6298 5.5).
    backoff: u32,
}

/// RFC 6298 2.1: before any sample the RTO is one second.
const INITIAL_RTO: Duration = Duration::from_secs(1);

impl RttEstimator {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            min,
            max,
            backoff: 0,
        }
    }

    /// Feeds one round-trip measurement (RFC 6298 2.2 and 2.3, alpha 1/8, beta 1/4).
    pub(crate) fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let delta = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + delta) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
        self.backoff = 0;
    }

    /// The current timeout, with back-off applied and clamped to the configured bounds.
    pub(crate) fn rto(&self) -> Duration {
        let base = match self.srtt {
            None => INITIAL_RTO,
            // K = 4; the clock granularity term G is folded into the minimum.
            Some(srtt) => srtt + self.rttvar * 4,
        };
        // RFC 6298 2.4 then 5.5: the floor applies before the doubling, or a LAN RTT far
        // below the floor would never back off at all.
        base.max(self.min)
            .saturating_mul(1u32 << self.backoff.min(16))
            .min(self.max)
    }

    /// Doubles the timeout after an expiry (RFC 6298 5.5).
    pub(crate) fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// Forgets the back-off once new data is acknowledged.
    pub(crate) fn reset_backoff(&mut self) {
        self.backoff = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(Duration::from_millis(200), Duration::from_secs(60))
    }

    #[test]
    fn initial_rto_is_one_second() {
        assert_eq!(est().rto(), Duration::from_secs(1));
    }

    #[test]
    fn first_sample_sets_srtt_and_var() {
        let mut e = est();
        e.sample(Duration::from_millis(100));
        // 100 + 4 * 50 = 300 ms
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn small_rtts_are_clamped_to_the_floor() {
        let mut e = est();
        for _ in 0..20 {
            e.sample(Duration::from_micros(100));
        }
        assert_eq!(e.rto(), Duration::from_millis(200));
    }

    #[test]
    fn backoff_doubles_from_the_floor_when_the_rtt_is_tiny() {
        let mut e = est();
        e.sample(Duration::from_micros(300));
        assert_eq!(e.rto(), Duration::from_millis(200));
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(400));
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(800));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut e = est();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(2));
        for _ in 0..40 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(Duration::from_millis(100));
        assert_eq!(e.rto(), Duration::from_millis(300));
    }
}
