//! Admission limits, the accounting of every dropped packet, and the log of refused
//! inbound attempts.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};
use std::time::Duration;

use etherparse::{IcmpEchoHeader, Icmpv4Type, IpNumber, Ipv4Header, PacketBuilder};

use super::harness::{Harness, UPLINK, host, sa};
use super::lan_host::{HOST, HOST2, LanTcp, REMOTE, TcpSpec, echo_request, tcp, udp};
use crate::{Config, ConnectError, DropReason, Protocol, RefusalReason, SocketCommand};

const GATEWAY: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 1);

fn dst53() -> SocketAddrV4 {
    SocketAddrV4::new(REMOTE, 53)
}

/// Rewrites the IPv4 header checksum after a test edited the header.
fn fix_ip_checksum(p: &mut [u8]) {
    p[10] = 0;
    p[11] = 0;
    let h = Ipv4Header::from_slice(p).expect("header").0;
    p[10..12].copy_from_slice(&h.calc_header_checksum().to_be_bytes());
}

fn with_fragment_flag(mut p: Vec<u8>) -> Vec<u8> {
    p[6] |= 0x20;
    fix_ip_checksum(&mut p);
    p
}

fn ipv4_with_protocol(proto: u8) -> Vec<u8> {
    let payload = [0u8; 12];
    let h = Ipv4Header::new(
        payload.len() as u16,
        64,
        IpNumber(proto),
        HOST.octets(),
        REMOTE.octets(),
    )
    .expect("header");
    let mut p = h.to_bytes().to_vec();
    p.extend_from_slice(&payload);
    fix_ip_checksum(&mut p);
    p
}

fn ipv6_udp() -> Vec<u8> {
    let src: Ipv6Addr = "fd00::10".parse().expect("v6");
    let dst: Ipv6Addr = "2001:db8::1".parse().expect("v6");
    let b = PacketBuilder::ipv6(src.octets(), dst.octets(), 64).udp(5000, 53);
    let mut out = Vec::new();
    b.write(&mut out, b"q").expect("v6 builds");
    out
}

fn echo_reply_from_host() -> Vec<u8> {
    let b = PacketBuilder::ipv4(HOST.octets(), REMOTE.octets(), 64)
        .icmpv4(Icmpv4Type::EchoReply(IcmpEchoHeader { id: 1, seq: 1 }));
    let mut out = Vec::new();
    b.write(&mut out, b"").expect("builds");
    out
}

fn flipped(mut p: Vec<u8>, at: usize) -> Vec<u8> {
    let i = if at < p.len() { at } else { p.len() - 1 };
    p[i] ^= 0x5a;
    p
}

#[test]
fn every_unusable_packet_is_counted_under_exactly_one_reason() {
    let good_udp = udp(host(5000), dst53(), 64, b"query");
    let lan = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1);
    let cases: Vec<(&str, Vec<u8>, DropReason)> = vec![
        ("empty", Vec::new(), DropReason::Truncated),
        (
            "half a header",
            good_udp[..10].to_vec(),
            DropReason::Truncated,
        ),
        (
            "cut payload",
            good_udp[..good_udp.len() - 3].to_vec(),
            DropReason::Truncated,
        ),
        (
            "IP version 7",
            [&[0x75][..], &good_udp[1..]].concat(),
            DropReason::Malformed,
        ),
        (
            "IP header checksum",
            flipped(good_udp.clone(), 10),
            DropReason::BadChecksum,
        ),
        (
            "UDP checksum",
            flipped(good_udp.clone(), 30),
            DropReason::BadChecksum,
        ),
        (
            "TCP checksum",
            flipped(lan.syn(), 40),
            DropReason::BadChecksum,
        ),
        (
            "ICMP checksum",
            flipped(echo_request(HOST, REMOTE, 64, 1, 1, b"x"), 28),
            DropReason::BadChecksum,
        ),
        (
            "first fragment not a multiple of 8 bytes",
            with_fragment_flag(good_udp.clone()),
            DropReason::FragmentInvalid,
        ),
        (
            "GRE",
            ipv4_with_protocol(47),
            DropReason::UnsupportedProtocol,
        ),
        ("IPv6", ipv6_udp(), DropReason::Ipv6Disabled),
        (
            "echo reply from the LAN",
            echo_reply_from_host(),
            DropReason::UnsupportedIcmp,
        ),
        (
            "foreign source",
            udp(
                SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 5), 5000),
                dst53(),
                64,
                b"q",
            ),
            DropReason::NotFromLan,
        ),
        (
            "multicast",
            udp(
                host(5353),
                SocketAddrV4::new(Ipv4Addr::new(224, 0, 0, 251), 5353),
                64,
                b"q",
            ),
            DropReason::BadDestination,
        ),
        (
            "broadcast",
            udp(
                host(67),
                SocketAddrV4::new(Ipv4Addr::BROADCAST, 67),
                64,
                b"q",
            ),
            DropReason::BadDestination,
        ),
        (
            "LAN neighbour",
            udp(host(5000), SocketAddrV4::new(HOST2, 53), 64, b"q"),
            DropReason::BadDestination,
        ),
        (
            "the gateway itself",
            udp(host(5000), SocketAddrV4::new(GATEWAY, 53), 64, b"q"),
            DropReason::BadDestination,
        ),
        (
            "loopback",
            udp(
                host(5000),
                SocketAddrV4::new(Ipv4Addr::LOCALHOST, 53),
                64,
                b"q",
            ),
            DropReason::BadDestination,
        ),
        (
            "TTL 1",
            udp(host(5000), dst53(), 1, b"q"),
            DropReason::TtlExpired,
        ),
        ("ACK without a flow", lan.ack_of(5), DropReason::NoState),
    ];
    for (name, packet, reason) in cases {
        let mut h = Harness::new();
        h.send(&packet);
        let c = h.engine.counters();
        assert_eq!(c.drops, BTreeMap::from([(reason, 1)]), "{name}");
        assert_eq!(c.tun_packets_in, 1, "{name}");
        assert_eq!(c.flows_created, 0, "{name}");
        assert!(
            h.cmds().is_empty(),
            "{name}: no socket for a dropped packet"
        );
        let answered = h.tun().len();
        let expect_answer = matches!(reason, DropReason::TtlExpired | DropReason::NoState);
        assert_eq!(answered, usize::from(expect_answer), "{name}");
    }
}

