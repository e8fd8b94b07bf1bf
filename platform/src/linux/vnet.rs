//! The virtio-net header that a TUN opened with `IFF_VNET_HDR` puts in front of every packet
//! (include/uapi/linux/virtio_net.h): how the kernel tells us a packet's checksum state and
//! how we ask it to cut a TCP super-segment or a UDP super-datagram into MTU-sized pieces.

use masq_vocab::{RxMeta, SegmentKind, Segmentation};

/// `sizeof(struct virtio_net_hdr)`: the TUN default (TUNSETVNETHDRSZ not used).
pub(crate) const LEN: usize = 10;

const F_NEEDS_CSUM: u8 = 1;
const F_DATA_VALID: u8 = 2;
const GSO_NONE: u8 = 0;
const GSO_TCPV4: u8 = 1;
const GSO_TCPV6: u8 = 4;
const GSO_UDP_L4: u8 = 5;

/// What a received header says about the packet behind it.
pub(crate) fn parse(hdr: &[u8]) -> RxMeta {
    let flags = hdr.first().copied().unwrap_or(0);
    RxMeta {
        // NEEDS_CSUM: a packet from a local stack whose checksum is not yet computed (it never
        // crossed a wire); DATA_VALID: the kernel already verified it.
        checksum_trusted: flags & (F_NEEDS_CSUM | F_DATA_VALID) != 0,
    }
}

/// The header for a packet we write: none of the fields set for a complete packet, or the
/// segmentation request for a super-segment. Fields are little-endian (TUN's native order on
/// the little-endian machines masq targets; TUNSETVNETBE is not used).
pub(crate) fn build(segmentation: Option<Segmentation>) -> [u8; LEN] {
    let mut h = [0u8; LEN];
    if let Some(s) = segmentation {
        h[0] = F_NEEDS_CSUM;
        h[1] = match (s.kind, s.ipv6) {
            (SegmentKind::Tcp, false) => GSO_TCPV4,
            (SegmentKind::Tcp, true) => GSO_TCPV6,
            (SegmentKind::Udp, _) => GSO_UDP_L4,
        };
        h[2..4].copy_from_slice(&s.header_len.to_le_bytes());
        h[4..6].copy_from_slice(&s.segment_size.to_le_bytes());
        h[6..8].copy_from_slice(&s.csum_start.to_le_bytes());
        h[8..10].copy_from_slice(&s.csum_offset.to_le_bytes());
    } else {
        h[1] = GSO_NONE;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmentation_header_layout() {
        let h = build(Some(Segmentation {
            kind: SegmentKind::Tcp,
            segment_size: 1460,
            header_len: 40,
            csum_start: 20,
            csum_offset: 16,
            ipv6: false,
        }));
        assert_eq!(h, [1, 1, 40, 0, 0xb4, 0x05, 20, 0, 16, 0]);
        let h = build(Some(Segmentation {
            kind: SegmentKind::Udp,
            segment_size: 1400,
            header_len: 48,
            csum_start: 40,
            csum_offset: 6,
            ipv6: true,
        }));
        assert_eq!(h, [1, 5, 48, 0, 0x78, 0x05, 40, 0, 6, 0]);
        assert_eq!(build(None), [0; LEN]);
    }

    #[test]
    fn checksum_state_from_flags() {
        assert!(!parse(&[0; LEN]).checksum_trusted);
        assert!(parse(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]).checksum_trusted);
        assert!(parse(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0]).checksum_trusted);
        assert!(!parse(&[]).checksum_trusted);
    }
}
