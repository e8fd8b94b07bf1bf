//! IPv6 masquerading (NAT66 in user space): a hidden host with an address from the LAN's
//! IPv6 prefix reaches IPv6 remotes through uplink sockets, exactly like IPv4; everything
//! outside the prefix (link-local, multicast, foreign) is dropped and counted.
//!
//! The shared harness decodes only IPv4, so these tests drive the [`Engine`] directly and
//! decode what it emits with etherparse, checking every transport checksum on the way.

use crate::SocketEvent;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use etherparse::{
    IcmpEchoHeader, Icmpv6Type, NetSlice, PacketBuilder, SlicedPacket, TransportSlice,
};

use crate::{
    Config, DropReason, Engine, Family, IcmpErrorKind, IcmpErrorReport, SocketCommand, SocketId,
};

/// The gateway's ULA on the LAN.
const GW6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x6d71, 0, 0, 0, 0, 0, 1);
/// A hidden host inside the LAN prefix (as SLAAC would give it).
const HOST6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x6d71, 0, 0, 0x0211, 0x22ff, 0xfe33, 0x4455);
/// A remote server (documentation prefix).
const REMOTE6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x5, 0, 0, 0, 0, 5);
/// A router on the path, source of ICMPv6 errors.
const ROUTER6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xff, 0, 0, 0, 0, 1);
/// The gateway's uplink address.
const UPLINK6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x1, 0, 0, 0, 0, 2);

fn config() -> Config {
    Config {
        gateway_v6: Some(GW6),
        lan_v6_prefix_len: 64,
        ..Config::default()
    }
}

/// An engine with IPv6 offered, and the virtual clock's start.
#[allow(
    clippy::disallowed_methods,
    reason = "the virtual clock needs one real base instant"
)]
fn engine(cfg: Config) -> (Engine, Instant) {
    let now = Instant::now();
    (Engine::new(cfg, 7, now).unwrap(), now)
}

fn cmds(e: &mut Engine) -> Vec<SocketCommand> {
    std::iter::from_fn(|| e.poll_command()).collect()
}

fn tun(e: &mut Engine) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| e.poll_tun_packet()).collect()
}

fn tcp_syn(src: SocketAddr, dst: SocketAddr, isn: u32, mss: u16) -> Vec<u8> {
    let (IpAddr::V6(s), IpAddr::V6(d)) = (src.ip(), dst.ip()) else {
        panic!("IPv6 only")
    };
    let b = PacketBuilder::ipv6(s.octets(), d.octets(), 64)
        .tcp(src.port(), dst.port(), isn, 65_535)
        .syn()
        .options(&[etherparse::TcpOptionElement::MaximumSegmentSize(mss)])
        .unwrap();
    let mut out = Vec::new();
    b.write(&mut out, &[]).unwrap();
    out
}

