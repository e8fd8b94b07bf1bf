//! A simulated hidden host: builds the packets a LAN stack would send (with etherparse's
//! `PacketBuilder`, so they are built by code independent of the engine) and keeps the
//! little TCP state a test needs to speak to the engine ([`LanTcp`]).
//!
//! `LanTcp` is deliberately dumb: it never retransmits or sends anything by itself. A test
//! decides every segment, which is what lets it reorder, drop or duplicate them.

use std::net::{Ipv4Addr, SocketAddrV4};

use etherparse::{PacketBuilder, TcpOptionElement};

use super::emitted::Seg;

/// The hidden host's address inside the default LAN 192.168.137.0/24.
pub const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 10);
/// A second hidden host, for per-host limits.
pub const HOST2: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 11);
/// The remote server (TEST-NET-3).
pub const REMOTE: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
/// Another remote (TEST-NET-3).
pub const REMOTE2: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 6);
/// A router on the path (TEST-NET-2), source of ICMP errors.
pub const ROUTER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 254);
/// TTL a typical host starts with.
pub const HOST_TTL: u8 = 64;

/// Header fields of a TCP segment from the hidden host.
#[derive(Debug, Clone, Copy)]
pub struct TcpSpec {
    /// Sequence number.
    pub seq: u32,
    /// `Some` sets ACK.
    pub ack: Option<u32>,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// PSH flag.
    pub psh: bool,
    /// Window field.
    pub window: u16,
    /// MSS option.
    pub mss: Option<u16>,
    /// Window scale option.
    pub wscale: Option<u8>,
    /// SACK-permitted option (SYN only).
    pub sack_permitted: bool,
    /// SACK blocks (left, right) of an ACK.
    pub sack: [Option<(u32, u32)>; 4],
    /// IP TTL.
    pub ttl: u8,
}

impl Default for TcpSpec {
    fn default() -> Self {
        TcpSpec {
            seq: 0,
            ack: None,
            syn: false,
            fin: false,
            rst: false,
            psh: false,
            window: 65_535,
            mss: None,
            wscale: None,
            sack_permitted: true,
            sack: [None; 4],
            ttl: HOST_TTL,
        }
    }
}

/// A TCP segment from `src` to `dst`.
pub fn tcp(src: SocketAddrV4, dst: SocketAddrV4, spec: &TcpSpec, payload: &[u8]) -> Vec<u8> {
    let mut b = PacketBuilder::ipv4(src.ip().octets(), dst.ip().octets(), spec.ttl).tcp(
        src.port(),
        dst.port(),
        spec.seq,
        spec.window,
    );
    if let Some(a) = spec.ack {
        b = b.ack(a);
    }
    if spec.syn {
        b = b.syn();
    }
    if spec.fin {
        b = b.fin();
    }
    if spec.rst {
        b = b.rst();
    }
    if spec.psh {
        b = b.psh();
    }
    let mut options = Vec::new();
    if let Some(m) = spec.mss {
        options.push(TcpOptionElement::MaximumSegmentSize(m));
    }
    if spec.syn && spec.sack_permitted {
        options.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
    }
    if let Some(first) = spec.sack[0] {
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::SelectiveAcknowledgement(
            first,
            [spec.sack[1], spec.sack[2], spec.sack[3]],
        ));
    }
    if let Some(w) = spec.wscale {
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::WindowScale(w));
    }
    if !options.is_empty() {
        b = b.options(&options).expect("options fit");
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("segment builds");
    out
}

/// A UDP datagram from `src` to `dst`.
pub fn udp(src: SocketAddrV4, dst: SocketAddrV4, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let b =
        PacketBuilder::ipv4(src.ip().octets(), dst.ip().octets(), ttl).udp(src.port(), dst.port());
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("datagram builds");
    out
}

/// A UDP datagram with the IPv4 DF bit as given (`udp` leaves etherparse's default).
pub fn udp_with_df(
    src: SocketAddrV4,
    dst: SocketAddrV4,
    dont_fragment: bool,
    payload: &[u8],
) -> Vec<u8> {
    let mut packet = udp(src, dst, 64, payload);
    let (mut header, _) = etherparse::Ipv4Header::from_slice(&packet).expect("own header");
    header.dont_fragment = dont_fragment;
    header.header_checksum = header.calc_header_checksum();
    let len = header.header_len();
    header
        .write(&mut &mut packet[..len])
        .expect("header fits where it was");
    packet
}

/// An ICMP echo request.
pub fn echo_request(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    ident: u16,
    seq: u16,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ipv4(src.octets(), dst.octets(), ttl).icmpv4_echo_request(ident, seq);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("echo builds");
    out
}

