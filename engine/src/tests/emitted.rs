//! Decoding what the engine wrote toward the LAN, independently of the engine's own code.
//!
//! Every packet is parsed by hand from its bytes (not with the engine's `wire` module, whose
//! mistakes would then cancel out), and its invariants are asserted on the spot: a correct
//! IPv4 header checksum and total length, TTL 64, a transport checksum that verifies (TCP,
//! ICMP, unfragmented UDP), and the ACK flag on every TCP segment that is not a RST.
//! Fragments are kept raw and put together by [`reassemble`].

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

/// One packet the engine emitted, stamped with the virtual time it was polled at.
#[derive(Debug, Clone)]
pub struct Emitted {
    /// Virtual time since the harness started.
    pub at: Duration,
    /// The bytes as the engine produced them.
    pub raw: Vec<u8>,
    /// IPv4 source.
    pub src: Ipv4Addr,
    /// IPv4 destination.
    pub dst: Ipv4Addr,
    /// IPv4 identification.
    pub ident: u16,
    /// Don't-fragment flag.
    pub df: bool,
    /// More-fragments flag.
    pub mf: bool,
    /// Fragment offset in bytes.
    pub frag_offset: usize,
    /// The transport content.
    pub body: Body,
}

/// Transport content of an emitted packet.
#[derive(Debug, Clone)]
pub enum Body {
    /// A TCP segment.
    Tcp(Seg),
    /// A whole UDP datagram.
    Udp(Dgram),
    /// An ICMP message.
    Icmp(Icmp),
    /// A piece of a fragmented datagram (IP payload bytes only).
    Fragment(Vec<u8>),
}

/// A TCP segment toward the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// Source (the remote as the hidden host knows it).
    pub src: SocketAddr,
    /// Destination (the hidden host).
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number when the ACK flag is set.
    pub ack: Option<u32>,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// PSH flag.
    pub psh: bool,
    /// Window field as sent (unscaled).
    pub window: u16,
    /// MSS option.
    pub mss: Option<u16>,
    /// Window scale option.
    pub wscale: Option<u8>,
    /// Any option other than MSS, window scale, NOP and EOL.
    pub other_options: Vec<u8>,
    /// SACK blocks (option kind 5), in the order sent.
    pub sack: Vec<(u32, u32)>,
    /// Payload.
    pub payload: Vec<u8>,
}

impl Seg {
    /// Sequence space the segment occupies (SYN and FIN count one each).
    pub fn seq_len(&self) -> u32 {
        self.payload.len() as u32 + u32::from(self.syn) + u32::from(self.fin)
    }

    /// A pure ACK: no payload, only the ACK flag.
    pub fn is_pure_ack(&self) -> bool {
        self.ack.is_some() && !self.syn && !self.fin && !self.rst && self.payload.is_empty()
    }
}

/// A UDP datagram toward the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dgram {
    /// Source endpoint.
    pub src: SocketAddr,
    /// Destination endpoint.
    pub dst: SocketAddr,
    /// Payload.
    pub payload: Vec<u8>,
}

/// An ICMP message toward the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp {
    /// Type.
    pub ty: u8,
    /// Code.
    pub code: u8,
    /// Bytes 4..8 of the header (echo identifier and sequence, next-hop MTU, …).
    pub rest: [u8; 4],
    /// Everything after the 8-byte header (echo payload or the quoted packet).
    pub data: Vec<u8>,
}

impl Icmp {
    /// Echo identifier (bytes 4..6).
    pub fn echo_ident(&self) -> u16 {
        u16::from_be_bytes([self.rest[0], self.rest[1]])
    }

    /// Echo sequence number (bytes 6..8).
    pub fn echo_seq(&self) -> u16 {
        u16::from_be_bytes([self.rest[2], self.rest[3]])
    }

    /// The quoted packet of an ICMP error, decoded.
    pub fn quote(&self) -> Quote {
        Quote::parse(&self.data)
    }
}

/// The header fields of a packet quoted inside an ICMP error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Quoted source address.
    pub src: Ipv4Addr,
    /// Quoted destination address.
    pub dst: Ipv4Addr,
    /// Quoted protocol number.
    pub protocol: u8,
    /// First 8 bytes of the quoted transport header (ports, or ICMP type/code/id/seq).
    pub transport: Vec<u8>,
}

impl Quote {
    fn parse(data: &[u8]) -> Quote {
        assert!(
            data.len() >= 28,
            "an ICMP error must quote IP header + 8 bytes, got {}",
            data.len()
        );
        assert_eq!(data[0] >> 4, 4, "quoted packet is not IPv4");
        let ihl = usize::from(data[0] & 0x0f) * 4;
        assert!(data.len() >= ihl + 8, "quote too short for its header");
        Quote {
            src: Ipv4Addr::new(data[12], data[13], data[14], data[15]),
            dst: Ipv4Addr::new(data[16], data[17], data[18], data[19]),
            protocol: data[9],
            transport: data[ihl..ihl + 8].to_vec(),
        }
    }

