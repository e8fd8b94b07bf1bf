//! One direction of the simulated LAN link: a bottleneck of fixed rate with a bounded
//! drop-tail queue, a propagation delay, and random (Bernoulli) loss from a seeded
//! generator, so every run of a scenario is the same run.

use std::collections::VecDeque;
use std::time::Duration;

/// splitmix64: a tiny, well-mixed generator; enough for loss decisions and reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// What happened to the packets offered to a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub offered: u64,
    pub lost: u64,
    pub queue_drops: u64,
    pub delivered: u64,
    pub max_queue: usize,
}

/// A packet on its way, due at the far end at `at` (virtual time since the start).
#[derive(Debug)]
struct InFlight {
    at: Duration,
    packet: Vec<u8>,
}

/// One direction of the link.
#[derive(Debug)]
pub struct Link {
    rate_bps: u64,
    delay: Duration,
    queue_limit: usize,
    loss: f64,
    rng: Rng,
    /// When the serializer is free again.
    busy_until: Duration,
    /// Departure times of the packets queued or being serialized.
    queue: VecDeque<Duration>,
    flight: VecDeque<InFlight>,
    pub stats: LinkStats,
}

impl Link {
    pub fn new(rate_bps: u64, delay: Duration, queue_limit: usize, loss: f64, seed: u64) -> Link {
        Link {
            rate_bps,
            delay,
            queue_limit,
            loss,
            rng: Rng::new(seed),
            busy_until: Duration::ZERO,
            queue: VecDeque::new(),
            flight: VecDeque::new(),
            stats: LinkStats::default(),
        }
    }

    /// A packet enters the link at `now`: lost at random, dropped when the queue is full,
    /// else delivered after its turn on the wire plus the propagation delay.
    pub fn send(&mut self, now: Duration, packet: Vec<u8>) {
        self.stats.offered += 1;
        while self.queue.front().is_some_and(|&d| d <= now) {
            self.queue.pop_front();
        }
        if self.rng.chance(self.loss) {
            self.stats.lost += 1;
            return;
        }
        if self.queue.len() >= self.queue_limit {
            self.stats.queue_drops += 1;
            return;
        }
        let wire = Duration::from_nanos(packet.len() as u64 * 8 * 1_000_000_000 / self.rate_bps);
        let departs = now.max(self.busy_until) + wire;
        self.busy_until = departs;
        self.queue.push_back(departs);
        self.stats.max_queue = self.stats.max_queue.max(self.queue.len());
        // Departures are in order, so arrivals are too.
        self.flight.push_back(InFlight {
            at: departs + self.delay,
            packet,
        });
    }

    /// When the next packet arrives at the far end.
    pub fn next_arrival(&self) -> Option<Duration> {
        self.flight.front().map(|f| f.at)
    }

    /// The next packet that has arrived by `now`.
    pub fn receive(&mut self, now: Duration) -> Option<Vec<u8>> {
        if self.flight.front()?.at > now {
            return None;
        }
        self.stats.delivered += 1;
        self.flight.pop_front().map(|f| f.packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialization_and_delay() {
        // 1500 bytes at 12 Mbit/s take 1 ms on the wire.
        let mut l = Link::new(12_000_000, Duration::from_millis(5), 10, 0.0, 1);
        l.send(Duration::ZERO, vec![0; 1500]);
        l.send(Duration::ZERO, vec![0; 1500]);
        assert_eq!(l.next_arrival(), Some(Duration::from_millis(6)));
        assert!(l.receive(Duration::from_millis(6)).is_some());
        assert_eq!(l.next_arrival(), Some(Duration::from_millis(7)));
    }

    #[test]
    fn queue_overflows_drop() {
        let mut l = Link::new(12_000_000, Duration::ZERO, 2, 0.0, 1);
        for _ in 0..5 {
            l.send(Duration::ZERO, vec![0; 1500]);
        }
        assert_eq!(l.stats.queue_drops, 3);
    }

    #[test]
    fn loss_rate_is_what_was_asked() {
        let mut r = Rng::new(7);
        let lost = (0..100_000).filter(|_| r.chance(0.01)).count();
        assert!((900..1100).contains(&lost), "{lost}");
    }
}
