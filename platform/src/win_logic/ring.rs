//! The size of the Wintun ring buffers, derived from the throughput masq must sustain.
//!
//! Wintun moves packets through two shared-memory rings, one per direction; when the receive
//! ring is full the driver drops packets. The ring must therefore hold everything that arrives
//! while masq's reader thread is not running. Derivation of [`RING_CAPACITY`]:
//! - target rate: 4 Gbit/s through the adapter (multi-Gbit/s LANs; see the Speed issue);
//! - worst ordinary stall of the reader: one Windows timer tick, 15.625 ms (64 Hz default
//!   clock), the time a runnable thread may wait for a core on a busy 2-core machine;
//! - 4e9 bit/s / 8 × 0.015625 s = 7.8125 MB, plus Wintun's per-packet header and 4-byte
//!   alignment (under 1 % at 1500-byte packets);
//! - Wintun accepts only powers of two between 128 KiB and 64 MiB, so 8 MiB.
//!
//! Each ring costs that much non-paged kernel memory while sharing is on, which is why the
//! value is not simply the 64 MiB maximum.

/// Smallest ring Wintun accepts (`WINTUN_MIN_RING_CAPACITY`).
pub(crate) const MIN_RING: u32 = 128 * 1024;
/// Largest ring Wintun accepts (`WINTUN_MAX_RING_CAPACITY`).
pub(crate) const MAX_RING: u32 = 64 * 1024 * 1024;

/// Throughput the ring must absorb during a stall, in bits per second.
const TARGET_BITS_PER_SECOND: u64 = 4_000_000_000;
/// Longest reader stall to absorb, in microseconds (one 64 Hz timer tick).
const STALL_MICROS: u64 = 15_625;

/// The capacity passed to `WintunStartSession` (see the module documentation).
pub(crate) const RING_CAPACITY: u32 = ring_capacity(TARGET_BITS_PER_SECOND, STALL_MICROS);

/// Bytes arriving at `bits_per_second` during `stall_micros`, rounded up to the next power of
/// two and clamped to what Wintun accepts.
pub(crate) const fn ring_capacity(bits_per_second: u64, stall_micros: u64) -> u32 {
    let bytes = bits_per_second / 8 * stall_micros / 1_000_000;
    let pow2 = bytes.next_power_of_two();
    if pow2 < MIN_RING as u64 {
        MIN_RING
    } else if pow2 > MAX_RING as u64 {
        MAX_RING
    } else {
        pow2 as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_eight_mib_for_the_target() {
        assert_eq!(RING_CAPACITY, 8 * 1024 * 1024);
        assert!(RING_CAPACITY.is_power_of_two());
    }

    #[test]
    fn capacity_is_clamped_to_what_wintun_accepts() {
        assert_eq!(ring_capacity(1_000_000, 1_000), MIN_RING);
        assert_eq!(ring_capacity(100_000_000_000, 1_000_000), MAX_RING);
        assert_eq!(ring_capacity(1_000_000_000, 15_625), 2 * 1024 * 1024);
    }
}