fn tcp_ack(src: SocketAddr, dst: SocketAddr, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let (IpAddr::V6(s), IpAddr::V6(d)) = (src.ip(), dst.ip()) else {
        panic!("IPv6 only")
    };
    let b = PacketBuilder::ipv6(s.octets(), d.octets(), 64)
        .tcp(src.port(), dst.port(), seq, 65_535)
        .ack(ack);
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn udp6(src: Ipv6Addr, sport: u16, dst: Ipv6Addr, dport: u16, hops: u8, data: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv6(src.octets(), dst.octets(), hops).udp(sport, dport);
    let mut out = Vec::new();
    b.write(&mut out, data).unwrap();
    out
}

fn echo6(src: Ipv6Addr, dst: Ipv6Addr, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ipv6(src.octets(), dst.octets(), 64).icmpv6_echo_request(ident, seq);
    let mut out = Vec::new();
    b.write(&mut out, data).unwrap();
    out
}

/// A packet the engine emitted toward the LAN, decoded; asserts IPv6, hop limit 64 and a
/// correct transport checksum.
struct Out6 {
    src: Ipv6Addr,
    dst: Ipv6Addr,
    raw: Vec<u8>,
}

impl Out6 {
    fn parse(raw: Vec<u8>) -> Out6 {
        let p = SlicedPacket::from_ip(&raw).expect("engine emitted a parsable packet");
        let Some(NetSlice::Ipv6(v6)) = &p.net else {
            panic!("expected IPv6, got {:?}", p.net)
        };
        let h = v6.header();
        assert_eq!(h.hop_limit(), 64, "packets toward the LAN leave with 64");
        assert_eq!(usize::from(h.payload_length()) + 40, raw.len());
        let (src, dst) = (h.source_addr(), h.destination_addr());
        match &p.transport {
            Some(TransportSlice::Tcp(t)) => {
                let sum = t
                    .to_header()
                    .calc_checksum_ipv6_raw(src.octets(), dst.octets(), t.payload())
                    .unwrap();
                assert_eq!(sum, t.checksum(), "TCP checksum");
            }
            Some(TransportSlice::Udp(u)) => {
                let sum = u
                    .to_header()
                    .calc_checksum_ipv6_raw(src.octets(), dst.octets(), u.payload())
                    .unwrap();
                assert_eq!(sum, u.checksum(), "UDP checksum");
            }
            Some(TransportSlice::Icmpv6(i)) => {
                let sum = i
                    .header()
                    .icmp_type
                    .calc_checksum(src.octets(), dst.octets(), i.payload())
                    .unwrap();
                assert_eq!(sum, i.checksum(), "ICMPv6 checksum");
            }
            other => panic!("unexpected transport {other:?}"),
        }
        drop(p);
        Out6 { src, dst, raw }
    }

    fn sliced(&self) -> SlicedPacket<'_> {
        SlicedPacket::from_ip(&self.raw).unwrap()
    }

    fn tcp(&self) -> etherparse::TcpHeader {
        match self.sliced().transport {
            Some(TransportSlice::Tcp(t)) => t.to_header(),
            other => panic!("expected TCP, got {other:?}"),
        }
    }

    fn tcp_payload(&self) -> Vec<u8> {
        match self.sliced().transport {
            Some(TransportSlice::Tcp(t)) => t.payload().to_vec(),
            other => panic!("expected TCP, got {other:?}"),
        }
    }

    fn icmp(&self) -> (Icmpv6Type, Vec<u8>) {
        match self.sliced().transport {
            Some(TransportSlice::Icmpv6(i)) => (i.icmp_type(), i.payload().to_vec()),
            other => panic!("expected ICMPv6, got {other:?}"),
        }
    }
}

fn single(e: &mut Engine) -> Out6 {
    let mut pkts = tun(e);
    assert_eq!(pkts.len(), 1, "one packet toward the LAN");
    Out6::parse(pkts.remove(0))
}

#[test]
fn tcp_handshake_and_data_both_ways_with_mss_for_ipv6() {
    let (mut e, t0) = engine(config());
    let host = SocketAddr::new(IpAddr::V6(HOST6), 40_000);
    let remote = SocketAddr::new(IpAddr::V6(REMOTE6), 443);
    e.handle_tun_packet(t0, &tcp_syn(host, remote, 1000, 1440));
    let c = cmds(&mut e);
    let [SocketCommand::TcpConnect { id, remote: r, .. }] = c[..] else {
        panic!("{c:?}")
    };
    assert_eq!(r, remote);
    assert!(tun(&mut e).is_empty(), "no SYN-ACK before the connect");
    let local = SocketAddr::new(IpAddr::V6(UPLINK6), 50_000);
    e.handle_socket_event(t0, SocketEvent::TcpConnected { id, local });
    let _credit = cmds(&mut e);
    let syn_ack = single(&mut e);
    assert_eq!((syn_ack.src, syn_ack.dst), (REMOTE6, HOST6));
    let h = syn_ack.tcp();
    assert!(h.syn && h.ack);
    assert_eq!(h.acknowledgment_number, 1001);
    let mss = h.options_iterator().find_map(|o| match o {
        Ok(etherparse::TcpOptionElement::MaximumSegmentSize(m)) => Some(m),
        _ => None,
    });
    assert_eq!(
        mss,
        Some(1500 - 60),
        "MSS is the adapter MTU minus 60 for IPv6"
    );
    let iss = h.sequence_number;

    e.handle_tun_packet(t0, &tcp_ack(host, remote, 1001, iss + 1, b""));
    e.handle_tun_packet(t0, &tcp_ack(host, remote, 1001, iss + 1, b"GET /"));
    let sent: Vec<u8> = cmds(&mut e)
        .into_iter()
        .filter_map(|c| match c {
            SocketCommand::TcpSend { data, .. } => Some(data),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sent, b"GET /");
    let _ack = tun(&mut e);

    e.handle_socket_event(
        t0 + Duration::from_millis(1),
        SocketEvent::TcpData {
            id,
            data: b"200 OK",
        },
    );
    let seg = single(&mut e);
    assert_eq!((seg.src, seg.dst), (REMOTE6, HOST6));
    assert_eq!(seg.tcp().sequence_number, iss + 1);
    assert_eq!(seg.tcp_payload(), b"200 OK");
    let t = e.translations(t0);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].gateway.map(|g| g.0), Some(local));
}

