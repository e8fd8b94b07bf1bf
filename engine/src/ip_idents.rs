//! IPv4 identification of the datagrams the gateway fragments toward the LAN.
//!
//! Fragments are put back together by (source, destination, protocol, identification)
//! (RFC 791), so an identification must not repeat for a source and destination while
//! fragments may be in flight (RFC 6864 4.1). A counter per mapping restarted at 0 for every
//! new mapping, so two mappings of one host to one remote (or a mapping that expired and came
//! back) reused the same numbers. As Linux does (`ip_idents_reserve`), one counter per hash
//! bucket of (source, destination), started at unpredictable values and keyed with the
//! engine's seed, so a LAN host can neither predict nor read another pair's traffic from them.

use std::net::IpAddr;

/// Buckets of counters (a power of two); pairs that share a bucket only advance it faster.
const BUCKETS: usize = 2048;

/// The counters, one per bucket.
#[derive(Debug)]
pub(crate) struct IpIdents {
    key: u64,
    counters: Box<[u16; BUCKETS]>,
}

impl IpIdents {
    pub(crate) fn new(seed: u64) -> IpIdents {
        let key = mix(seed ^ 0x6970_6964_656e_7473);
        let mut counters = Box::new([0u16; BUCKETS]);
        let mut x = key;
        for c in counters.iter_mut() {
            x = mix(x);
            *c = x as u16;
        }
        IpIdents { key, counters }
    }

    /// The identification for the next fragmented datagram from `src` to `dst`.
    pub(crate) fn next(&mut self, src: IpAddr, dst: IpAddr) -> u16 {
        let bucket = (mix(self.key ^ fold(src) ^ fold(dst).rotate_left(17)) as usize) % BUCKETS;
        let c = &mut self.counters[bucket];
        *c = c.wrapping_add(1);
        *c
    }
}

fn fold(a: IpAddr) -> u64 {
    match a {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => {
            let b = u128::from(v6);
            (b as u64) ^ ((b >> 64) as u64).rotate_left(29)
        }
    }
}

/// splitmix64's finalizer: a bijective, well-mixed 64-bit hash step (also spreads the seed
/// into the ISN key, `tcp/isn.rs`).
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(a: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(a))
    }

    #[test]
    fn a_pair_never_repeats_within_65536_datagrams() {
        let mut ids = IpIdents::new(7);
        let (s, d) = (ip([203, 0, 113, 5]), ip([192, 168, 137, 10]));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..65_536 {
            assert!(seen.insert(ids.next(s, d)));
        }
    }

    #[test]
    fn counters_start_unpredictably_and_differ_by_seed() {
        let (s, d) = (ip([203, 0, 113, 5]), ip([192, 168, 137, 10]));
        let a = IpIdents::new(1).next(s, d);
        let b = IpIdents::new(2).next(s, d);
        assert_ne!(a, b);
        assert_ne!(a, 1, "not a counter from 0");
    }

    #[test]
    fn other_pairs_do_not_restart_a_pair() {
        let mut ids = IpIdents::new(3);
        let (s, d) = (ip([203, 0, 113, 5]), ip([192, 168, 137, 10]));
        let first = ids.next(s, d);
        for i in 0..100u8 {
            ids.next(ip([198, 51, 100, i]), d);
        }
        let later = ids.next(s, d);
        assert_ne!(later, first);
    }
}