#[test]
fn an_ack_that_does_not_complete_the_handshake_is_out_of_window() {
    let mut h = Harness::new();
    let mut l = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1);
    h.send(&l.syn());
    let id = h.take_connect();
    h.connect_ok(id);
    l.accept_syn_ack(&h.tun_tcp()[0]);
    h.send(&l.ack_of(l.rcv_nxt.wrapping_add(1000)));
    assert_eq!(h.engine.counters().drops_of(DropReason::OutOfWindow), 1);
    assert_eq!(h.translations()[0].state, "syn_received");
    h.send(&l.ack());
    assert_eq!(h.translations()[0].state, "established");
}

#[test]
fn global_flow_cap_refuses_each_protocol_its_own_way() {
    let cfg = Config {
        max_flows: 2,
        max_flows_per_host: 2,
        ..Config::default()
    };
    let mut h = Harness::with_config(cfg);
    let first = h.open_default(50_000, 1);
    h.send(&udp(host(5000), dst53(), 64, b"q"));
    h.cmds();
    assert_eq!(h.engine.status().flows_tcp + h.engine.status().flows_udp, 2);

    let syn = LanTcp::new(50_001, SocketAddrV4::new(REMOTE, 443), 77).syn();
    h.send(&syn);
    let rst = h.tun_tcp();
    assert!(
        rst.len() == 1 && rst[0].rst && rst[0].ack == Some(78),
        "TCP: RST|ACK of ISN+1: {rst:?}"
    );
    for packet in [
        udp(host(5001), dst53(), 64, b"q"),
        echo_request(HOST, REMOTE, 64, 9, 1, b""),
    ] {
        h.send(&packet);
        let out = h.tun();
        assert_eq!(out.len(), 1);
        let icmp = out[0].icmp();
        assert_eq!(
            (out[0].src, icmp.ty, icmp.code),
            (GATEWAY, 3, 13),
            "admin prohibited from the gateway"
        );
        assert_eq!(icmp.quote().src, HOST);
    }
    assert!(h.cmds().is_empty(), "no socket beyond the cap");
    assert_eq!(h.engine.counters().drops_of(DropReason::FlowCapGlobal), 3);
    // The existing flows are untouched.
    assert!(h.tcp(first.id).is_open());
    assert_eq!(h.engine.status().flows_tcp + h.engine.status().flows_udp, 2);
}

#[test]
fn per_host_cap_limits_one_host_only_and_frees_with_its_flows() {
    let cfg = Config {
        max_flows_per_host: 1,
        ..Config::default()
    };
    let mut h = Harness::with_config(cfg);
    let l1 = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1);
    h.send(&l1.syn());
    let id = h.take_connect();
    h.send(&udp(host(5000), dst53(), 64, b"q"));
    assert_eq!(h.engine.counters().drops_of(DropReason::FlowCapPerHost), 1);
    assert!(h.tun()[0].icmp().code == 13);
    h.send(&udp(SocketAddrV4::new(HOST2, 5000), dst53(), 64, b"q"));
    assert!(
        matches!(h.cmds()[..], [SocketCommand::UdpOpen { .. }]),
        "another host is not affected"
    );
    assert_eq!(h.engine.status().lan_hosts, 2);
    h.connect_fail(id, ConnectError::Refused, None);
    h.tun();
    h.send(&udp(host(5000), dst53(), 64, b"q"));
    assert!(
        h.cmds()
            .iter()
            .any(|c| matches!(c, SocketCommand::UdpOpen { .. })),
        "the freed slot is usable again"
    );
}