    /// Source port of a quoted TCP/UDP header.
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.transport[0], self.transport[1]])
    }

    /// Destination port of a quoted TCP/UDP header.
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.transport[2], self.transport[3]])
    }

    /// Sequence number of a quoted TCP header.
    pub fn tcp_seq(&self) -> u32 {
        u32::from_be_bytes([
            self.transport[4],
            self.transport[5],
            self.transport[6],
            self.transport[7],
        ])
    }
}

impl Emitted {
    /// Decodes and checks one emitted packet; panics with a description on any violation.
    pub fn parse(at: Duration, raw: Vec<u8>) -> Emitted {
        assert!(
            raw.len() >= 20,
            "emitted packet shorter than an IPv4 header: {raw:?}"
        );
        assert_eq!(raw[0] >> 4, 4, "engine emitted a non-IPv4 packet");
        let ihl = usize::from(raw[0] & 0x0f) * 4;
        assert!(ihl >= 20 && raw.len() >= ihl, "bad IHL {ihl}");
        assert_eq!(fold(sum(&raw[..ihl])), 0, "bad IPv4 header checksum");
        let total = usize::from(u16::from_be_bytes([raw[2], raw[3]]));
        assert_eq!(
            total,
            raw.len(),
            "IPv4 total length disagrees with the packet size"
        );
        assert_eq!(raw[8], 64, "packets toward the LAN leave with TTL 64");
        let flags_frag = u16::from_be_bytes([raw[6], raw[7]]);
        let df = flags_frag & 0x4000 != 0;
        let mf = flags_frag & 0x2000 != 0;
        let frag_offset = usize::from(flags_frag & 0x1fff) * 8;
        let src = Ipv4Addr::new(raw[12], raw[13], raw[14], raw[15]);
        let dst = Ipv4Addr::new(raw[16], raw[17], raw[18], raw[19]);
        let ident = u16::from_be_bytes([raw[4], raw[5]]);
        let proto = raw[9];
        let l4 = &raw[ihl..];
        let body = if mf || frag_offset > 0 {
            Body::Fragment(l4.to_vec())
        } else {
            match proto {
                6 => Body::Tcp(parse_tcp(src, dst, l4)),
                17 => Body::Udp(parse_udp(src, dst, l4)),
                1 => Body::Icmp(parse_icmp(l4)),
                p => panic!("engine emitted protocol {p}"),
            }
        };
        Emitted {
            at,
            raw,
            src,
            dst,
            ident,
            df,
            mf,
            frag_offset,
            body,
        }
    }

    /// The TCP segment; panics if this is something else.
    pub fn tcp(&self) -> &Seg {
        match &self.body {
            Body::Tcp(s) => s,
            other => panic!("expected a TCP segment, got {other:?}"),
        }
    }

    /// The UDP datagram; panics if this is something else.
    pub fn udp(&self) -> &Dgram {
        match &self.body {
            Body::Udp(d) => d,
            other => panic!("expected a UDP datagram, got {other:?}"),
        }
    }

    /// The ICMP message; panics if this is something else.
    pub fn icmp(&self) -> &Icmp {
        match &self.body {
            Body::Icmp(i) => i,
            other => panic!("expected an ICMP message, got {other:?}"),
        }
    }
}

