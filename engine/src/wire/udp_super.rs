//! UDP super-datagrams toward the LAN: consecutive datagrams of one mapping written to the
//! adapter as one packet that the OS cuts back into the original datagrams (Linux: a TUN with
//! UDP segmentation offload, `VIRTIO_NET_HDR_GSO_UDP_L4`).
//!
//! A download over UDP (a video call, QUIC, a game) otherwise costs one adapter write per
//! datagram, each running the OS's whole forwarding path in masq's one thread; batched, that
//! cost is paid once per batch. The batch is built by appending to the packet last queued for
//! the adapter, so order is kept by construction: a datagram joins only if nothing else was
//! queued after the packet it joins.
//!
//! The rules are the ones the OS enforces for segmentation: every datagram but the last has
//! the same size, and none may follow a shorter one.

use std::net::{IpAddr, SocketAddr};

use super::checksum::{fold, pseudo_header};
use super::emit::LAN_TTL;
use crate::offload::{SegmentKind, Segmentation, TunPacket};

/// Datagrams per super-datagram: Linux refuses more than 64 in older kernels.
const MAX_DATAGRAMS: usize = 64;
/// Largest UDP length (header and every payload) of one super-datagram: it must fit one IP
/// packet with room for the largest header.
const MAX_UDP_LEN: usize = 65_535 - 60;
const UDP_HEADER: usize = 8;
const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;

/// Appends a datagram from `src` (the remote) to `dst` (the LAN host) to `tail`, the packet
/// last queued for the adapter, when `tail` is a datagram or super-datagram of the same flow
/// that this one may follow. Returns false, leaving `tail` as it was, when it may not.
///
/// The caller makes sure the datagram itself fits the LAN's MTU unfragmented.
pub(crate) fn try_append(
    tail: &mut TunPacket,
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
) -> bool {
    let Some(ip_len) = same_flow(&tail.data, src, dst) else {
        return false;
    };
    let carried = tail.data.len() - ip_len - UDP_HEADER;
    let (seg, count) = match tail.segmentation {
        None => (carried, 1),
        Some(s) if s.kind == SegmentKind::Udp => {
            let seg = usize::from(s.segment_size);
            (seg, carried.div_ceil(seg.max(1)))
        }
        Some(_) => return false,
    };
    let udp_len = UDP_HEADER + carried + payload.len();
    let joins = seg > 0
        && !payload.is_empty()
        && payload.len() <= seg
        // A shorter datagram closed the batch: only the last may be shorter.
        && carried % seg == 0
        && count < MAX_DATAGRAMS
        && udp_len <= MAX_UDP_LEN;
    let (Ok(segment_size), Ok(wire_udp_len), Ok(header_len), Ok(csum_start)) = (
        u16::try_from(seg),
        u16::try_from(udp_len),
        u16::try_from(ip_len + UDP_HEADER),
        u16::try_from(ip_len),
    ) else {
        return false;
    };
    if !joins {
        return false;
    }
    let data = &mut tail.data;
    data.extend_from_slice(payload);
    match src.ip() {
        IpAddr::V4(_) => {
            let total = (ip_len + udp_len) as u16;
            data[2..4].copy_from_slice(&total.to_be_bytes());
            data[10..12].copy_from_slice(&[0, 0]);
            let c = fold(super::checksum::sum(&data[..ip_len]));
            data[10..12].copy_from_slice(&c.to_be_bytes());
        }
        IpAddr::V6(_) => data[4..6].copy_from_slice(&wire_udp_len.to_be_bytes()),
    }
    data[ip_len + 4..ip_len + 6].copy_from_slice(&wire_udp_len.to_be_bytes());
    // The folded pseudo-header sum, not its complement: the OS completes it per datagram.
    let partial = !fold(pseudo_header(src.ip(), dst.ip(), 17, udp_len));
    data[ip_len + 6..ip_len + 8].copy_from_slice(&partial.to_be_bytes());
    tail.segmentation = Some(Segmentation {
        kind: SegmentKind::Udp,
        segment_size,
        header_len,
        csum_start,
        csum_offset: 6,
        ipv6: src.is_ipv6(),
    });
    true
}

