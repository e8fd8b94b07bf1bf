//! Delivery-rate samples (draft-cheng-iccrg-delivery-rate-estimation, Linux `tcp_rate.c`):
//! how fast the path delivered data, measured on each ACK from what was delivered between a
//! segment's send and its acknowledgment. BBR builds its model of the path from them.
//!
//! Every transmission stamps the segment with the connection's delivery state at that
//! moment; when the segment is delivered, the difference to the state now is one sample.
//! Samples taken while the sender had nothing to send (application-limited) are marked, so
//! a quiet period is not mistaken for a slow path.

use std::time::{Duration, Instant};

/// The connection's delivery state when a segment was (re)sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxStamp {
    /// Bytes delivered before this send.
    pub delivered: u64,
    /// When that count last grew.
    pub delivered_time: Instant,
    /// Send time of the first segment of the current flight.
    pub first_sent_time: Instant,
    /// The sender was application-limited when it sent this.
    pub app_limited: bool,
}

/// One delivery-rate sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateSample {
    /// Bytes delivered over `interval`.
    pub delivered: u64,
    /// The longer of the send and ACK intervals (RFC draft 3.3).
    pub interval: Duration,
    /// `delivered` before the sampled segment was sent: rounds count by it.
    pub prior_delivered: u64,
    /// Round trip of the newest segment this ACK delivered, if it was sent once.
    pub rtt: Option<Duration>,
    /// The sample was taken while the sender was application-limited.
    pub app_limited: bool,
}

impl RateSample {
    /// Bytes per second.
    pub(crate) fn rate(&self) -> u64 {
        let ns = self.interval.as_nanos().max(1);
        u64::try_from(u128::from(self.delivered) * 1_000_000_000 / ns).unwrap_or(u64::MAX)
    }
}

/// The connection-wide delivery state.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateSampler {
    /// Bytes delivered (cumulatively acknowledged or SACKed) since the start.
    delivered: u64,
    delivered_time: Option<Instant>,
    first_sent_time: Option<Instant>,
    /// Nonzero while application-limited: the `delivered` count at which that ends.
    app_limited: u64,
    /// The most recently sent segment this ACK delivered: its stamp and send time.
    newest: Option<(TxStamp, Instant)>,
}

impl RateSampler {
    /// Bytes delivered since the start.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered
    }

    /// A segment leaves now with `in_flight` bytes already in the network: its stamp.
    pub(crate) fn on_send(&mut self, now: Instant, in_flight: u64) -> TxStamp {
        if in_flight == 0 || self.first_sent_time.is_none() {
            // A new flight after a quiet time: the intervals start now.
            self.first_sent_time = Some(now);
            self.delivered_time = Some(now);
        }
        TxStamp {
            delivered: self.delivered,
            delivered_time: self.delivered_time.unwrap_or(now),
            first_sent_time: self.first_sent_time.unwrap_or(now),
            app_limited: self.app_limited != 0,
        }
    }

    /// A segment sent at `sent` with `stamp` was delivered now (`len` bytes).
    pub(crate) fn on_delivered(&mut self, now: Instant, len: u64, sent: Instant, stamp: TxStamp) {
        self.delivered += len;
        self.delivered_time = Some(now);
        if self.newest.is_none_or(|(_, t)| sent >= t) {
            self.newest = Some((stamp, sent));
        }
    }

    /// The sender has nothing more to send and room in its window: samples until what is
    /// in flight now is delivered are marked application-limited.
    pub(crate) fn on_app_limited(&mut self, in_flight: u64) {
        self.app_limited = (self.delivered + in_flight).max(1);
    }

    /// The sample of the ACK just processed, if it delivered anything measurable.
    /// `min_rtt` rejects intervals shorter than the path allows (ACK compression).
    pub(crate) fn sample(
        &mut self,
        rtt: Option<Duration>,
        min_rtt: Option<Duration>,
    ) -> Option<RateSample> {
        if self.app_limited != 0 && self.delivered > self.app_limited {
            self.app_limited = 0;
        }
        let (stamp, sent) = self.newest.take()?;
        // The next interval's send part starts at this segment's send.
        self.first_sent_time = Some(sent);
        let send_elapsed = sent.saturating_duration_since(stamp.first_sent_time);
        let ack_elapsed = self
            .delivered_time?
            .saturating_duration_since(stamp.delivered_time);
        let interval = send_elapsed.max(ack_elapsed);
        if interval.is_zero() || min_rtt.is_some_and(|m| interval < m) {
            return None;
        }
        Some(RateSample {
            delivered: self.delivered - stamp.delivered,
            interval,
            prior_delivered: stamp.delivered,
            rtt,
            app_limited: stamp.app_limited,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn a_steady_flow_measures_its_rate() {
        // A segment of 1000 bytes every 10 us, each delivered 100 us after it was sent:
        // 1000 bytes per 10 us = 100 MB/s once the flow is going.
        let t = t0();
        let mut r = RateSampler::default();
        let mut stamps = Vec::new();
        let mut last = None;
        for step in 0..30u64 {
            let now = t + us(10 * step);
            if step >= 10 {
                let (sent, stamp) = stamps[(step - 10) as usize];
                r.on_delivered(now, 1000, sent, stamp);
                last = r.sample(Some(us(100)), Some(us(50)));
            }
            if step < 20 {
                let in_flight = 1000 * step.min(10);
                stamps.push((now, r.on_send(now, in_flight)));
            }
        }
        let s = last.expect("a sample");
        assert_eq!(s.delivered, 10_000);
        assert_eq!(s.interval, us(100));
        assert_eq!(s.rate(), 100_000_000);
        assert!(!s.app_limited);
    }

    #[test]
    fn quiet_senders_mark_their_samples() {
        let t = t0();
        let mut r = RateSampler::default();
        let a = r.on_send(t, 0);
        r.on_delivered(t + us(100), 1000, t, a);
        r.sample(None, None);
        r.on_app_limited(0);
        let b = r.on_send(t + us(200), 0);
        assert!(b.app_limited);
        r.on_delivered(t + us(300), 1000, t + us(200), b);
        assert!(r.sample(None, None).is_none_or(|s| s.app_limited));
        // Once what was in flight then is delivered, the marking ends.
        let c = r.on_send(t + us(400), 0);
        assert!(!c.app_limited);
    }

    #[test]
    fn intervals_shorter_than_the_path_allows_give_no_sample() {
        let t = t0();
        let mut r = RateSampler::default();
        let a = r.on_send(t, 0);
        r.on_delivered(t + us(100), 1000, t, a);
        assert!(r.sample(None, Some(us(50))).is_some());
        // Sent at 100 us, acknowledged 10 us later: faster than the 50 us path, an ACK that
        // was compressed on the way, so no rate can be read from it.
        let b = r.on_send(t + us(100), 0);
        r.on_delivered(t + us(110), 1000, t + us(100), b);
        assert!(r.sample(None, Some(us(50))).is_none());
    }
}
