//! Building the packets the engine writes toward the LAN.
//!
//! Every packet masq emits is built fresh (the engine terminates connections; it never
//! rewrites a LAN packet in place), so checksums are computed once here and are right by
//! construction. Builders return `None` only for impossible inputs (mixed address families,
//! payloads that cannot fit an IP packet); callers count those as drops.

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    IcmpEchoHeader, Icmpv4Type, Icmpv6Type, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder,
    PacketBuilderStep, TcpOptionElement, UdpHeader, icmpv4, icmpv6,
};

use super::checksum;
use crate::command::IcmpErrorKind;

/// TTL of packets the gateway originates toward the LAN.
pub(crate) const LAN_TTL: u8 = 64;

/// The most of an offending packet an ICMPv4 error quotes: RFC 1812 4.3.2.3 keeps the whole
/// error within 576 bytes (20 IP + 8 ICMP header).
const MAX_QUOTE_V4: usize = 576 - 28;
/// ICMPv6 errors must fit the IPv6 minimum MTU (RFC 4443 2.4 (c)): 1280 - 40 - 8.
const MAX_QUOTE_V6: usize = 1280 - 48;

/// Header fields of a TCP segment toward the LAN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TcpOut {
    pub seq: u32,
    /// `Some` sets the ACK flag: every segment but a bare RST carries it.
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub window: u16,
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    /// Announce SACK-permitted (SYN-ACK only).
    pub sack_permitted: bool,
    /// SACK blocks to report (receiver side), wire sequence numbers; a DSACK goes first.
    pub sack: [Option<(u32, u32)>; 4],
}

fn ip_step(src: IpAddr, dst: IpAddr, ttl: u8) -> Option<PacketBuilderStep<etherparse::IpHeaders>> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Some(PacketBuilder::ipv4(s.octets(), d.octets(), ttl)),
        (IpAddr::V6(s), IpAddr::V6(d)) => Some(PacketBuilder::ipv6(s.octets(), d.octets(), ttl)),
        _ => None,
    }
}

/// A TCP segment from `src` (the remote, as the LAN host knows it) to `dst` (the LAN host).
pub(crate) fn tcp(src: SocketAddr, dst: SocketAddr, h: &TcpOut, payload: &[u8]) -> Option<Vec<u8>> {
    let mut b = ip_step(src.ip(), dst.ip(), LAN_TTL)?.tcp(src.port(), dst.port(), h.seq, h.window);
    if let Some(ack) = h.ack {
        b = b.ack(ack);
    }
    if h.syn {
        b = b.syn();
    }
    if h.fin {
        b = b.fin();
    }
    if h.rst {
        b = b.rst();
    }
    if h.psh {
        b = b.psh();
    }
    let mut options = Vec::with_capacity(8);
    if let Some(mss) = h.mss {
        options.push(TcpOptionElement::MaximumSegmentSize(mss));
    }
    if let Some(shift) = h.wscale {
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::WindowScale(shift));
    }
    if h.sack_permitted {
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
    }
    if let Some(first) = h.sack[0] {
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::SelectiveAcknowledgement(
            first,
            [h.sack[1], h.sack[2], h.sack[3]],
        ));
    }
    if !options.is_empty() {
        b = b.options(&options).ok()?;
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).ok()?;
    Some(out)
}

