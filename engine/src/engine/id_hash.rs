//! Hashing for the maps keyed by the engine's own ids ([`FlowId`](crate::FlowId),
//! [`SocketId`](crate::SocketId)).
//!
//! The engine hands these out in sequence, so nobody on either network chooses them and a
//! keyed hash (std's SipHash, about 20 ns) buys nothing: every packet looks its flow up two
//! or three times by id. A multiply by an odd constant keeps distinct ids in distinct
//! buckets (the low bits of the product depend only on the low bits of the id) and fills
//! the high bits hashbrown compares its control bytes with.

use std::hash::{BuildHasherDefault, Hasher};

/// The `BuildHasher` of the id maps.
pub(super) type IdHash = BuildHasherDefault<IdHasher>;

/// Hashes one `u64` id.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    /// Only ids are hashed here; anything else still hashes, just not as fast.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;
    use crate::FlowId;

    #[test]
    fn sequential_ids_fill_distinct_buckets_and_vary_the_control_bits() {
        let h = IdHash::default();
        let hashes: Vec<u64> = (0..4096u64).map(|i| h.hash_one(FlowId(i))).collect();
        let buckets: HashSet<u64> = hashes.iter().map(|x| x & 4095).collect();
        assert_eq!(
            buckets.len(),
            4096,
            "one id per bucket of a 4096-bucket table"
        );
        let top7: HashSet<u64> = hashes.iter().map(|x| x >> 57).collect();
        assert!(top7.len() > 100, "{} of 128 control values", top7.len());
    }
}
