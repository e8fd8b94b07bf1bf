//! When to advertise (RFC 4861 sections 6.2.4 and 6.2.6), as pure functions of time.
//!
//! The first few unsolicited advertisements go out quickly so hosts configure at once; later
//! ones at a random interval between the minimum and maximum. Solicitations are answered
//! with a multicast advertisement, but not more often than every 3 seconds.

use std::time::{Duration, Instant};

/// MaxRtrAdvInterval: the longest gap between unsolicited advertisements (RFC default).
pub const MAX_INTERVAL: Duration = Duration::from_secs(600);
/// MinRtrAdvInterval: 0.33 × MaxRtrAdvInterval (RFC default).
pub const MIN_INTERVAL: Duration = Duration::from_secs(198);
/// MAX_INITIAL_RTR_ADVERTISEMENTS.
pub const INITIAL_COUNT: u32 = 3;
/// MAX_INITIAL_RTR_ADVERT_INTERVAL.
pub const INITIAL_INTERVAL: Duration = Duration::from_secs(16);
/// MIN_DELAY_BETWEEN_RAS: the closest two multicast advertisements may follow each other.
pub const MIN_DELAY_BETWEEN_RAS: Duration = Duration::from_secs(3);

/// The advertising schedule of one interface.
#[derive(Debug, Clone)]
pub struct Schedule {
    sent: u32,
    last_sent: Option<Instant>,
    next: Instant,
}

impl Schedule {
    /// A schedule whose first advertisement is due at `now`.
    pub fn new(now: Instant) -> Schedule {
        Schedule {
            sent: 0,
            last_sent: None,
            next: now,
        }
    }

    /// When the next advertisement is due.
    pub fn next(&self) -> Instant {
        self.next
    }

    /// A solicitation arrived: the next advertisement is due as soon as the rate limit allows.
    pub fn solicited(&mut self, now: Instant) {
        let earliest = self
            .last_sent
            .map_or(now, |last| (last + MIN_DELAY_BETWEEN_RAS).max(now));
        self.next = self.next.min(earliest);
    }

    /// An advertisement went out at `now`; `random` in 0..=1 picks the next interval.
    pub fn sent(&mut self, now: Instant, random: f64) {
        self.sent = self.sent.saturating_add(1);
        self.last_sent = Some(now);
        let spread = MAX_INTERVAL.saturating_sub(MIN_INTERVAL);
        let mut interval = MIN_INTERVAL + spread.mul_f64(random.clamp(0.0, 1.0));
        if self.sent <= INITIAL_COUNT {
            interval = interval.min(INITIAL_INTERVAL);
        }
        self.next = now + interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_three_come_quickly_then_the_interval_is_random_between_min_and_max() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0);
        assert_eq!(s.next(), t0, "the first is due at once");
        let mut now = t0;
        for _ in 0..INITIAL_COUNT {
            s.sent(now, 1.0);
            assert_eq!(s.next() - now, INITIAL_INTERVAL);
            now = s.next();
        }
        s.sent(now, 0.0);
        assert_eq!(s.next() - now, MIN_INTERVAL);
        s.sent(now, 1.0);
        assert_eq!(s.next() - now, MAX_INTERVAL);
    }

    #[test]
    fn solicitations_are_answered_at_most_every_three_seconds() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0);
        s.sent(t0, 0.5);
        s.solicited(t0 + Duration::from_secs(1));
        assert_eq!(s.next(), t0 + MIN_DELAY_BETWEEN_RAS);
        s.sent(s.next(), 0.5);
        let later = t0 + Duration::from_secs(10);
        s.solicited(later);
        assert_eq!(s.next(), later, "long enough after the last one: at once");
    }
}