/// A TCP super-segment toward the LAN that the OS splits into `segment_size` pieces (see
/// [`crate::offload`]): headers without options, and only the pseudo-header sum in the
/// checksum field, which the OS completes per segment.
pub(crate) fn tcp_segmented(
    src: SocketAddr,
    dst: SocketAddr,
    h: &TcpOut,
    payload: [&[u8]; 2],
    segment_size: u16,
    mut out: Vec<u8>,
) -> Option<(Vec<u8>, crate::offload::Segmentation)> {
    let payload_len = payload[0].len() + payload[1].len();
    let mut tcp = etherparse::TcpHeader::new(src.port(), dst.port(), h.seq, h.window);
    tcp.ack = h.ack.is_some();
    tcp.acknowledgment_number = h.ack.unwrap_or(0);
    tcp.psh = h.psh;
    tcp.fin = h.fin;
    let tcp_len = tcp.header_len() + payload_len;
    let partial = |tcp: &mut etherparse::TcpHeader| {
        let sum = super::checksum::pseudo_header(src.ip(), dst.ip(), IpNumber::TCP.0, tcp_len);
        // The folded sum itself, not its complement: what CHECKSUM_PARTIAL expects.
        tcp.checksum = !super::checksum::fold(sum);
    };
    out.clear();
    out.reserve(60 + tcp_len);
    let ip_len = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut ip = Ipv4Header::new(
                u16::try_from(tcp_len).ok()?,
                LAN_TTL,
                IpNumber::TCP,
                s.octets(),
                d.octets(),
            )
            .ok()?;
            ip.dont_fragment = true;
            ip.header_checksum = ip.calc_header_checksum();
            ip.write(&mut out).ok()?;
            ip.header_len()
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let ip = etherparse::Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: u16::try_from(tcp_len).ok()?,
                next_header: IpNumber::TCP,
                hop_limit: LAN_TTL,
                source: s.octets(),
                destination: d.octets(),
            };
            ip.write(&mut out).ok()?;
            etherparse::Ipv6Header::LEN
        }
        _ => return None,
    };
    partial(&mut tcp);
    tcp.write(&mut out).ok()?;
    out.extend_from_slice(payload[0]);
    out.extend_from_slice(payload[1]);
    let seg = crate::offload::Segmentation {
        kind: crate::offload::SegmentKind::Tcp,
        segment_size,
        header_len: u16::try_from(ip_len + tcp.header_len()).ok()?,
        csum_start: u16::try_from(ip_len).ok()?,
        csum_offset: 16,
        ipv6: src.is_ipv6(),
    };
    Some((out, seg))
}

/// A UDP datagram toward the LAN, split into IPv4 fragments when it exceeds `mtu`
/// (the remote may send datagrams larger than the LAN's MTU, e.g. EDNS answers). `ident`
/// is the IPv4 identification of the fragments: the caller keeps it unique per source and
/// destination while fragments may be in flight (RFC 791, RFC 6864).
pub(crate) fn udp(
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
    mtu: u16,
    ident: u16,
) -> Option<Vec<Vec<u8>>> {
    let b = ip_step(src.ip(), dst.ip(), LAN_TTL)?.udp(src.port(), dst.port());
    let size = b.size(payload.len());
    if size <= usize::from(mtu) {
        let mut out = Vec::with_capacity(size);
        b.write(&mut out, payload).ok()?;
        return Some(vec![out]);
    }
    let (s, d) = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => (s, d),
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            return udp_v6_fragments(s, d, src.port(), dst.port(), payload, mtu, ident);
        }
        _ => return None,
    };
    let udp = UdpHeader::with_ipv4_checksum(
        src.port(),
        dst.port(),
        &Ipv4Header::new(0, LAN_TTL, IpNumber::UDP, s.octets(), d.octets()).ok()?,
        payload,
    )
    .ok()?;
    let mut l4 = Vec::with_capacity(8 + payload.len());
    l4.extend_from_slice(&udp.to_bytes());
    l4.extend_from_slice(payload);
    let max_chunk = (usize::from(mtu).saturating_sub(Ipv4Header::MIN_LEN)) & !7;
    if max_chunk == 0 {
        return None;
    }
    let mut fragments = Vec::new();
    for (i, chunk) in l4.chunks(max_chunk).enumerate() {
        let offset = i * max_chunk;
        let mut h = Ipv4Header::new(
            chunk.len() as u16,
            LAN_TTL,
            IpNumber::UDP,
            s.octets(),
            d.octets(),
        )
        .ok()?;
        h.identification = ident;
        // A fragment must not claim "don't fragment" (etherparse's default is DF set).
        h.dont_fragment = false;
        h.more_fragments = offset + chunk.len() < l4.len();
        h.fragment_offset = etherparse::IpFragOffset::try_new((offset / 8) as u16).ok()?;
        h.header_checksum = h.calc_header_checksum();
        let mut out = Vec::with_capacity(Ipv4Header::MIN_LEN + chunk.len());
        h.write(&mut out).ok()?;
        out.extend_from_slice(chunk);
        fragments.push(out);
    }
    Some(fragments)
}