/// A Fragmentation Needed from `src` (the host, or a router between it and the gateway)
/// about `offending`, a packet the engine delivered toward the LAN: what a smaller MTU on
/// the way to the host reports (RFC 1191).
pub fn frag_needed(src: Ipv4Addr, offending: &[u8], next_hop_mtu: u16) -> Vec<u8> {
    let ty = etherparse::icmpv4::DestUnreachableHeader::FragmentationNeeded { next_hop_mtu };
    icmpv4_error_about(src, offending, ty, 28)
}

/// A Port Unreachable from the host about `offending`, a datagram the engine delivered to a
/// port nothing listens on (quoting as much as fits in 576 bytes, as Linux does).
pub fn port_unreachable(src: Ipv4Addr, offending: &[u8]) -> Vec<u8> {
    let ty = etherparse::icmpv4::DestUnreachableHeader::Port;
    icmpv4_error_about(src, offending, ty, 548)
}

/// A Destination Unreachable of kind `ty` from `src` back to the source of `offending`,
/// quoting at most `quote_max` bytes of it.
fn icmpv4_error_about(
    src: Ipv4Addr,
    offending: &[u8],
    ty: etherparse::icmpv4::DestUnreachableHeader,
    quote_max: usize,
) -> Vec<u8> {
    // The quoted packet's source is the remote: the error goes back toward it.
    let dst = Ipv4Addr::new(offending[12], offending[13], offending[14], offending[15]);
    let quote = &offending[..offending.len().min(quote_max)];
    let b = PacketBuilder::ipv4(src.octets(), dst.octets(), HOST_TTL)
        .icmpv4(etherparse::Icmpv4Type::DestinationUnreachable(ty));
    let mut out = Vec::with_capacity(b.size(quote.len()));
    b.write(&mut out, quote).expect("error builds");
    out
}

/// One TCP connection as the hidden host sees it.
#[derive(Debug, Clone)]
pub struct LanTcp {
    /// The host's endpoint.
    pub lan: SocketAddrV4,
    /// The server it connects to.
    pub remote: SocketAddrV4,
    /// Its initial sequence number.
    pub isn: u32,
    /// Next sequence number it sends.
    pub snd_nxt: u32,
    /// Next sequence number it expects (valid after the SYN-ACK).
    pub rcv_nxt: u32,
    /// Window field it advertises (already scaled down by its own shift).
    pub window: u16,
    /// MSS option in its SYN.
    pub mss: Option<u16>,
    /// Window scale option in its SYN.
    pub wscale: Option<u8>,
    /// Whether its SYN offers SACK.
    pub sack_permitted: bool,
    /// The gateway's ISS, from the SYN-ACK.
    pub peer_iss: u32,
    /// Shift the gateway applies to its window (from the SYN-ACK).
    pub peer_shift: u8,
    /// Highest acknowledgment received from the gateway.
    pub peer_ack: u32,
    /// Latest window from the gateway, in bytes.
    pub peer_window: u32,
    /// In-order bytes received.
    pub received: Vec<u8>,
    /// Whether the gateway's FIN was received in order.
    pub fin_received: bool,
}

impl LanTcp {
    /// A connection from `HOST:port` to `remote` with MSS 1460 and window scale 7.
    pub fn new(port: u16, remote: SocketAddrV4, isn: u32) -> LanTcp {
        LanTcp {
            lan: SocketAddrV4::new(HOST, port),
            remote,
            isn,
            snd_nxt: isn,
            rcv_nxt: 0,
            window: 65_535,
            mss: Some(1460),
            wscale: Some(7),
            sack_permitted: true,
            peer_iss: 0,
            peer_shift: 0,
            peer_ack: isn,
            peer_window: 0,
            received: Vec::new(),
            fin_received: false,
        }
    }

    /// A segment of this connection with the given fields filled in.
    pub fn seg(&self, spec: TcpSpec, payload: &[u8]) -> Vec<u8> {
        tcp(self.lan, self.remote, &spec, payload)
    }

    /// The SYN (retransmissions are identical).
    pub fn syn(&self) -> Vec<u8> {
        self.seg(
            TcpSpec {
                seq: self.isn,
                syn: true,
                window: self.window,
                mss: self.mss,
                wscale: self.wscale,
                sack_permitted: self.sack_permitted,
                ..TcpSpec::default()
            },
            &[],
        )
    }