#[test]
fn udp_round_trip_over_an_ipv6_socket() {
    let (mut e, t0) = engine(config());
    e.handle_tun_packet(t0, &udp6(HOST6, 5353, REMOTE6, 53, 64, b"query"));
    let c = cmds(&mut e);
    let [
        SocketCommand::UdpOpen {
            id,
            family: Family::V6,
        },
    ] = c[..]
    else {
        panic!("{c:?}")
    };
    e.handle_socket_event(
        t0,
        SocketEvent::Opened {
            id,
            local: SocketAddr::new(IpAddr::V6(UPLINK6), 50_001),
        },
    );
    let remote = SocketAddr::new(IpAddr::V6(REMOTE6), 53);
    assert_eq!(
        cmds(&mut e),
        [SocketCommand::UdpSend {
            id,
            dst: remote,
            ttl: 63,
            dont_fragment: true,
            payload: b"query".to_vec()
        }]
    );
    e.handle_socket_event(
        t0,
        SocketEvent::Datagram {
            id,
            from: remote,
            data: b"answer",
        },
    );
    let reply = single(&mut e);
    assert_eq!((reply.src, reply.dst), (REMOTE6, HOST6));
    match reply.sliced().transport {
        Some(TransportSlice::Udp(u)) => {
            assert_eq!((u.source_port(), u.destination_port()), (53, 5353));
            assert_eq!(u.payload(), b"answer");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn icmpv6_echo_is_relayed_with_the_hosts_identifier() {
    let (mut e, t0) = engine(config());
    e.handle_tun_packet(t0, &echo6(HOST6, REMOTE6, 0x77, 1, b"ping"));
    let c = cmds(&mut e);
    let [
        SocketCommand::IcmpOpen {
            id,
            family: Family::V6,
        },
    ] = c[..]
    else {
        panic!("{c:?}")
    };
    e.handle_socket_event(
        t0,
        SocketEvent::Opened {
            id,
            local: SocketAddr::new(IpAddr::V6(UPLINK6), 9),
        },
    );
    assert!(matches!(
        cmds(&mut e)[..],
        [SocketCommand::IcmpEchoSend { seq: 1, .. }]
    ));
    e.handle_socket_event(
        t0,
        SocketEvent::EchoReply {
            id,
            from: IpAddr::V6(REMOTE6),
            seq: 1,
            data: b"ping",
        },
    );
    let reply = single(&mut e);
    assert_eq!((reply.src, reply.dst), (REMOTE6, HOST6));
    let (ty, payload) = reply.icmp();
    assert_eq!(
        ty,
        Icmpv6Type::EchoReply(IcmpEchoHeader { id: 0x77, seq: 1 })
    );
    assert_eq!(payload, b"ping");
}

/// A UDP mapping from the host to `REMOTE6:33434`, opened; returns its socket.
fn udp_mapping(e: &mut Engine, t0: Instant) -> SocketId {
    e.handle_tun_packet(t0, &udp6(HOST6, 40_001, REMOTE6, 33_434, 3, b"probe"));
    let id = cmds(e)[0].socket();
    e.handle_socket_event(
        t0,
        SocketEvent::Opened {
            id,
            local: SocketAddr::new(IpAddr::V6(UPLINK6), 50_002),
        },
    );
    let _send = cmds(e);
    id
}

#[test]
fn icmpv6_errors_are_translated_back_to_the_host() {
    let cases = [
        (
            IcmpErrorKind::TimeExceeded,
            Icmpv6Type::TimeExceeded(etherparse::icmpv6::TimeExceededCode::HopLimitExceeded),
        ),
        (
            IcmpErrorKind::PortUnreachable,
            Icmpv6Type::DestinationUnreachable(etherparse::icmpv6::DestUnreachableCode::Port),
        ),
        (
            IcmpErrorKind::PacketTooBig { mtu: 1280 },
            Icmpv6Type::PacketTooBig { mtu: 1280 },
        ),
    ];
    for (kind, expected) in cases {
        let (mut e, t0) = engine(config());
        let id = udp_mapping(&mut e, t0);
        e.handle_socket_event(
            t0,
            SocketEvent::IcmpError {
                id,
                report: IcmpErrorReport {
                    offender: IpAddr::V6(ROUTER6),
                    kind,
                    original_dst: SocketAddr::new(IpAddr::V6(REMOTE6), 33_434),
                    payload: b"probe".to_vec(),
                },
            },
        );
        let err = single(&mut e);
        assert_eq!((err.src, err.dst), (ROUTER6, HOST6), "{kind:?}");
        let (ty, quote) = err.icmp();
        assert_eq!(ty, expected);
        // The quote is the host's own datagram: its address and port, not the uplink's.
        let q = SlicedPacket::from_ip(&quote).expect("quote parses");
        let Some(NetSlice::Ipv6(qh)) = q.net else {
            panic!("quoted packet is not IPv6")
        };
        assert_eq!(qh.header().source_addr(), HOST6);
        assert_eq!(qh.header().destination_addr(), REMOTE6);
        match q.transport {
            Some(TransportSlice::Udp(u)) => assert_eq!(u.source_port(), 40_001),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_hosts_packet_too_big_goes_back_to_the_remote_from_the_uplink_address() {
    let (mut e, t0) = engine(config());
    let id = udp_mapping(&mut e, t0);
    let remote = SocketAddr::new(IpAddr::V6(REMOTE6), 33_434);
    e.handle_socket_event(
        t0,
        SocketEvent::Datagram {
            id,
            from: remote,
            data: &[7; 1200],
        },
    );
    let delivered = single(&mut e).raw;
    // A link inside the LAN is narrower: the host (or a router in it) says so.
    let b = PacketBuilder::ipv6(HOST6.octets(), REMOTE6.octets(), 64)
        .icmpv6(Icmpv6Type::PacketTooBig { mtu: 1280 });
    let quote = &delivered[..1280 - 48];
    let mut error = Vec::new();
    b.write(&mut error, quote).unwrap();
    e.handle_tun_packet(t0, &error);
    let c = cmds(&mut e);
    let [
        SocketCommand::IcmpErrorSend {
            from, to, message, ..
        },
    ] = &c[..]
    else {
        panic!("{c:?}")
    };
    assert_eq!((*from, *to), (IpAddr::V6(UPLINK6), IpAddr::V6(REMOTE6)));
    let sliced = etherparse::Icmpv6Slice::from_slice(message).expect("an ICMPv6 message");
    assert_eq!(sliced.icmp_type(), Icmpv6Type::PacketTooBig { mtu: 1280 });
    // Its checksum covers the pseudo header the raw socket will send it with.
    let sum = sliced
        .header()
        .icmp_type
        .calc_checksum(UPLINK6.octets(), REMOTE6.octets(), sliced.payload())
        .unwrap();
    assert_eq!(sum, sliced.checksum());
    assert!(message.len() <= 1280 - 40, "fits the minimum MTU");
    let q = etherparse::LaxSlicedPacket::from_ip(sliced.payload()).expect("quote parses");
    let Some(etherparse::LaxNetSlice::Ipv6(qh)) = q.net else {
        panic!("quoted packet is not IPv6")
    };
    assert_eq!(
        (qh.header().source_addr(), qh.header().destination_addr()),
        (REMOTE6, UPLINK6)
    );
    match q.transport {
        Some(TransportSlice::Udp(u)) => {
            assert_eq!((u.source_port(), u.destination_port()), (33_434, 50_002));
            assert_eq!(u.length(), 8 + 1200, "the datagram's own length");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_icmpv6_error_quoting_ipv4_is_dropped_as_malformed() {
    let (mut e, t0) = engine(config());
    let mut v4 = Vec::new();
    PacketBuilder::ipv4([203, 0, 113, 5], [192, 168, 137, 10], 60)
        .udp(53, 5000)
        .write(&mut v4, b"x")
        .unwrap();
    let mut error = Vec::new();
    PacketBuilder::ipv6(HOST6.octets(), REMOTE6.octets(), 64)
        .icmpv6(Icmpv6Type::DestinationUnreachable(
            etherparse::icmpv6::DestUnreachableCode::Port,
        ))
        .write(&mut error, &v4)
        .unwrap();
    e.handle_tun_packet(t0, &error);
    assert!(cmds(&mut e).is_empty());
    assert_eq!(e.counters().drops_of(DropReason::Malformed), 1);
}

#[test]
fn hop_limit_expiring_at_the_gateway_is_answered_from_the_gateways_ula() {
    let (mut e, t0) = engine(config());
    e.handle_tun_packet(t0, &udp6(HOST6, 40_001, REMOTE6, 33_434, 1, b"probe"));
    assert!(cmds(&mut e).is_empty());
    let err = single(&mut e);
    assert_eq!((err.src, err.dst), (GW6, HOST6));
    assert!(matches!(err.icmp().0, Icmpv6Type::TimeExceeded(_)));
}

#[test]
fn sources_outside_the_prefix_and_bad_destinations_are_dropped_and_counted() {
    let link_local: Ipv6Addr = "fe80::211:22ff:fe33:4455".parse().unwrap();
    let multicast: Ipv6Addr = "ff02::1".parse().unwrap();
    let foreign: Ipv6Addr = "2001:db8:99::10".parse().unwrap();
    let neighbour: Ipv6Addr = "fd00:6d71::99".parse().unwrap();
    let cases = [
        (
            "link-local source",
            link_local,
            REMOTE6,
            DropReason::NotFromLan,
        ),
        (
            "multicast source",
            multicast,
            REMOTE6,
            DropReason::NotFromLan,
        ),
        ("foreign source", foreign, REMOTE6, DropReason::NotFromLan),
        (
            "multicast destination",
            HOST6,
            multicast,
            DropReason::BadDestination,
        ),
        (
            "link-local destination",
            HOST6,
            link_local,
            DropReason::BadDestination,
        ),
        (
            "destination on the LAN",
            HOST6,
            neighbour,
            DropReason::BadDestination,
        ),
        ("the gateway itself", HOST6, GW6, DropReason::BadDestination),
    ];
    for (name, src, dst, reason) in cases {
        let (mut e, t0) = engine(config());
        e.handle_tun_packet(t0, &udp6(src, 5000, dst, 53, 64, b"q"));
        assert!(cmds(&mut e).is_empty(), "{name}: no socket");
        assert!(tun(&mut e).is_empty(), "{name}: no answer");
        assert_eq!(e.counters().drops_of(reason), 1, "{name}");
    }
}

#[test]
fn without_an_ipv6_gateway_every_ipv6_packet_is_dropped_as_disabled() {
    let (mut e, t0) = engine(Config::default());
    e.handle_tun_packet(t0, &udp6(HOST6, 5000, REMOTE6, 53, 64, b"q"));
    e.handle_tun_packet(t0, &echo6(HOST6, REMOTE6, 1, 1, b""));
    assert!(cmds(&mut e).is_empty());
    assert!(tun(&mut e).is_empty());
    assert_eq!(e.counters().drops_of(DropReason::Ipv6Disabled), 2);
}

/// `whole` (an IPv6 packet without extension headers) cut into fragments of `chunk` payload
/// bytes, each with a Fragment header right after the fixed header, as a host's stack sends a
/// datagram larger than its link MTU.
fn fragments6(whole: &[u8], chunk: usize, id: u32) -> Vec<Vec<u8>> {
    let (fixed, rest) = whole.split_at(40);
    rest.chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let offset = i * chunk;
            let more = offset + part.len() < rest.len();
            let mut f = fixed.to_vec();
            f[4..6].copy_from_slice(&u16::try_from(8 + part.len()).unwrap().to_be_bytes());
            f[6] = 44;
            let field = u16::try_from(offset / 8).unwrap() << 3 | u16::from(more);
            f.extend_from_slice(&[fixed[6], 0]);
            f.extend_from_slice(&field.to_be_bytes());
            f.extend_from_slice(&id.to_be_bytes());
            f.extend_from_slice(part);
            f
        })
        .collect()
}

#[test]
fn a_datagram_in_ipv6_fragments_leaves_whole() {
    let (mut e, t0) = engine(config());
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let mut parts = fragments6(
        &udp6(HOST6, 4500, REMOTE6, 4500, 64, &data),
        1448,
        0x1234_5678,
    );
    assert_eq!(parts.len(), 3);
    parts.swap(0, 2);
    for p in &parts {
        e.handle_tun_packet(t0, p);
    }
    let c = cmds(&mut e);
    let [
        SocketCommand::UdpOpen {
            id,
            family: Family::V6,
        },
    ] = c[..]
    else {
        panic!("{c:?}")
    };
    e.handle_socket_event(
        t0,
        SocketEvent::Opened {
            id,
            local: SocketAddr::new(IpAddr::V6(UPLINK6), 4500),
        },
    );
    let c = cmds(&mut e);
    let [
        SocketCommand::UdpSend {
            payload,
            dst,
            dont_fragment,
            ..
        },
    ] = &c[..]
    else {
        panic!("{c:?}")
    };
    assert!(
        !dont_fragment,
        "the host fragmented it, so the uplink may too"
    );
    assert_eq!(
        (payload, *dst),
        (&data, SocketAddr::new(IpAddr::V6(REMOTE6), 4500))
    );
    assert_eq!(e.counters().datagrams_reassembled, 1);
    assert!(e.counters().drops.is_empty(), "{:?}", e.counters().drops);

    // The echo, as large, goes back to the host in IPv6 fragments that fit the LAN's MTU and
    // make the datagram again (checksum included).
    let remote = SocketAddr::new(IpAddr::V6(REMOTE6), 4500);
    e.handle_socket_event(
        t0,
        SocketEvent::Datagram {
            id,
            from: remote,
            data: &data,
        },
    );
    let frags = tun(&mut e);
    assert_eq!(frags.len(), 3, "3000 bytes in 1500-byte packets");
    assert!(frags.iter().all(|f| f.len() <= 1500 && f[6] == 44));
    let mut r = crate::reassembly::Reassembler::default();
    let mut whole = None;
    for f in frags.iter().rev() {
        let f = crate::reassembly::Fragment::of(f).expect("a fragment");
        whole = r.add(t0, &f).unwrap();
    }
    let whole = Out6::parse(whole.expect("the fragments make a datagram"));
    assert_eq!((whole.src, whole.dst), (REMOTE6, HOST6));
    match whole.sliced().transport {
        Some(TransportSlice::Udp(u)) => {
            assert_eq!((u.source_port(), u.destination_port()), (4500, 4500));
            assert_eq!(u.payload(), &data[..]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ipv6_fragments_without_ipv6_offered_are_dropped_at_once() {
    let (mut e, t0) = engine(Config::default());
    for p in fragments6(&udp6(HOST6, 4500, REMOTE6, 4500, 64, &[1; 3000]), 1448, 1) {
        e.handle_tun_packet(t0, &p);
    }
    assert!(cmds(&mut e).is_empty());
    assert_eq!(e.counters().drops_of(DropReason::Ipv6Disabled), 3);
    assert_eq!(e.counters().datagrams_reassembled, 0);
}

#[test]
fn ipv4_still_works_when_ipv6_is_offered() {
    let (mut e, t0) = engine(config());
    let b = PacketBuilder::ipv4([192, 168, 137, 10], [203, 0, 113, 5], 64).udp(5000, 53);
    let mut v4 = Vec::new();
    b.write(&mut v4, b"q").unwrap();
    e.handle_tun_packet(t0, &v4);
    assert!(matches!(
        cmds(&mut e)[..],
        [SocketCommand::UdpOpen {
            family: Family::V4,
            ..
        }]
    ));
}