/// A UDP datagram too large for the LAN's MTU, in IPv6 fragments (RFC 8200 4.5). The relay
/// is the datagram's source toward the LAN (it re-originates what its uplink socket received
/// whole), and IPv6 lets a source fragment: dropping it instead would black-hole large
/// answers (DNS with EDNS, IKE) that work over IPv4.
fn udp_v6_fragments(
    src: std::net::Ipv6Addr,
    dst: std::net::Ipv6Addr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
    mtu: u16,
    ident: u16,
) -> Option<Vec<Vec<u8>>> {
    const FIXED: usize = 40;
    const FRAGMENT_HEADER: usize = 8;
    let header = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: 0,
        next_header: IpNumber::UDP,
        hop_limit: LAN_TTL,
        source: src.octets(),
        destination: dst.octets(),
    };
    let udp = UdpHeader::with_ipv6_checksum(src_port, dst_port, &header, payload).ok()?;
    let mut l4 = Vec::with_capacity(8 + payload.len());
    l4.extend_from_slice(&udp.to_bytes());
    l4.extend_from_slice(payload);
    let max_chunk = usize::from(mtu).saturating_sub(FIXED + FRAGMENT_HEADER) & !7;
    if max_chunk == 0 || l4.len() > usize::from(u16::MAX) {
        return None;
    }
    // The per-pair counter (RFC 7739: not shared across destinations, not global).
    let id = u32::from(ident);
    let mut fragments = Vec::new();
    for (i, chunk) in l4.chunks(max_chunk).enumerate() {
        let offset = i * max_chunk;
        let more = offset + chunk.len() < l4.len();
        let mut h = header.clone();
        h.payload_length = u16::try_from(FRAGMENT_HEADER + chunk.len()).ok()?;
        h.next_header = IpNumber::IPV6_FRAGMENTATION_HEADER;
        let mut out = Vec::with_capacity(FIXED + FRAGMENT_HEADER + chunk.len());
        h.write(&mut out).ok()?;
        let field = u16::try_from(offset / 8).ok()? << 3 | u16::from(more);
        out.extend_from_slice(&[IpNumber::UDP.0, 0]);
        out.extend_from_slice(&field.to_be_bytes());
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(chunk);
        fragments.push(out);
    }
    Some(fragments)
}

/// An echo reply toward the LAN host.
pub(crate) fn echo_reply(
    src: IpAddr,
    dst: IpAddr,
    ident: u16,
    seq: u16,
    payload: &[u8],
) -> Option<Vec<u8>> {
    let step = ip_step(src, dst, LAN_TTL)?;
    let mut out = Vec::with_capacity(64 + payload.len());
    match src {
        IpAddr::V4(_) => step
            .icmpv4_echo_reply(ident, seq)
            .write(&mut out, payload)
            .ok()?,
        IpAddr::V6(_) => step
            .icmpv6(Icmpv6Type::EchoReply(IcmpEchoHeader { id: ident, seq }))
            .write(&mut out, payload)
            .ok()?,
    }
    Some(out)
}

