//! Initial sequence numbers that a LAN host cannot predict for anyone else's connection.
//!
//! A relay that numbers its connections from a plain PRNG hands every LAN host the means to
//! predict the numbers of other hosts' connections (xorshift's state is recovered from a few
//! outputs), and with them to inject data or resets into those connections. RFC 6528's rule
//! is followed instead: ISN = M + F(local, remote, secret), where M is a clock ticking every
//! 4 µs and F a keyed hash of the connection's endpoints (SipHash-1-3, as Linux uses
//! SipHash for `secure_tcp_seq`). Successive connections of one pair still move forward with
//! the clock, so an old duplicate segment does not fall into a new connection's window.

use std::net::SocketAddr;
use std::time::Instant;

use siphasher::sip::SipHasher13;

use crate::ip_idents::mix;
use std::hash::{Hash, Hasher};

/// Where initial sequence numbers come from.
#[derive(Debug, Clone)]
pub(crate) struct IsnSource {
    key: (u64, u64),
    epoch: Instant,
}

impl IsnSource {
    /// A source keyed from `seed` (OS randomness in the shell, fixed in tests), counting from
    /// `now`.
    pub(crate) fn new(seed: u64, now: Instant) -> IsnSource {
        IsnSource {
            key: (
                mix(seed ^ 0x6973_6e6b_6579_3031),
                mix(seed ^ 0x6973_6e6b_6579_3032),
            ),
            epoch: now,
        }
    }

    /// The ISN of a connection between `lan` and `remote` opened at `now`.
    pub(crate) fn isn(&self, now: Instant, lan: SocketAddr, remote: SocketAddr) -> u32 {
        let mut h = SipHasher13::new_with_keys(self.key.0, self.key.1);
        lan.hash(&mut h);
        remote.hash(&mut h);
        let f = h.finish() as u32;
        let ticks = (now.saturating_duration_since(self.epoch).as_micros() / 4) as u32;
        ticks.wrapping_add(f)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_pair_moves_with_the_clock_and_pairs_differ() {
        let t0 = t0();
        let src = IsnSource::new(7, t0);
        let (lan, remote) = (addr("192.168.137.10:40000"), addr("203.0.113.10:80"));
        let a = src.isn(t0, lan, remote);
        let b = src.isn(t0 + Duration::from_millis(4), lan, remote);
        assert_eq!(b.wrapping_sub(a), 1000, "4 ms are 1000 ticks of 4 µs");
        let other = src.isn(t0, addr("192.168.137.11:40000"), remote);
        assert_ne!(a, other);
        let port = src.isn(t0, addr("192.168.137.10:40001"), remote);
        assert_ne!(a, port);
    }

    #[test]
    fn the_secret_decides() {
        let t0 = t0();
        let (lan, remote) = (addr("192.168.137.10:40000"), addr("203.0.113.10:80"));
        let one = IsnSource::new(1, t0).isn(t0, lan, remote);
        let two = IsnSource::new(2, t0).isn(t0, lan, remote);
        assert_ne!(one, two);
        assert_eq!(one, IsnSource::new(1, t0).isn(t0, lan, remote));
    }
}
