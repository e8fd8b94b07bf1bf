//! Segmentation offload: the engine's side of letting the OS cut large TCP segments and
//! batches of UDP datagrams.
//!
//! With offload, the shell tells the engine which adapter packets already have a verified (or
//! not yet computed) checksum, and the engine may emit one "super-segment" of up to 64 KiB
//! that the OS splits into segments of `segment_size` on its way to the LAN (Linux: a TUN
//! opened with `IFF_VNET_HDR` and TSO enabled). Per-packet work then happens once per 64 KiB
//! instead of once per 1460 bytes. With UDP offload as well (Linux: USO), consecutive
//! datagrams of one mapping leave as one such packet ([`crate::wire::udp_super`]). Without
//! offload every packet is complete and ordinary.

pub use masq_vocab::{RxMeta, SegmentKind, Segmentation, TunPacket};

/// Buffers kept for reuse: enough for a burst of super-segments in flight to the adapter.
pub(crate) const POOL_MAX: usize = 64;

/// Largest payload of one emitted super-segment: what fits a 64 KiB IP packet with the
/// largest headers, rounded down to whole segments by the caller.
pub(crate) const MAX_SUPER_PAYLOAD: u64 = 65_535 - 60 - 60;

/// What the OS does with a super-segment: cut the payload into `segment_size` pieces, give
/// each the headers with its own sequence number (TCP) or IPv4 identification, lengths and
/// complete checksums. Used by the tests to check that super-segments are exactly equivalent
/// to ordinary segments and datagrams.
#[cfg(test)]
pub(crate) fn split_like_the_os(packet: &[u8], seg: Segmentation) -> Vec<Vec<u8>> {
    use crate::wire::checksum::{fold, pseudo_header, sum};
    use std::net::IpAddr;
    let hl = usize::from(seg.header_len);
    let ip_len = usize::from(seg.csum_start);
    let (src, dst): (IpAddr, IpAddr) = if seg.ipv6 {
        let s: [u8; 16] = packet[8..24].try_into().unwrap();
        let d: [u8; 16] = packet[24..40].try_into().unwrap();
        (s.into(), d.into())
    } else {
        let s: [u8; 4] = packet[12..16].try_into().unwrap();
        let d: [u8; 4] = packet[16..20].try_into().unwrap();
        (s.into(), d.into())
    };
    let seq0 = u32::from_be_bytes(packet[ip_len + 4..ip_len + 8].try_into().unwrap());
    let ident0 = u16::from_be_bytes([packet[4], packet[5]]);
    let (proto, udp) = match seg.kind {
        SegmentKind::Tcp => (6, false),
        SegmentKind::Udp => (17, true),
    };
    let payload = &packet[hl..];
    let pieces: Vec<&[u8]> = payload.chunks(usize::from(seg.segment_size)).collect();
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = packet[..hl].to_vec();
            p.extend_from_slice(chunk);
            let tcp_len = p.len() - ip_len;
            if udp {
                p[ip_len + 4..ip_len + 6].copy_from_slice(&(tcp_len as u16).to_be_bytes());
            } else {
                let offset = (i * usize::from(seg.segment_size)) as u32;
                let seq = seq0.wrapping_add(offset);
                p[ip_len + 4..ip_len + 8].copy_from_slice(&seq.to_be_bytes());
                if i != last {
                    // FIN and PSH belong to the last piece only.
                    p[ip_len + 13] &= !0x09;
                }
            }
            if seg.ipv6 {
                p[4..6].copy_from_slice(&(tcp_len as u16).to_be_bytes());
            } else {
                let total = p.len() as u16;
                p[2..4].copy_from_slice(&total.to_be_bytes());
                if udp {
                    // Linux numbers the datagrams it cuts (TCP keeps the id it was given).
                    p[4..6].copy_from_slice(&ident0.wrapping_add(i as u16).to_be_bytes());
                }
                p[10..12].copy_from_slice(&[0, 0]);
                let c = fold(sum(&p[..ip_len]));
                p[10..12].copy_from_slice(&c.to_be_bytes());
            }
            let at = ip_len + usize::from(seg.csum_offset);
            p[at..at + 2].copy_from_slice(&[0, 0]);
            let mut c = fold(pseudo_header(src, dst, proto, tcp_len) + sum(&p[ip_len..]));
            if udp && c == 0 {
                // A UDP checksum of zero means "none"; a computed zero is sent as all ones.
                c = 0xffff;
            }
            p[at..at + 2].copy_from_slice(&c.to_be_bytes());
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::{fold, sum};
    use crate::wire::emit::{TcpOut, tcp_segmented};

    /// Completing the partial checksum over the whole super-segment (what the OS does when it
    /// does not split, e.g. one segment's worth) gives a valid TCP checksum.
    #[test]
    fn partial_checksum_completes_to_a_valid_one() {
        let src = "203.0.113.10:80".parse().unwrap();
        let dst = "192.168.137.10:40000".parse().unwrap();
        let payload: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
        let h = TcpOut {
            seq: 7,
            ack: Some(9),
            window: 1000,
            ..TcpOut::default()
        };
        let (mut p, seg) = tcp_segmented(src, dst, &h, [&payload, &[]], 1460, Vec::new()).unwrap();
        assert_eq!(
            seg,
            Segmentation {
                kind: SegmentKind::Tcp,
                segment_size: 1460,
                header_len: 40,
                csum_start: 20,
                csum_offset: 16,
                ipv6: false
            }
        );
        let at = usize::from(seg.csum_start + seg.csum_offset);
        let c = fold(sum(&p[usize::from(seg.csum_start)..]));
        p[at..at + 2].copy_from_slice(&c.to_be_bytes());
        assert!(crate::wire::parse(&p).is_ok());
    }

    #[test]
    fn split_pieces_are_valid_segments() {
        let src = "203.0.113.10:80".parse().unwrap();
        let dst = "192.168.137.10:40000".parse().unwrap();
        let payload = vec![0xab; 4000];
        let h = TcpOut {
            seq: u32::MAX - 100,
            ack: Some(1),
            psh: true,
            window: 10,
            ..TcpOut::default()
        };
        let (p, seg) = tcp_segmented(
            src,
            dst,
            &h,
            [&payload[..1000], &payload[1000..]],
            1460,
            Vec::new(),
        )
        .unwrap();
        let pieces = split_like_the_os(&p, seg);
        assert_eq!(
            pieces.iter().map(|p| p.len() - 40).collect::<Vec<_>>(),
            vec![1460, 1460, 1080]
        );
        for piece in &pieces {
            assert!(crate::wire::parse(piece).is_ok());
        }
    }
}