/// An ICMP error from `src` (the gateway or the router that reported it) to the LAN host
/// `dst`, quoting `quote` (the offending packet as the LAN host sent it).
pub(crate) fn icmp_error(
    src: IpAddr,
    dst: IpAddr,
    kind: IcmpErrorKind,
    quote: &[u8],
) -> Option<Vec<u8>> {
    let step = ip_step(src, dst, LAN_TTL)?;
    let mut out = Vec::with_capacity(64 + quote.len().min(MAX_QUOTE_V6));
    match src {
        IpAddr::V4(_) => {
            use icmpv4::DestUnreachableHeader as U;
            let t = match kind {
                IcmpErrorKind::TimeExceeded => {
                    Icmpv4Type::TimeExceeded(icmpv4::TimeExceededCode::TtlExceededInTransit)
                }
                IcmpErrorKind::NetUnreachable => Icmpv4Type::DestinationUnreachable(U::Network),
                IcmpErrorKind::HostUnreachable => Icmpv4Type::DestinationUnreachable(U::Host),
                IcmpErrorKind::ProtocolUnreachable => {
                    Icmpv4Type::DestinationUnreachable(U::Protocol)
                }
                IcmpErrorKind::PortUnreachable => Icmpv4Type::DestinationUnreachable(U::Port),
                IcmpErrorKind::AdminProhibited => {
                    Icmpv4Type::DestinationUnreachable(U::FilterProhibited)
                }
                IcmpErrorKind::PacketTooBig { mtu } => {
                    Icmpv4Type::DestinationUnreachable(U::FragmentationNeeded {
                        next_hop_mtu: u16::try_from(mtu).unwrap_or(u16::MAX),
                    })
                }
                IcmpErrorKind::ParameterProblem => Icmpv4Type::ParameterProblem(
                    icmpv4::ParameterProblemHeader::PointerIndicatesError(0),
                ),
            };
            step.icmpv4(t)
                .write(&mut out, &quote[..quote.len().min(MAX_QUOTE_V4)])
                .ok()?;
        }
        IpAddr::V6(_) => {
            use icmpv6::DestUnreachableCode as U;
            let t = match kind {
                IcmpErrorKind::TimeExceeded => {
                    Icmpv6Type::TimeExceeded(icmpv6::TimeExceededCode::HopLimitExceeded)
                }
                IcmpErrorKind::NetUnreachable => Icmpv6Type::DestinationUnreachable(U::NoRoute),
                IcmpErrorKind::HostUnreachable | IcmpErrorKind::ProtocolUnreachable => {
                    Icmpv6Type::DestinationUnreachable(U::Address)
                }
                IcmpErrorKind::PortUnreachable => Icmpv6Type::DestinationUnreachable(U::Port),
                IcmpErrorKind::AdminProhibited => Icmpv6Type::DestinationUnreachable(U::Prohibited),
                IcmpErrorKind::PacketTooBig { mtu } => Icmpv6Type::PacketTooBig { mtu },
                IcmpErrorKind::ParameterProblem => {
                    Icmpv6Type::ParameterProblem(icmpv6::ParameterProblemHeader {
                        code: icmpv6::ParameterProblemCode::ErroneousHeaderField,
                        pointer: 0,
                    })
                }
            };
            step.icmpv6(t)
                .write(&mut out, &quote[..quote.len().min(MAX_QUOTE_V6)])
                .ok()?;
        }
    }
    Some(out)
}

/// Rebuilds the IP + transport header of a datagram the LAN host sent, for quoting in an ICMP
/// error when only the uplink socket's copy is known (the OS returns the payload, not our
/// LAN-side headers). `transport` is the transport header plus whatever payload is known;
/// `whole_len` is how long it was in the datagram, which the IP header states, as a quote
/// by a router does.
pub(crate) fn reconstruct_quote(
    src: IpAddr,
    dst: IpAddr,
    proto: IpNumber,
    transport: &[u8],
    whole_len: usize,
) -> Option<Vec<u8>> {
    let whole_len = u16::try_from(whole_len.max(transport.len())).ok()?;
    let mut out = Vec::with_capacity(40 + transport.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = Ipv4Header::new(whole_len, 1, proto, s.octets(), d.octets()).ok()?;
            h.header_checksum = h.calc_header_checksum();
            h.write(&mut out).ok()?;
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let h = etherparse::Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: whole_len,
                next_header: proto,
                hop_limit: 1,
                source: s.octets(),
                destination: d.octets(),
            };
            h.write(&mut out).ok()?;
        }
        _ => return None,
    }
    out.extend_from_slice(transport);
    Some(out)
}

