//! The internet checksum (RFC 1071), for verifying what etherparse only slices.

use std::net::{IpAddr, SocketAddr};

/// Adds up a byte slice as big-endian 16-bit words (an odd last byte is padded with zero).
///
/// Eight bytes at a time into a 64-bit accumulator (RFC 1071 section 2(B): the sum can be
/// taken in larger words and folded at the end); this runs for every packet in both
/// directions, so it is on the hot path.
pub(crate) fn sum(bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(8);
    let mut acc: u64 = 0;
    for c in &mut chunks {
        let word = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Add the two 32-bit halves: each addend < 2^32, so 2^31 of them cannot overflow.
        acc += (word >> 32) + (word & 0xffff_ffff);
    }
    let rest = chunks.remainder();
    let mut pairs = rest.chunks_exact(2);
    for c in &mut pairs {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = pairs.remainder() {
        acc += u64::from(*last) << 8;
    }
    while acc > 0xffff_ffff {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    // Fold to at most 17 bits so callers may add a few more sums without overflow.
    let mut acc = acc as u32;
    while acc > 0x1_ffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// The one's-complement of the folded sum: the value a checksum field must hold, and 0 when
/// the summed bytes already include a correct checksum.
pub(crate) fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// A checksum `check` updated for covered words summing to `old` becoming words summing to
/// `new` (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')), without summing the rest again.
pub(crate) fn adjust(check: u16, old: u32, new: u32) -> u16 {
    let old_sum = !fold(old);
    let new_sum = !fold(new);
    fold(u32::from(!check) + u32::from(!old_sum) + u32::from(new_sum))
}

/// Sum of an endpoint as a transport checksum covers it: its address in the pseudo header
/// and its port in the transport header.
pub(crate) fn endpoint_sum(a: SocketAddr) -> u32 {
    let ip = match a.ip() {
        IpAddr::V4(v4) => sum(&v4.octets()),
        IpAddr::V6(v6) => sum(&v6.octets()),
    };
    ip + u32::from(a.port())
}

/// Sum of the TCP/UDP/ICMPv6 pseudo header.
pub(crate) fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            sum(&s.octets()) + sum(&d.octets()) + u32::from(proto) + (len as u32 & 0xffff)
        }
        (s, d) => {
            let (s, d) = (to_v6(s), to_v6(d));
            let len = len as u32;
            sum(&s) + sum(&d) + (len >> 16) + (len & 0xffff) + u32::from(proto)
        }
    }
}

fn to_v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&bytes)), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(sum(&[0x12]), 0x1200);
        assert_eq!(sum(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }

    /// The wide sum folds to the same checksum as the word-by-word definition.
    #[test]
    fn wide_sum_matches_the_definition() {
        fn reference(bytes: &[u8]) -> u16 {
            let mut acc: u64 = 0;
            for c in bytes.chunks(2) {
                acc += u64::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
            }
            while acc > 0xffff {
                acc = (acc & 0xffff) + (acc >> 16);
            }
            !(acc as u16)
        }
        let mut x: u32 = 12345;
        for len in [0usize, 1, 2, 7, 8, 9, 15, 16, 17, 63, 1460, 1461, 65_535] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (x >> 16) as u8
                })
                .collect();
            assert_eq!(fold(sum(&data)), reference(&data), "len {len}");
        }
        assert_eq!(fold(sum(&[0xff; 65_536])), reference(&[0xff; 65_536]));
    }

    #[test]
    fn correct_checksum_folds_to_zero() {
        let mut data = vec![
            0x45, 0x00, 0x00, 0x1c, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let c = fold(sum(&data));
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(fold(sum(&data)), 0);
    }
}