#[test]
fn connections_in_time_wait_do_not_count_against_the_host_cap() {
    let cfg = Config {
        max_flows_per_host: 2,
        ..Config::default()
    };
    let mut h = Harness::with_config(cfg);
    // Two connections opened and closed by both sides: both wait in TIME_WAIT.
    for port in [50_000, 50_001] {
        let mut c = h.open_default(port, 7);
        h.close_both_ways(&mut c);
    }
    assert!(h.translations().iter().all(|t| t.state == "time_wait"));
    // Their sockets are closed: two live connections still fit, a third does not.
    let live: Vec<_> = [50_002, 50_003]
        .into_iter()
        .map(|port| h.open_default(port, 9))
        .collect();
    assert!(live.iter().all(|c| h.tcp(c.id).is_open()));
    assert_eq!(h.engine.counters().drops_of(DropReason::FlowCapPerHost), 0);
    let l = LanTcp::new(50_004, SocketAddrV4::new(REMOTE, 443), 1);
    h.send(&l.syn());
    assert_eq!(h.engine.counters().drops_of(DropReason::FlowCapPerHost), 1);
    assert!(h.tun_tcp()[0].rst, "the host is told at once");
    // TIME_WAIT ends without touching the live connections' count.
    h.advance(Duration::from_secs(6));
    assert_eq!(h.flows(Protocol::Tcp), 2);
    h.send(&l.syn());
    assert_eq!(h.engine.counters().drops_of(DropReason::FlowCapPerHost), 2);
}

#[test]
fn uplink_probes_are_logged_with_the_right_reason_and_merged() {
    let cfg = Config {
        inbound_log_capacity: 2,
        ..Config::default()
    };
    let mut h = Harness::with_config(cfg);
    let scanner = sa(Ipv4Addr::new(198, 18, 0, 9), 6000);
    let (id, local) = {
        h.send(&udp(host(5000), dst53(), 64, b"q"));
        let id = h.cmds()[0].socket();
        (id, h.socket_opened(id))
    };
    let _ = id;
    let now = h.now();
    // A UDP probe at a mapped port is the mapping's business (its socket filters it).
    h.engine
        .handle_uplink_probe(now, Protocol::Udp, scanner, local);
    assert!(h.engine.inbound_attempts(now).is_empty());
    h.engine
        .handle_uplink_probe(now, Protocol::Tcp, scanner, sa(UPLINK, 22));
    h.engine.handle_uplink_probe(
        now + Duration::from_secs(1),
        Protocol::Tcp,
        scanner,
        sa(UPLINK, 22),
    );
    h.engine.handle_uplink_probe(
        now + Duration::from_secs(2),
        Protocol::Tcp,
        scanner,
        sa(HOST, 22),
    );
    let log = h.engine.inbound_attempts(now + Duration::from_secs(3));
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].gateway, log[0].reason, log[0].count),
        (sa(HOST, 22), RefusalReason::AddressedToHiddenHost, 1),
        "newest first"
    );
    assert_eq!(
        (log[1].gateway, log[1].reason, log[1].count),
        (sa(UPLINK, 22), RefusalReason::NoTranslation, 2),
        "repeats merged"
    );
    assert_eq!((log[1].first_seen_s, log[1].last_seen_s), (3.0, 2.0));
    assert!(!log[1].explanation.is_empty());
    // Capacity 2: a third distinct attempt evicts the stalest.
    h.engine.handle_uplink_probe(
        now + Duration::from_secs(4),
        Protocol::Udp,
        scanner,
        sa(UPLINK, 9),
    );
    let log = h.engine.inbound_attempts(now + Duration::from_secs(4));
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].gateway, sa(UPLINK, 9));
    assert_eq!(log[1].gateway, sa(HOST, 22));
    h.engine.clear_inbound();
    assert!(h.engine.inbound_attempts(now).is_empty());
}

#[test]
fn refused_segments_and_flows_leave_no_timer_or_table_entry_behind() {
    let mut h = Harness::new();
    let spec = TcpSpec {
        seq: 9,
        ack: Some(1),
        ..TcpSpec::default()
    };
    for port in 1000..1100 {
        h.send(&tcp(host(port), SocketAddrV4::new(REMOTE, 80), &spec, b""));
    }
    assert_eq!(h.engine.counters().drops_of(DropReason::NoState), 100);
    assert_eq!(h.tun().len(), 100);
    assert!(h.translations().is_empty());
    assert_eq!(h.engine.poll_timeout(), None);
}

#[test]
fn the_gateways_own_icmp_errors_are_rate_limited_and_counted() {
    let mut h = Harness::new();
    // A host floods TTL-1 datagrams: the burst is answered, the rest counted, not sent.
    for i in 0..200u16 {
        h.send(&udp(host(5000 + i), dst53(), 1, b"q"));
    }
    assert_eq!(h.tun().len(), 50);
    let c = h.engine.counters();
    assert_eq!(c.drops_of(DropReason::TtlExpired), 200);
    assert_eq!(c.icmp_errors_suppressed, 150);
    // A tenth of a second later the budget has a hundred more (capped at the burst of 50).
    h.advance(Duration::from_millis(100));
    for i in 0..100u16 {
        h.send(&udp(host(6000 + i), dst53(), 1, b"q"));
    }
    assert_eq!(h.tun().len(), 50);
    assert_eq!(h.engine.counters().icmp_errors_suppressed, 200);
}