/// A UDP header for a quote (checksum zero: quoted headers are not verified).
pub(crate) fn udp_header_bytes(src_port: u16, dst_port: u16, payload_len: usize) -> [u8; 8] {
    let len = u16::try_from(8 + payload_len).unwrap_or(u16::MAX);
    UdpHeader {
        source_port: src_port,
        destination_port: dst_port,
        length: len,
        checksum: 0,
    }
    .to_bytes()
}

/// An ICMP error for the internet (RFC 5508 REQ-5): the error `host` sent about a datagram
/// from `remote`, with the quoted datagram restored to what the remote sent to `gateway`
/// (REQ-5a: addresses, ports, and the UDP checksum adjusted to match) and the error's type,
/// code and MTU/pointer word kept (REQ-5b). `quoted_udp` is the UDP header and payload the
/// host quoted. Only the ICMP message: the raw socket that sends it adds the IP header from
/// `gateway`'s address (REQ-5c), which the checksum of an ICMPv6 message covers.
pub(crate) fn icmp_error_outward(
    head: [u8; 8],
    host: SocketAddr,
    remote: SocketAddr,
    gateway: SocketAddr,
    quoted_udp: &[u8],
) -> Option<Vec<u8>> {
    let udp_len = usize::from(u16::from_be_bytes([
        *quoted_udp.get(4)?,
        *quoted_udp.get(5)?,
    ]));
    let host_check = u16::from_be_bytes([*quoted_udp.get(6)?, *quoted_udp.get(7)?]);
    // What the host quoted beyond its datagram's own length is not part of it.
    let payload = quoted_udp.get(8..udp_len.max(8).min(quoted_udp.len()))?;
    let mut transport =
        udp_header_bytes(remote.port(), gateway.port(), udp_len.saturating_sub(8)).to_vec();
    // The remote's checksum covered the gateway's address and port where the host's covered
    // its own; 0 means an IPv4 datagram without one, and stays so.
    let check = if host_check == 0 {
        0
    } else {
        let (old, new) = (
            checksum::endpoint_sum(host),
            checksum::endpoint_sum(gateway),
        );
        match checksum::adjust(host_check, old, new) {
            0 => 0xffff,
            c => c,
        }
    };
    transport[6..8].copy_from_slice(&check.to_be_bytes());
    transport.extend_from_slice(payload);
    let mut quote = reconstruct_quote(
        remote.ip(),
        gateway.ip(),
        IpNumber::UDP,
        &transport,
        udp_len,
    )?;
    let (max_quote, pseudo) = match gateway.ip() {
        IpAddr::V4(_) => (MAX_QUOTE_V4, 0),
        IpAddr::V6(_) => {
            let len = 8 + quote.len().min(MAX_QUOTE_V6);
            let proto = IpNumber::IPV6_ICMP.0;
            (
                MAX_QUOTE_V6,
                checksum::pseudo_header(gateway.ip(), remote.ip(), proto, len),
            )
        }
    };
    quote.truncate(max_quote);
    let mut message = Vec::with_capacity(8 + quote.len());
    message.extend_from_slice(&head);
    message[2..4].copy_from_slice(&[0, 0]);
    message.extend_from_slice(&quote);
    let sum = checksum::fold(pseudo + checksum::sum(&message));
    message[2..4].copy_from_slice(&sum.to_be_bytes());
    Some(message)
}