/// The IP header's length when `packet` is an unfragmented UDP packet the engine built from
/// `src` to `dst` (no IP options, the gateway's TTL), and whose lengths agree.
fn same_flow(packet: &[u8], src: SocketAddr, dst: SocketAddr) -> Option<usize> {
    let ip_len = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let h = packet.get(..IPV4_HEADER)?;
            let unfragmented = u16::from_be_bytes([h[6], h[7]]) & 0x3fff == 0;
            let ok = h[0] == 0x45
                && h[8] == LAN_TTL
                && h[9] == 17
                && unfragmented
                && h[12..16] == s.octets()
                && h[16..20] == d.octets()
                && usize::from(u16::from_be_bytes([h[2], h[3]])) == packet.len();
            ok.then_some(IPV4_HEADER)?
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let h = packet.get(..IPV6_HEADER)?;
            let ok = h[0] >> 4 == 6
                && h[6] == 17
                && h[7] == LAN_TTL
                && h[8..24] == s.octets()
                && h[24..40] == d.octets()
                && usize::from(u16::from_be_bytes([h[4], h[5]])) + IPV6_HEADER == packet.len();
            ok.then_some(IPV6_HEADER)?
        }
        _ => return None,
    };
    let u = packet.get(ip_len..ip_len + UDP_HEADER)?;
    let ports = u16::from_be_bytes([u[0], u[1]]) == src.port()
        && u16::from_be_bytes([u[2], u[3]]) == dst.port();
    let udp_len = usize::from(u16::from_be_bytes([u[4], u[5]]));
    (ports && udp_len == packet.len() - ip_len).then_some(ip_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::split_like_the_os;
    use crate::wire::emit;

    const REMOTE: &str = "203.0.113.5:443";
    const HOST: &str = "192.168.137.10:50000";

    fn datagram(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> TunPacket {
        let mut v = emit::udp(src, dst, payload, 1500, 0).expect("fits");
        assert_eq!(v.len(), 1);
        TunPacket {
            data: v.remove(0),
            segmentation: None,
        }
    }

    /// Appends what joins; returns the packets as they would be queued.
    fn queue(src: SocketAddr, dst: SocketAddr, payloads: &[Vec<u8>]) -> Vec<TunPacket> {
        let mut q: Vec<TunPacket> = Vec::new();
        for p in payloads {
            if !q.last_mut().is_some_and(|t| try_append(t, src, dst, p)) {
                q.push(datagram(src, dst, p));
            }
        }
        q
    }

    /// What the LAN receives: every super-datagram split as the OS would.
    fn on_the_wire(q: &[TunPacket]) -> Vec<Vec<u8>> {
        q.iter()
            .flat_map(|p| match p.segmentation {
                Some(seg) => split_like_the_os(&p.data, seg),
                None => vec![p.data.clone()],
            })
            .collect()
    }

    fn payloads(sizes: &[usize]) -> Vec<Vec<u8>> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 7 + j * 13) as u8).collect())
            .collect()
    }

    fn udp_payload(packet: &[u8]) -> Vec<u8> {
        match crate::wire::parse(packet).expect("valid datagram").l4 {
            crate::wire::L4::Udp { payload, .. } => payload.to_vec(),
            other => panic!("not UDP: {other:?}"),
        }
    }

    #[test]
    fn a_burst_leaves_as_one_packet_and_arrives_as_the_same_datagrams() {
        for (src, dst) in [
            (REMOTE, HOST),
            ("[2001:db8::5]:443", "[fd00:137::10]:50000"),
        ] {
            let (src, dst): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
            let sent = payloads(&[1200, 1200, 1200, 700]);
            let q = queue(src, dst, &sent);
            assert_eq!(q.len(), 1, "{src}: one packet for the adapter");
            let seg = q[0].segmentation.expect("a super-datagram");
            assert_eq!((seg.kind, seg.segment_size), (SegmentKind::Udp, 1200));
            let wire = on_the_wire(&q);
            let got: Vec<Vec<u8>> = wire.iter().map(|p| udp_payload(p)).collect();
            assert_eq!(got, sent, "{src}: every datagram intact, in order");
        }
    }

    #[test]
    fn ipv4_pieces_equal_the_datagrams_sent_one_by_one_but_for_their_ids() {
        let (src, dst) = (REMOTE.parse().unwrap(), HOST.parse().unwrap());
        let sent = payloads(&[1000, 1000, 999]);
        let wire = on_the_wire(&queue(src, dst, &sent));
        for (i, (piece, p)) in wire.iter().zip(&sent).enumerate() {
            let mut alone = datagram(src, dst, p).data;
            // Linux numbers the pieces; the engine's single datagrams carry id 0.
            alone[4..6].copy_from_slice(&(i as u16).to_be_bytes());
            alone[10..12].copy_from_slice(&[0, 0]);
            let c = fold(super::super::checksum::sum(&alone[..20]));
            alone[10..12].copy_from_slice(&c.to_be_bytes());
            assert_eq!(piece, &alone, "datagram {i}");
        }
    }

    #[test]
    fn only_what_the_os_can_cut_back_joins() {
        let (src, dst): (SocketAddr, SocketAddr) = (REMOTE.parse().unwrap(), HOST.parse().unwrap());
        let cases: [(&str, &[usize], usize); 5] = [
            ("a larger datagram starts a new packet", &[500, 501], 2),
            ("nothing follows a shorter one", &[500, 400, 400], 2),
            ("empty datagrams stay alone", &[500, 0, 500], 3),
            ("at most 64 datagrams", &[100; 65], 2),
            ("at most 64 KiB", &[1400; 47], 2),
        ];
        for (what, sizes, packets) in cases {
            let q = queue(src, dst, &payloads(sizes));
            assert_eq!(q.len(), packets, "{what}");
            let got: Vec<Vec<u8>> = on_the_wire(&q).iter().map(|p| udp_payload(p)).collect();
            assert_eq!(got, payloads(sizes), "{what}: intact");
        }
    }

    #[test]
    fn other_flows_fragments_and_tcp_are_never_joined() {
        let (src, dst): (SocketAddr, SocketAddr) = (REMOTE.parse().unwrap(), HOST.parse().unwrap());
        let other_port: SocketAddr = "203.0.113.5:444".parse().unwrap();
        let other_host: SocketAddr = "192.168.137.11:50000".parse().unwrap();
        let mut tail = datagram(src, dst, &[1; 100]);
        assert!(!try_append(&mut tail, other_port, dst, &[1; 100]));
        assert!(!try_append(&mut tail, src, other_host, &[1; 100]));
        let v6: SocketAddr = "[2001:db8::5]:443".parse().unwrap();
        assert!(!try_append(&mut tail, v6, dst, &[1; 100]));
        let first_fragment = emit::udp(src, dst, &[2; 3000], 1500, 9).unwrap().remove(0);
        let mut frag = TunPacket {
            data: first_fragment,
            segmentation: None,
        };
        assert!(!try_append(&mut frag, src, dst, &[2; 100]));
        let tcp = emit::tcp(src, dst, &emit::TcpOut::default(), &[3; 100]).unwrap();
        let mut tcp = TunPacket {
            data: tcp,
            segmentation: None,
        };
        assert!(!try_append(&mut tcp, src, dst, &[3; 100]));
        assert_eq!(
            tail,
            datagram(src, dst, &[1; 100]),
            "refusals leave the packet alone"
        );
    }
}
