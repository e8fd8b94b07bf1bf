//! Validating parse of one IP packet from the LAN into a view the engine can trust.
//!
//! etherparse does the header slicing; this module adds what a gateway needs on top: checksum
//! verification, the TCP options masq honours (MSS, window scale), and one [`DropReason`] for
//! every way a packet can be unusable. After [`parse`] succeeds no field is re-checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    Icmpv4Type, Icmpv6Type, IpNumber, NetSlice, SlicedPacket, TcpOptionElement, TransportSlice,
};

use super::checksum;
use crate::stats::DropReason;

/// Set only when built for fuzzing (`RUSTFLAGS=--cfg fuzzing`, as `scripts/fuzz.sh` and
/// cargo-fuzz do): checksums are then not verified.
const SKIP_CHECKSUMS: bool = cfg!(fuzzing);

/// A parsed, checksum-verified packet from the LAN.
#[derive(Debug)]
pub(crate) struct Packet<'a> {
    /// Source address (the hidden host).
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// TTL / hop limit as received.
    pub ttl: u8,
    /// The sender forbade fragmenting it on the way: the IPv4 DF bit, always for IPv6.
    pub dont_fragment: bool,
    /// The whole packet, for quoting in ICMP errors.
    pub raw: &'a [u8],
    /// The transport part.
    pub l4: L4<'a>,
}

/// Transport content the engine acts on.
#[derive(Debug)]
pub(crate) enum L4<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A UDP datagram.
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
    },
    /// An ICMP or ICMPv6 echo request.
    EchoRequest {
        ident: u16,
        seq: u16,
        payload: &'a [u8],
    },
    /// An ICMP or ICMPv6 error from the LAN about a packet the gateway delivered there.
    IcmpError {
        /// The path's MTU when it is a Packet Too Big (ICMPv6) or Fragmentation Needed
        /// (ICMPv4); `None` for any other error.
        too_big: Option<u32>,
        /// The error's own 8-byte header (type, code, checksum, and the 4 bytes that carry an
        /// MTU or a pointer), kept as it is to relay the error outward (RFC 5508 REQ-5b).
        head: [u8; 8],
        /// The start of the packet the error is about, as the sender of the error quoted it.
        quote: &'a [u8],
    },
}

/// The addresses, protocol, ports and (TCP) sequence number of a packet quoted in an ICMP
/// error: enough to find the flow it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quoted {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: IpNumber,
    pub src_port: u16,
    pub dst_port: u16,
    /// The TCP sequence number (0 for other protocols).
    pub seq: u32,
    /// Where the transport header starts in the quote.
    pub l4_at: usize,
}

/// Reads the headers of a packet quoted in an ICMP error (RFC 792, RFC 4443: the IP header
/// and at least 8 bytes of what follows). `None` if too short or not IP.
pub(crate) fn quoted(quote: &[u8]) -> Option<Quoted> {
    let (src, dst, protocol, l4_at): (IpAddr, IpAddr, IpNumber, usize) = match quote.first()? >> 4 {
        4 => {
            let ihl = usize::from(quote[0] & 0x0f) * 4;
            if ihl < 20 || quote.len() < ihl + 8 {
                return None;
            }
            let a = |i: usize| Ipv4Addr::new(quote[i], quote[i + 1], quote[i + 2], quote[i + 3]);
            (
                IpAddr::V4(a(12)),
                IpAddr::V4(a(16)),
                IpNumber(quote[9]),
                ihl,
            )
        }
        6 => {
            if quote.len() < 48 {
                return None;
            }
            let a = |i: usize| {
                let b: [u8; 16] = quote[i..i + 16].try_into().unwrap_or([0; 16]);
                Ipv6Addr::from(b)
            };
            (IpAddr::V6(a(8)), IpAddr::V6(a(24)), IpNumber(quote[6]), 40)
        }
        _ => return None,
    };
    let l4 = &quote[l4_at..];
    let word = |i: usize| u16::from_be_bytes([l4[i], l4[i + 1]]);
    let seq = if protocol == IpNumber::TCP {
        u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]])
    } else {
        0
    };
    Some(Quoted {
        src,
        dst,
        protocol,
        src_port: word(0),
        dst_port: word(2),
        seq,
        l4_at,
    })
}