fn parse_tcp(src: Ipv4Addr, dst: Ipv4Addr, l4: &[u8]) -> Seg {
    assert!(l4.len() >= 20, "TCP header truncated");
    assert_eq!(
        fold(pseudo(src, dst, 6, l4.len()) + sum(l4)),
        0,
        "bad TCP checksum"
    );
    let off = usize::from(l4[12] >> 4) * 4;
    assert!(off >= 20 && off <= l4.len(), "bad TCP data offset {off}");
    let flags = l4[13];
    let (fin, syn, rst, psh, ackf) = (
        flags & 1 != 0,
        flags & 2 != 0,
        flags & 4 != 0,
        flags & 8 != 0,
        flags & 16 != 0,
    );
    assert!(
        ackf || rst || (syn && !fin),
        "RFC 9293: every segment but a RST (or the SYN opening a forwarded connection) \
         carries ACK (flags {flags:#04x})"
    );
    assert_eq!(flags & 0x20, 0, "URG is never sent");
    let mut seg = Seg {
        src: SocketAddr::V4(SocketAddrV4::new(src, u16::from_be_bytes([l4[0], l4[1]]))),
        dst: SocketAddr::V4(SocketAddrV4::new(dst, u16::from_be_bytes([l4[2], l4[3]]))),
        seq: u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]),
        ack: ackf.then(|| u32::from_be_bytes([l4[8], l4[9], l4[10], l4[11]])),
        syn,
        fin,
        rst,
        psh,
        window: u16::from_be_bytes([l4[14], l4[15]]),
        mss: None,
        wscale: None,
        other_options: Vec::new(),
        sack: Vec::new(),
        payload: l4[off..].to_vec(),
    };
    let mut opts = &l4[20..off];
    while let Some(&kind) = opts.first() {
        match kind {
            0 => break,
            1 => opts = &opts[1..],
            _ => {
                let len = usize::from(*opts.get(1).expect("option length"));
                assert!(len >= 2 && len <= opts.len(), "bad option length {len}");
                match (kind, len) {
                    (2, 4) => seg.mss = Some(u16::from_be_bytes([opts[2], opts[3]])),
                    (3, 3) => seg.wscale = Some(opts[2]),
                    (5, _) => {
                        assert!(
                            (len - 2) % 8 == 0 && len <= 2 + 4 * 8,
                            "bad SACK option length {len}"
                        );
                        let word = |i: usize| {
                            u32::from_be_bytes([opts[i], opts[i + 1], opts[i + 2], opts[i + 3]])
                        };
                        for b in (2..len).step_by(8) {
                            seg.sack.push((word(b), word(b + 4)));
                        }
                    }
                    _ => seg.other_options.push(kind),
                }
                opts = &opts[len..];
            }
        }
    }
    seg
}

fn parse_udp(src: Ipv4Addr, dst: Ipv4Addr, l4: &[u8]) -> Dgram {
    assert!(l4.len() >= 8, "UDP header truncated");
    assert_eq!(
        usize::from(u16::from_be_bytes([l4[4], l4[5]])),
        l4.len(),
        "UDP length field"
    );
    assert_ne!(
        u16::from_be_bytes([l4[6], l4[7]]),
        0,
        "UDP toward the LAN carries a checksum"
    );
    assert_eq!(
        fold(pseudo(src, dst, 17, l4.len()) + sum(l4)),
        0,
        "bad UDP checksum"
    );
    Dgram {
        src: SocketAddr::V4(SocketAddrV4::new(src, u16::from_be_bytes([l4[0], l4[1]]))),
        dst: SocketAddr::V4(SocketAddrV4::new(dst, u16::from_be_bytes([l4[2], l4[3]]))),
        payload: l4[8..].to_vec(),
    }
}

fn parse_icmp(l4: &[u8]) -> Icmp {
    assert!(l4.len() >= 8, "ICMP header truncated");
    assert_eq!(fold(sum(l4)), 0, "bad ICMP checksum");
    Icmp {
        ty: l4[0],
        code: l4[1],
        rest: [l4[4], l4[5], l4[6], l4[7]],
        data: l4[8..].to_vec(),
    }
}

/// Puts fragments of one datagram back together (RFC 791) and decodes the UDP inside;
/// panics on gaps, overlaps, mixed identifications or a wrong checksum.
pub fn reassemble(fragments: &[Emitted]) -> Dgram {
    assert!(!fragments.is_empty(), "no fragments");
    let first = &fragments[0];
    let mut parts: Vec<(usize, bool, &[u8])> = Vec::new();
    for f in fragments {
        assert_eq!(
            (f.src, f.dst, f.ident),
            (first.src, first.dst, first.ident),
            "fragments of different datagrams"
        );
        assert!(!f.df, "a fragment must not carry DF");
        let Body::Fragment(bytes) = &f.body else {
            panic!("not a fragment: {f:?}")
        };
        parts.push((f.frag_offset, f.mf, bytes));
    }
    parts.sort_by_key(|p| p.0);
    let mut whole = Vec::new();
    for (i, (offset, mf, bytes)) in parts.iter().enumerate() {
        assert_eq!(*offset, whole.len(), "gap or overlap at fragment {i}");
        let last = i + 1 == parts.len();
        assert_eq!(*mf, !last, "MF must be set on all but the last fragment");
        if !last {
            assert_eq!(
                bytes.len() % 8,
                0,
                "non-final fragment payload must be a multiple of 8"
            );
        }
        whole.extend_from_slice(bytes);
    }
    parse_udp(first.src, first.dst, &whole)
}

/// RFC 1071 sum of big-endian 16-bit words.
pub fn sum(bytes: &[u8]) -> u32 {
    let mut acc: u64 = 0;
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        acc += u64::from(*b) << 8;
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u32
}

/// One's complement of the folded sum: 0 when a checksum inside the summed bytes is right.
pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// IPv4 pseudo-header sum.
pub fn pseudo(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> u32 {
    sum(&src.octets()) + sum(&dst.octets()) + u32::from(proto) + len as u32
}