    /// Takes in the gateway's SYN-ACK and moves past our SYN.
    pub fn accept_syn_ack(&mut self, s: &Seg) {
        assert!(s.syn && !s.rst, "not a SYN-ACK: {s:?}");
        assert_eq!(
            s.ack,
            Some(self.isn.wrapping_add(1)),
            "SYN-ACK must acknowledge ISN+1"
        );
        self.peer_iss = s.seq;
        self.rcv_nxt = s.seq.wrapping_add(1);
        self.snd_nxt = self.isn.wrapping_add(1);
        self.peer_ack = self.snd_nxt;
        self.peer_shift = if self.wscale.is_some() {
            s.wscale.unwrap_or(0)
        } else {
            0
        };
        self.peer_window = u32::from(s.window);
    }

    /// A pure ACK of everything received so far.
    pub fn ack(&self) -> Vec<u8> {
        self.ack_with_window(self.window)
    }

    /// A pure ACK advertising `window`.
    pub fn ack_with_window(&self, window: u16) -> Vec<u8> {
        self.seg(
            TcpSpec {
                seq: self.snd_nxt,
                ack: Some(self.rcv_nxt),
                window,
                ..TcpSpec::default()
            },
            &[],
        )
    }

    /// A pure ACK of `ack` reporting `blocks` as SACKed (the first block first).
    pub fn ack_sack(&self, ack: u32, blocks: &[(u32, u32)]) -> Vec<u8> {
        let mut sack = [None; 4];
        for (slot, b) in sack.iter_mut().zip(blocks) {
            *slot = Some(*b);
        }
        self.seg(
            TcpSpec {
                seq: self.snd_nxt,
                ack: Some(ack),
                window: self.window,
                sack,
                ..TcpSpec::default()
            },
            &[],
        )
    }

    /// A pure ACK with an arbitrary acknowledgment number.
    pub fn ack_of(&self, ack: u32) -> Vec<u8> {
        self.seg(
            TcpSpec {
                seq: self.snd_nxt,
                ack: Some(ack),
                window: self.window,
                ..TcpSpec::default()
            },
            &[],
        )
    }

    /// Data at `snd_nxt` (ACK|PSH); advances `snd_nxt`.
    pub fn send(&mut self, data: &[u8]) -> Vec<u8> {
        let p = self.data_at(self.snd_nxt, data);
        self.snd_nxt = self.snd_nxt.wrapping_add(data.len() as u32);
        p
    }

    /// Data at an arbitrary sequence number, without touching the state.
    pub fn data_at(&self, seq: u32, data: &[u8]) -> Vec<u8> {
        self.seg(
            TcpSpec {
                seq,
                ack: Some(self.rcv_nxt),
                psh: true,
                window: self.window,
                ..TcpSpec::default()
            },
            data,
        )
    }

    /// FIN|ACK at `snd_nxt`; advances `snd_nxt` past it.
    pub fn fin(&mut self) -> Vec<u8> {
        let p = self.seg(
            TcpSpec {
                seq: self.snd_nxt,
                ack: Some(self.rcv_nxt),
                fin: true,
                window: self.window,
                ..TcpSpec::default()
            },
            &[],
        );
        self.snd_nxt = self.snd_nxt.wrapping_add(1);
        p
    }

    /// A bare RST at `seq`.
    pub fn rst_at(&self, seq: u32) -> Vec<u8> {
        self.seg(
            TcpSpec {
                seq,
                rst: true,
                window: 0,
                ..TcpSpec::default()
            },
            &[],
        )
    }

    /// Takes in a segment from the gateway: in-order payload and FIN are accepted, the
    /// acknowledgment and window are recorded. Returns whether it was in order.
    pub fn receive(&mut self, s: &Seg) -> bool {
        assert_eq!(
            (s.src, s.dst),
            (self.remote.into(), self.lan.into()),
            "segment of another connection"
        );
        if let Some(a) = s.ack
            && a.wrapping_sub(self.peer_ack) as i32 >= 0
        {
            self.peer_ack = a;
            self.peer_window = u32::from(s.window) << self.peer_shift;
        }
        if s.seq != self.rcv_nxt || self.fin_received {
            return s.seq_len() == 0;
        }
        self.received.extend_from_slice(&s.payload);
        self.rcv_nxt = self.rcv_nxt.wrapping_add(s.payload.len() as u32);
        if s.fin {
            self.fin_received = true;
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
        }
        true
    }

    /// Bytes sent but not yet acknowledged by the gateway.
    pub fn in_flight(&self) -> u32 {
        self.snd_nxt.wrapping_sub(self.peer_ack)
    }
}
