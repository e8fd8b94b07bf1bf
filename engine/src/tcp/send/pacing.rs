//! Pacing: spreading a window's worth of segments over the round trip instead of sending it
//! at once. A rate-based controller (BBR) depends on it: its window is twice the path's
//! bandwidth-delay product, so unpaced it would dump a whole extra BDP into the bottleneck's
//! queue on every ACK burst.
//!
//! A token bucket (quinn's `pacing.rs` works the same way) refilled at the pacing rate, with a
//! burst of about a millisecond of it, as Linux sizes its TSO bursts under pacing
//! (`bbr_tso_segs_goal`): between two and the most segments one super-segment may carry.

use std::time::{Duration, Instant};

/// Time worth of the rate one burst may carry.
const BURST_TIME: Duration = Duration::from_millis(1);
/// Largest burst: one super-segment's payload.
const MAX_BURST: u64 = 64 * 1024;

/// The token bucket of one flow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pacer {
    /// Bytes per second; 0: not pacing.
    rate: u64,
    /// Bytes that may go now (negative after a send larger than what was there).
    tokens: i64,
    last: Option<Instant>,
}

impl Pacer {
    /// Sets the rate (bytes per second); 0 turns pacing off.
    pub(crate) fn set_rate(&mut self, rate: u64) {
        self.rate = rate;
    }

    /// Whether pacing is on.
    pub(crate) fn is_on(&self) -> bool {
        self.rate > 0
    }

    /// The most a burst may carry at the current rate, for segments of `mss` bytes.
    pub(crate) fn burst(&self, mss: u64) -> u64 {
        let per_burst = self.bytes_in(BURST_TIME);
        per_burst.clamp(2 * mss, MAX_BURST.max(2 * mss))
    }

    /// Bytes that may be sent now (0 when the bucket is empty); everything when not pacing.
    pub(crate) fn allowance(&mut self, now: Instant, mss: u64) -> u64 {
        if !self.is_on() {
            return u64::MAX;
        }
        self.refill(now, mss);
        u64::try_from(self.tokens).unwrap_or(0)
    }

    /// When `len` bytes may go, if not now.
    pub(crate) fn next_send(&mut self, now: Instant, len: u64, mss: u64) -> Option<Instant> {
        if !self.is_on() {
            return None;
        }
        self.refill(now, mss);
        let missing = i128::from(len.min(self.burst(mss))) - i128::from(self.tokens);
        if missing <= 0 {
            return None;
        }
        let ns = (missing as u128 * 1_000_000_000).div_ceil(u128::from(self.rate.max(1)));
        Some(now + Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)))
    }

    /// `len` bytes went out.
    pub(crate) fn on_sent(&mut self, len: u64) {
        if self.is_on() {
            self.tokens = self
                .tokens
                .saturating_sub(i64::try_from(len).unwrap_or(i64::MAX));
        }
    }

    fn refill(&mut self, now: Instant, mss: u64) {
        let cap = i64::try_from(self.burst(mss)).unwrap_or(i64::MAX);
        let Some(last) = self.last else {
            self.last = Some(now);
            self.tokens = cap;
            return;
        };
        let added = self.bytes_in(now.saturating_duration_since(last));
        self.tokens = self
            .tokens
            .saturating_add(i64::try_from(added).unwrap_or(i64::MAX));
        if self.tokens >= cap {
            self.tokens = cap;
            self.last = Some(now);
        } else {
            // Only the time the whole bytes took is spent: the fraction of a byte left over
            // counts toward the next refill, or a slow rate would never add a byte.
            let ns = u128::from(added) * 1_000_000_000 / u128::from(self.rate.max(1));
            self.last = Some(last + Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)));
        }
    }

    fn bytes_in(&self, d: Duration) -> u64 {
        u64::try_from(u128::from(self.rate) * d.as_nanos() / 1_000_000_000).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    #[test]
    fn off_by_default() {
        let mut p = Pacer::default();
        assert_eq!(p.allowance(t0(), 1000), u64::MAX);
        assert_eq!(p.next_send(t0(), 64_000, 1000), None);
    }

    #[test]
    fn spreads_sends_at_the_rate() {
        // 10 MB/s: a burst is 10 kB (1 ms); after it, 1000 bytes every 100 us.
        let t = t0();
        let mut p = Pacer::default();
        p.set_rate(10_000_000);
        assert_eq!(p.allowance(t, 1000), 10_000);
        p.on_sent(10_000);
        assert_eq!(p.allowance(t, 1000), 0);
        assert_eq!(
            p.next_send(t, 1000, 1000),
            Some(t + Duration::from_micros(100))
        );
        assert_eq!(p.allowance(t + Duration::from_micros(100), 1000), 1000);
        // Idle time does not build up more than a burst.
        assert_eq!(p.allowance(t + Duration::from_secs(1), 1000), 10_000);
    }

    #[test]
    fn slow_rates_still_refill() {
        // 500 kB/s: half a byte per microsecond. The wait for the next segment is exact, and
        // waking then finds the tokens there.
        let t = t0();
        let mut p = Pacer::default();
        p.set_rate(500_000);
        let burst = p.allowance(t, 1000);
        p.on_sent(burst);
        let at = p.next_send(t, 1000, 1000).expect("must wait");
        assert_eq!(at, t + Duration::from_millis(2));
        assert!(p.next_send(at, 1000, 1000).is_none());
        assert_eq!(p.allowance(at, 1000), 1000);
        // Refills in steps smaller than a byte add up.
        let mut now = at;
        p.on_sent(1000);
        for _ in 0..2000 {
            now += Duration::from_nanos(1000);
            p.allowance(now, 1000);
        }
        assert_eq!(p.allowance(now, 1000), 1000);
    }

    #[test]
    fn bursts_stay_between_two_segments_and_a_super_segment() {
        let mut p = Pacer::default();
        p.set_rate(100_000);
        assert_eq!(p.burst(1460), 2920);
        p.set_rate(10_000_000_000);
        assert_eq!(p.burst(1460), 64 * 1024);
    }
}
