//! Round-trip time toward the LAN host: the smoothed estimate behind the retransmission
//! timeout (RFC 6298) and the windowed minimum that RACK's reordering window and HyStart++
//! are built on.
//!
//! Samples come from every ACK that covers data sent only once (Karn's rule is the caller's:
//! a retransmitted segment is never sampled), so there are many per round trip; the RFC's
//! gains still converge, and the RTO floor keeps the timer conservative where they make
//! RTTVAR small.

use std::time::{Duration, Instant};

/// RFC 6298 2.1: before any sample the RTO is one second.
const INITIAL_RTO: Duration = Duration::from_secs(1);
/// Clock granularity term G of RFC 6298 2.3. The engine's clock has nanoseconds; this only
/// keeps a perfectly steady RTT from producing an RTO equal to it.
const GRANULARITY: Duration = Duration::from_micros(100);
/// How long a minimum RTT stays valid: a path whose delay grew (a host that moved away from
/// its access point) must not keep a stale minimum forever. Linux keeps 5 minutes; LAN paths
/// change faster.
const MIN_RTT_WINDOW: Duration = Duration::from_secs(30);

/// RTT state of one connection.
#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    min: Option<(Duration, Instant)>,
    rto_min: Duration,
    rto_max: Duration,
    /// Exponent of the current back-off (RFC 6298 5.5).
    backoff: u32,
}

impl RttEstimator {
    pub(crate) fn new(rto_min: Duration, rto_max: Duration) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            min: None,
            rto_min,
            rto_max,
            backoff: 0,
        }
    }

    /// Feeds one ACK's measurements: `rtt` for the smoothed estimate (RFC 6298 2.2 and 2.3,
    /// alpha 1/8, beta 1/4), `newest` (from the most recently sent segment it covered) for
    /// the minimum. A valid sample ends any back-off (Linux `tcp_ack_update_rtt`).
    pub(crate) fn sample(&mut self, now: Instant, rtt: Duration, newest: Duration) {
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
        match self.min {
            Some((m, at)) if newest > m && now.saturating_duration_since(at) < MIN_RTT_WINDOW => {}
            _ => self.min = Some((newest, now)),
        }
        self.backoff = 0;
    }

    /// The smoothed RTT; the handshake's sample or, before any, the initial RTO's worth.
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The smallest recent sample (RACK and HyStart++ use it as the path's base delay).
    pub(crate) fn min_rtt(&self) -> Option<Duration> {
        self.min.map(|(m, _)| m)
    }

    /// The current timeout, with back-off applied and clamped to the configured bounds.
    pub(crate) fn rto(&self) -> Duration {
        self.rto_unbacked()
            .saturating_mul(1u32 << self.backoff.min(16))
            .min(self.rto_max)
    }

    /// The timeout before back-off. RFC 6298 2.4 then 5.5: the floor applies before the
    /// doubling, or a LAN RTT far below the floor would never back off at all.
    fn rto_unbacked(&self) -> Duration {
        match self.srtt {
            None => INITIAL_RTO,
            Some(srtt) => srtt + (self.rttvar * 4).max(GRANULARITY),
        }
        .max(self.rto_min)
    }

    /// Doubles the timeout after an expiry (RFC 6298 5.5).
    pub(crate) fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// How many expiries in a row the timeout has been doubled for.
    #[cfg(test)]
    pub(crate) fn backoff(&self) -> u32 {
        self.backoff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(Duration::from_millis(200), Duration::from_secs(60))
    }

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    #[test]
    fn initial_rto_is_one_second() {
        assert_eq!(est().rto(), Duration::from_secs(1));
    }

    #[test]
    fn first_sample_sets_srtt_and_var() {
        let mut e = est();
        e.sample(t0(), Duration::from_millis(100), Duration::from_millis(100));
        // 100 + 4 * 50 = 300 ms
        assert_eq!(e.rto(), Duration::from_millis(300));
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn small_rtts_are_clamped_to_the_floor() {
        let mut e = est();
        let t = t0();
        for _ in 0..20 {
            e.sample(t, Duration::from_micros(100), Duration::from_micros(100));
        }
        assert_eq!(e.rto(), Duration::from_millis(200));
        assert_eq!(e.min_rtt(), Some(Duration::from_micros(100)));
    }

    #[test]
    fn backoff_doubles_from_the_floor_when_the_rtt_is_tiny() {
        let mut e = est();
        e.sample(t0(), Duration::from_micros(300), Duration::from_micros(300));
        assert_eq!(e.rto(), Duration::from_millis(200));
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(400));
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(800));
    }

    #[test]
    fn backoff_doubles_is_capped_and_a_sample_ends_it() {
        let mut e = est();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(2));
        for _ in 0..40 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(t0(), Duration::from_millis(100), Duration::from_millis(100));
        assert_eq!(e.rto(), Duration::from_millis(300));
        assert_eq!(e.backoff(), 0);
    }

    #[test]
    fn min_rtt_expires_after_its_window() {
        let mut e = est();
        let t = t0();
        e.sample(t, Duration::from_millis(1), Duration::from_millis(1));
        e.sample(
            t + Duration::from_secs(1),
            Duration::from_millis(5),
            Duration::from_millis(5),
        );
        assert_eq!(e.min_rtt(), Some(Duration::from_millis(1)));
        e.sample(
            t + MIN_RTT_WINDOW,
            Duration::from_millis(5),
            Duration::from_millis(5),
        );
        assert_eq!(e.min_rtt(), Some(Duration::from_millis(5)));
    }
}