/// The first 8 bytes of an ICMP message (etherparse has sliced it, so they are there).
fn icmp_head(l4: &[u8]) -> Result<[u8; 8], DropReason> {
    l4.get(..8)
        .and_then(|h| h.try_into().ok())
        .ok_or(DropReason::Truncated)
}

/// TCP flag bits the engine looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

/// A TCP segment with the options masq honours.
#[derive(Debug)]
pub(crate) struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// Maximum segment size option (SYN only).
    pub mss: Option<u16>,
    /// Window scale shift option (SYN only), clamped to 14 as RFC 7323 requires.
    pub wscale: Option<u8>,
    /// SACK-permitted option (SYN only, RFC 2018).
    pub sack_permitted: bool,
    /// SACK blocks (left edge, right edge) of an ACK, as wire sequence numbers.
    pub sack: [Option<(u32, u32)>; 4],
    pub payload: &'a [u8],
}

/// Parses and verifies one IP packet as read from the adapter.
pub(crate) fn parse(raw: &[u8]) -> Result<Packet<'_>, DropReason> {
    parse_with(raw, false)
}

/// Parses one IP packet; with `checksum_trusted` the OS already vouched for the transport
/// checksum (or it is a partial one on a locally offloaded packet), so it is not verified.
pub(crate) fn parse_with(raw: &[u8], checksum_trusted: bool) -> Result<Packet<'_>, DropReason> {
    // A fuzzer cannot fix up checksums, so under `cfg(fuzzing)` none is verified and its
    // mutations reach the logic behind them.
    let checksum_trusted = checksum_trusted || SKIP_CHECKSUMS;
    let version = raw.first().map(|b| b >> 4);
    let sliced = SlicedPacket::from_ip(raw).map_err(|e| {
        use etherparse::err::packet::SliceError;
        match e {
            SliceError::Len(_) => DropReason::Truncated,
            _ if version != Some(4) && version != Some(6) => DropReason::Malformed,
            _ => DropReason::Malformed,
        }
    })?;
    let (src, dst, ttl, dont_fragment, payload) = match &sliced.net {
        Some(NetSlice::Ipv4(v4)) => {
            let h = v4.header();
            if h.is_fragmenting_payload() {
                return Err(DropReason::Fragment);
            }
            if !SKIP_CHECKSUMS && checksum::fold(checksum::sum(h.slice())) != 0 {
                return Err(DropReason::BadChecksum);
            }
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                h.ttl(),
                h.dont_fragment(),
                v4.payload(),
            )
        }
        Some(NetSlice::Ipv6(v6)) => {
            let h = v6.header();
            if v6.payload().fragmented {
                return Err(DropReason::Fragment);
            }
            // A router never fragments IPv6, so a whole datagram leaves with "don't
            // fragment"; one that carries a Fragment header (atomic, as reassembly leaves it)
            // was fragmented by its host, which thereby allowed it.
            let host_fragmented = v6
                .extensions()
                .clone()
                .into_iter()
                .any(|e| matches!(e, etherparse::Ipv6ExtensionSlice::Fragment(_)));
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                h.hop_limit(),
                !host_fragmented,
                v6.payload(),
            )
        }
        _ => return Err(DropReason::Malformed),
    };
    let l4_bytes = payload.payload;
    let l4 = match (sliced.transport, payload.ip_number) {
        (Some(TransportSlice::Tcp(tcp)), _) => {
            if !checksum_trusted && pseudo_checksum(src, dst, IpNumber::TCP, l4_bytes) != 0 {
                return Err(DropReason::BadChecksum);
            }
            let mut seg = TcpSegment {
                src_port: tcp.source_port(),
                dst_port: tcp.destination_port(),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags: TcpFlags {
                    syn: tcp.syn(),
                    ack: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                    psh: tcp.psh(),
                },
                window: tcp.window_size(),
                mss: None,
                wscale: None,
                sack_permitted: false,
                sack: [None; 4],
                payload: tcp.payload(),
            };
            for option in tcp.options_iterator() {
                match option {
                    Ok(TcpOptionElement::MaximumSegmentSize(mss)) => seg.mss = Some(mss),
                    Ok(TcpOptionElement::WindowScale(shift)) => seg.wscale = Some(shift.min(14)),
                    Ok(TcpOptionElement::SelectiveAcknowledgementPermitted) => {
                        seg.sack_permitted = true
                    }
                    Ok(TcpOptionElement::SelectiveAcknowledgement(first, rest)) => {
                        seg.sack = [Some(first), rest[0], rest[1], rest[2]];
                    }
                    Ok(_) => {}
                    Err(_) => return Err(DropReason::Malformed),
                }
            }
            L4::Tcp(seg)
        }
        (Some(TransportSlice::Udp(udp)), _) => {
            let sum = udp.checksum();
            let verify = matches!(src, IpAddr::V6(_)) || sum != 0;
            if verify
                && !checksum_trusted
                && pseudo_checksum(src, dst, IpNumber::UDP, l4_bytes) != 0
            {
                return Err(DropReason::BadChecksum);
            }
            if usize::from(udp.length()) != l4_bytes.len() {
                return Err(DropReason::Malformed);
            }
            L4::Udp {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                payload: udp.payload(),
            }
        }
        (Some(TransportSlice::Icmpv4(icmp)), _) => {
            if !SKIP_CHECKSUMS && checksum::fold(checksum::sum(l4_bytes)) != 0 {
                return Err(DropReason::BadChecksum);
            }
            match icmp.icmp_type() {
                Icmpv4Type::EchoRequest(echo) => L4::EchoRequest {
                    ident: echo.id,
                    seq: echo.seq,
                    payload: icmp.payload(),
                },
                Icmpv4Type::DestinationUnreachable(d) => L4::IcmpError {
                    too_big: match d {
                        etherparse::icmpv4::DestUnreachableHeader::FragmentationNeeded {
                            next_hop_mtu,
                        } => Some(u32::from(next_hop_mtu)),
                        _ => None,
                    },
                    head: icmp_head(l4_bytes)?,
                    quote: icmp.payload(),
                },
                Icmpv4Type::TimeExceeded(_) | Icmpv4Type::ParameterProblem(_) => L4::IcmpError {
                    too_big: None,
                    head: icmp_head(l4_bytes)?,
                    quote: icmp.payload(),
                },
                _ => return Err(DropReason::UnsupportedIcmp),
            }
        }
        (Some(TransportSlice::Icmpv6(icmp)), _) => {
            if !SKIP_CHECKSUMS && pseudo_checksum(src, dst, IpNumber::IPV6_ICMP, l4_bytes) != 0 {
                return Err(DropReason::BadChecksum);
            }
            match icmp.icmp_type() {
                Icmpv6Type::EchoRequest(echo) => L4::EchoRequest {
                    ident: echo.id,
                    seq: echo.seq,
                    payload: icmp.payload(),
                },
                Icmpv6Type::PacketTooBig { mtu } => L4::IcmpError {
                    too_big: Some(mtu),
                    head: icmp_head(l4_bytes)?,
                    quote: icmp.payload(),
                },
                Icmpv6Type::DestinationUnreachable(_)
                | Icmpv6Type::TimeExceeded(_)
                | Icmpv6Type::ParameterProblem(_) => L4::IcmpError {
                    too_big: None,
                    head: icmp_head(l4_bytes)?,
                    quote: icmp.payload(),
                },
                _ => return Err(DropReason::UnsupportedIcmp),
            }
        }
        (None, IpNumber::TCP | IpNumber::UDP | IpNumber::ICMP | IpNumber::IPV6_ICMP) => {
            return Err(DropReason::Truncated);
        }
        _ => return Err(DropReason::UnsupportedProtocol),
    };
    Ok(Packet {
        src,
        dst,
        ttl,
        dont_fragment,
        raw,
        l4,
    })
}

/// The folded one's-complement sum over pseudo header and segment: 0 when the checksum in
/// the segment is right.
fn pseudo_checksum(src: IpAddr, dst: IpAddr, proto: IpNumber, segment: &[u8]) -> u16 {
    checksum::fold(
        checksum::pseudo_header(src, dst, proto.0, segment.len()) + checksum::sum(segment),
    )
}

/// Whether an address can be a masquerading destination at all.
pub(crate) fn is_routable_destination(dst: IpAddr) -> bool {
    match dst {
        IpAddr::V4(a) => {
            !(a.is_unspecified()
                || a.is_loopback()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_link_local()
                || a == Ipv4Addr::new(0, 0, 0, 0))
        }
        IpAddr::V6(a) => {
            !(a.is_unspecified()
                || a.is_loopback()
                || a.is_multicast()
                || a.is_unicast_link_local()
                || a == Ipv6Addr::UNSPECIFIED)
        }
    }
}
