//! An inbound connection attempt seen on the uplink, and the bounds-checked parser that turns a
//! captured IPv4 packet into one.
//!
//! The kernel-side filter (see the Linux `inbound` module) already keeps only IPv4 TCP SYNs
//! and UDP datagrams to the uplink address, but the parser re-checks everything: a filter bug
//! or a packet queued before the filter was attached must never be misreported, and a
//! truncated or malformed packet must never panic.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use masq_vocab::Protocol;

/// Someone on the uplink side tried to reach the gateway: a TCP SYN or a UDP datagram.
///
/// The runtime hands these to the engine, which decides whether they belong to a mapping
/// (UDP replies do) or are refused attempts to show the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservedInbound {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Who sent it (source address and port).
    pub remote: SocketAddr,
    /// Where it was sent (the uplink address and destination port).
    pub local: SocketAddr,
}

const IPV4_MIN_HEADER: usize = 20;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const TCP_FLAG_SYN: u8 = 0x02;
const TCP_FLAG_ACK: u8 = 0x10;
/// Fragment offset bits of the IPv4 flags/fragment field.
const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

impl ObservedInbound {
    /// Parses an IPv4 packet that starts at the IP header (no link header).
    ///
    /// Returns `None` unless it is an unfragmented-or-first-fragment IPv4 packet carrying a
    /// TCP segment with SYN set and ACK clear, or a UDP datagram, with the ports present.
    pub fn parse_ipv4(packet: &[u8]) -> Option<ObservedInbound> {
        let first = *packet.first()?;
        if first >> 4 != 4 {
            return None;
        }
        let header_len = usize::from(first & 0x0f) * 4;
        if header_len < IPV4_MIN_HEADER || packet.len() < header_len {
            return None;
        }
        let flags_fragment = u16::from_be_bytes([packet[6], packet[7]]);
        if flags_fragment & FRAGMENT_OFFSET_MASK != 0 {
            return None;
        }
        let protocol = match packet[9] {
            PROTO_TCP => Protocol::Tcp,
            PROTO_UDP => Protocol::Udp,
            _ => return None,
        };
        let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
        let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
        let l4 = &packet[header_len..];
        if l4.len() < 4 {
            return None;
        }
        if protocol == Protocol::Tcp {
            let flags = *l4.get(13)?;
            if flags & (TCP_FLAG_SYN | TCP_FLAG_ACK) != TCP_FLAG_SYN {
                return None;
            }
        }
        let src_port = u16::from_be_bytes([l4[0], l4[1]]);
        let dst_port = u16::from_be_bytes([l4[2], l4[3]]);
        Some(ObservedInbound {
            protocol,
            remote: SocketAddr::V4(SocketAddrV4::new(src, src_port)),
            local: SocketAddr::V4(SocketAddrV4::new(dst, dst_port)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 203.0.113.7:40000 → 192.0.2.10:22, TCP SYN, 20-byte IP header, 20-byte TCP header.
    const TCP_SYN: [u8; 40] = [
        0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00,
        0x00, // ver/ihl .. checksum
        203, 0, 113, 7, // source
        192, 0, 2, 10, // destination
        0x9c, 0x40, 0x00, 0x16, // ports 40000 → 22
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // seq, ack
        0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00,
        0x00, // data offset, flags=SYN, window, csum, urg
    ];

    /// 198.51.100.1:53 → 192.0.2.10:5353 UDP, with a 24-byte IP header (one option word).
    const UDP_WITH_OPTIONS: [u8; 32] = [
        0x46, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, // ihl=6
        198, 51, 100, 1, // source
        192, 0, 2, 10, // destination
        0x01, 0x01, 0x01, 0x01, // option word (NOPs)
        0x00, 0x35, 0x14, 0xe9, 0x00, 0x08, 0x00, 0x00, // ports 53 → 5353, len, csum
    ];

    #[test]
    fn tcp_syn_is_observed() {
        let seen = ObservedInbound::parse_ipv4(&TCP_SYN).unwrap();
        assert_eq!(seen.protocol, Protocol::Tcp);
        assert_eq!(seen.remote, "203.0.113.7:40000".parse().unwrap());
        assert_eq!(seen.local, "192.0.2.10:22".parse().unwrap());
    }

    #[test]
    fn syn_ack_and_plain_ack_are_not_attempts() {
        let mut syn_ack = TCP_SYN;
        syn_ack[33] = 0x12;
        assert_eq!(ObservedInbound::parse_ipv4(&syn_ack), None);
        let mut ack = TCP_SYN;
        ack[33] = 0x10;
        assert_eq!(ObservedInbound::parse_ipv4(&ack), None);
    }

    #[test]
    fn udp_after_ip_options() {
        let seen = ObservedInbound::parse_ipv4(&UDP_WITH_OPTIONS).unwrap();
        assert_eq!(seen.protocol, Protocol::Udp);
        assert_eq!(seen.remote, "198.51.100.1:53".parse().unwrap());
        assert_eq!(seen.local, "192.0.2.10:5353".parse().unwrap());
    }

    #[test]
    fn truncated_packets_never_panic() {
        for len in 0..TCP_SYN.len() {
            let parsed = ObservedInbound::parse_ipv4(&TCP_SYN[..len]);
            // The TCP flags byte is at offset 33; anything shorter cannot be judged a SYN.
            assert_eq!(parsed.is_some(), len >= 34, "length {len}");
        }
        for len in 0..UDP_WITH_OPTIONS.len() {
            let parsed = ObservedInbound::parse_ipv4(&UDP_WITH_OPTIONS[..len]);
            assert_eq!(parsed.is_some(), len >= 28, "length {len}");
        }
    }

    #[test]
    fn rejects_non_first_fragments_other_protocols_and_bad_headers() {
        let mut fragment = UDP_WITH_OPTIONS;
        fragment[7] = 0x10;
        assert_eq!(ObservedInbound::parse_ipv4(&fragment), None);

        let mut icmp = UDP_WITH_OPTIONS;
        icmp[9] = 1;
        assert_eq!(ObservedInbound::parse_ipv4(&icmp), None);

        let mut v6 = TCP_SYN;
        v6[0] = 0x65;
        assert_eq!(ObservedInbound::parse_ipv4(&v6), None);

        let mut short_ihl = TCP_SYN;
        short_ihl[0] = 0x44;
        assert_eq!(ObservedInbound::parse_ipv4(&short_ihl), None);

        let mut huge_ihl = TCP_SYN;
        huge_ihl[0] = 0x4f;
        assert_eq!(ObservedInbound::parse_ipv4(&huge_ihl), None);
    }

    #[test]
    fn first_fragment_with_more_fragments_is_still_parsed() {
        let mut first = TCP_SYN;
        first[6] = 0x20; // MF set, offset 0
        assert!(ObservedInbound::parse_ipv4(&first).is_some());
    }
}
