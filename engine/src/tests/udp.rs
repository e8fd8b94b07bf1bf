//! UDP mappings (RFC 4787): endpoint-independent mapping, the three filtering behaviours,
//! expiry refreshed by outbound traffic only, ICMP errors both ways, and fragmentation of
//! large datagrams toward the LAN.

use crate::SocketEvent;
use std::net::SocketAddr;
use std::time::Duration;

use super::emitted::{Emitted, reassemble};
use super::harness::{Harness, host, ip, sa};
use super::lan_host::{HOST, HOST2, REMOTE, REMOTE2, ROUTER, port_unreachable, udp, udp_with_df};
use crate::{
    Config, DropReason, Family, IcmpErrorKind, IcmpErrorReport, Protocol, RefusalReason,
    SocketCommand, SocketId, UdpFiltering,
};

const GATEWAY: std::net::Ipv4Addr = std::net::Ipv4Addr::new(192, 168, 137, 1);

/// The host sends one datagram from port 5000 to `REMOTE:53`; returns the mapping's socket
/// and gateway endpoint (after the open).
fn mapped(h: &mut Harness) -> (SocketId, SocketAddr) {
    h.send(&udp(
        host(5000),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"query",
    ));
    let id = h.cmds()[0].socket();
    let local = h.socket_opened(id);
    h.cmds();
    (id, local)
}

#[test]
fn one_mapping_per_lan_endpoint_and_pending_datagrams_are_flushed_in_order() {
    let mut h = Harness::new();
    h.send(&udp(
        host(5000),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"one",
    ));
    h.send(&udp(
        host(5000),
        "203.0.113.6:123".parse().expect("addr"),
        20,
        b"two",
    ));
    let cmds = h.cmds();
    assert_eq!(cmds.len(), 1, "one socket for both remotes: {cmds:?}");
    let SocketCommand::UdpOpen {
        id,
        family: Family::V4,
    } = cmds[0]
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(h.flows(Protocol::Udp), 1);
    assert_eq!(h.translations()[0].state, "opening");
    let local = h.socket_opened(id);
    assert_eq!(
        h.cmds(),
        [
            SocketCommand::UdpSend {
                id,
                dst: sa(REMOTE, 53),
                ttl: 63,
                dont_fragment: true,
                payload: b"one".to_vec()
            },
            SocketCommand::UdpSend {
                id,
                dst: sa(REMOTE2, 123),
                ttl: 19,
                dont_fragment: true,
                payload: b"two".to_vec()
            },
        ]
    );
    let sent = &h.up.udp(id).sent;
    assert_eq!((h.up.udp(id).family, sent.len()), (Family::V4, 2));
    // Later datagrams go straight out; another LAN port gets its own mapping.
    h.send(&udp(
        host(5000),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"three",
    ));
    assert!(
        matches!(&h.cmds()[..], [SocketCommand::UdpSend { payload, .. }] if payload == b"three")
    );
    h.send(&udp(
        host(5001),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"x",
    ));
    assert!(matches!(&h.cmds()[..], [SocketCommand::UdpOpen { .. }]));
    assert_eq!(h.translations()[0].gateway.map(|g| g.0), Some(local));
    assert!(h.tun().is_empty());
}

#[test]
fn filtering_decides_who_may_answer() {
    // (filtering, sender, delivered)
    let other_port = sa(REMOTE, 54);
    let other_host = sa(REMOTE2, 53);
    let cases = [
        (UdpFiltering::AddressAndPortDependent, sa(REMOTE, 53), true),
        (UdpFiltering::AddressAndPortDependent, other_port, false),
        (UdpFiltering::AddressAndPortDependent, other_host, false),
        (UdpFiltering::AddressDependent, other_port, true),
        (UdpFiltering::AddressDependent, other_host, false),
        (UdpFiltering::EndpointIndependent, other_host, true),
    ];
    for (filtering, from, delivered) in cases {
        let mut cfg = Config::default();
        cfg.udp.filtering = filtering;
        let mut h = Harness::with_config(cfg);
        let (id, local) = mapped(&mut h);
        h.udp_in(id, from, b"answer");
        let out = h.tun();
        let log = h.engine.inbound_attempts(h.now());
        if delivered {
            assert_eq!(out.len(), 1, "{filtering:?} {from}");
            let d = out[0].udp();
            assert_eq!(
                (d.src, d.dst, &d.payload[..]),
                (from, sa(HOST, 5000), &b"answer"[..]),
                "{filtering:?}"
            );
            assert!(log.is_empty());
        } else {
            assert!(out.is_empty(), "{filtering:?} {from}: {out:?}");
            assert_eq!(h.engine.counters().drops_of(DropReason::Filtered), 1);
            assert_eq!(log.len(), 1, "{filtering:?}");
            assert_eq!(
                (
                    log[0].protocol,
                    log[0].remote,
                    log[0].gateway,
                    log[0].reason
                ),
                (Protocol::Udp, from, local, RefusalReason::FilteredByMapping)
            );
        }
    }
}

#[test]
fn mappings_expire_after_300_s_refreshed_by_outbound_only() {
    let mut h = Harness::new();
    let (id, _) = mapped(&mut h);
    h.advance(Duration::from_secs(100));
    h.send(&udp(
        host(5000),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"again",
    ));
    h.cmds();
    // Inbound traffic keeps coming but does not extend the mapping (RFC 4787 REQ-6).
    for _ in 0..5 {
        h.advance(Duration::from_secs(50));
        h.udp_in(id, sa(REMOTE, 53), b"push");
    }
    assert_eq!(h.elapsed(), Duration::from_secs(350));
    h.advance(Duration::from_millis(49_999));
    assert_eq!(
        h.flows(Protocol::Udp),
        1,
        "alive until 300 s after the last outbound datagram"
    );
    let t = &h.translations()[0];
    assert!((t.expires_in_s - 0.001).abs() < 1e-6, "{}", t.expires_in_s);
    h.advance(Duration::from_millis(1));
    assert_eq!(h.cmds(), [SocketCommand::Close { id }]);
    assert_eq!(h.flows(Protocol::Udp), 0);
    assert_eq!(h.engine.poll_timeout(), None);
}

#[test]
fn ttl_one_is_answered_with_time_exceeded_from_the_gateway() {
    let mut h = Harness::new();
    h.send(&udp(
        host(33434),
        "203.0.113.5:33435".parse().expect("addr"),
        1,
        b"probe",
    ));
    assert!(h.cmds().is_empty());
    let out = h.tun();
    assert_eq!(out.len(), 1);
    let icmp = out[0].icmp();
    assert_eq!(
        (out[0].src, out[0].dst, icmp.ty, icmp.code),
        (GATEWAY, HOST, 11, 0)
    );
    let q = icmp.quote();
    assert_eq!(
        (q.src, q.dst, q.protocol, q.src_port(), q.dst_port()),
        (HOST, REMOTE, 17, 33434, 33435)
    );
    assert_eq!(h.engine.counters().drops_of(DropReason::TtlExpired), 1);
}

#[test]
fn icmp_errors_on_the_socket_reach_the_host_quoting_its_own_datagram() {
    // (offender in the report, source the host sees, kind, type, code); an unspecified
    // offender is the gateway's own stack refusing a DF datagram too big for the uplink.
    let unspecified = std::net::Ipv4Addr::UNSPECIFIED;
    let cases = [
        (REMOTE, REMOTE, IcmpErrorKind::PortUnreachable, 3, 3),
        (ROUTER, ROUTER, IcmpErrorKind::TimeExceeded, 11, 0),
        (ROUTER, ROUTER, IcmpErrorKind::HostUnreachable, 3, 1),
        (
            ROUTER,
            ROUTER,
            IcmpErrorKind::PacketTooBig { mtu: 1400 },
            3,
            4,
        ),
        (
            unspecified,
            GATEWAY,
            IcmpErrorKind::PacketTooBig { mtu: 1400 },
            3,
            4,
        ),
    ];
    for (offender, seen_from, kind, ty, code) in cases {
        let mut h = Harness::new();
        let (id, _) = mapped(&mut h);
        h.icmp_error(
            id,
            IcmpErrorReport {
                offender: ip(offender),
                kind,
                original_dst: sa(REMOTE, 53),
                payload: b"query".to_vec(),
            },
        );
        let out = h.tun();
        assert_eq!(out.len(), 1, "{kind:?}");
        let icmp = out[0].icmp();
        assert_eq!(
            (out[0].src, out[0].dst, icmp.ty, icmp.code),
            (seen_from, HOST, ty, code),
            "{kind:?}"
        );
        let q = icmp.quote();
        assert_eq!(
            (q.src, q.dst, q.protocol),
            (HOST, REMOTE, 17),
            "{kind:?}: LAN addresses in the quote"
        );
        assert_eq!(
            (q.src_port(), q.dst_port()),
            (5000, 53),
            "{kind:?}: LAN ports in the quote"
        );
        if let IcmpErrorKind::PacketTooBig { mtu } = kind {
            assert_eq!(
                u16::from_be_bytes([icmp.rest[2], icmp.rest[3]]),
                mtu as u16,
                "next-hop MTU"
            );
        }
    }
}

#[test]
fn the_hosts_dont_fragment_bit_reaches_the_socket() {
    // RFC 4787 REQ-13: with DF, the socket must send whole or fail, so that the path's
    // "too big" (the relay above) reaches the host; without DF, the gateway may fragment.
    let mut h = Harness::new();
    let to = "203.0.113.5:53".parse().expect("addr");
    h.send(&udp_with_df(host(5000), to, true, b"whole"));
    let id = h.cmds()[0].socket();
    h.socket_opened(id);
    h.send(&udp_with_df(host(5000), to, false, b"may split"));
    h.send(&udp_with_df(host(5000), to, true, b"whole again"));
    let sent: Vec<(bool, Vec<u8>)> = h
        .cmds()
        .into_iter()
        .map(|c| match c {
            SocketCommand::UdpSend {
                dont_fragment,
                payload,
                ..
            } => (dont_fragment, payload),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sent,
        [
            (true, b"whole".to_vec()),
            (false, b"may split".to_vec()),
            (true, b"whole again".to_vec())
        ]
    );
}

#[test]
fn datagrams_larger_than_the_mtu_are_fragmented_and_reassemble() {
    for (len, mtu) in [
        (1472usize, 1500u16),
        (1473, 1500),
        (4000, 1500),
        (8000, 576),
    ] {
        let cfg = Config {
            tun_mtu: mtu,
            ..Config::default()
        };
        let mut h = Harness::with_config(cfg);
        let (id, _) = mapped(&mut h);
        let payload: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        h.udp_in(id, sa(REMOTE, 53), &payload);
        let out = h.tun();
        assert!(
            out.iter().all(|e| e.raw.len() <= usize::from(mtu)),
            "{len}/{mtu}: every packet fits the MTU"
        );
        let d = if out.len() == 1 {
            out[0].udp().clone()
        } else {
            let idents: Vec<u16> = out.iter().map(|e: &Emitted| e.ident).collect();
            assert!(idents.iter().all(|&i| i == idents[0]), "{len}/{mtu}");
            reassemble(&out)
        };
        assert_eq!(
            out.len(),
            (len + 8).div_ceil((usize::from(mtu) - 20) & !7),
            "{len}/{mtu}: fragment count"
        );
        assert_eq!((d.src, d.dst), (sa(REMOTE, 53), sa(HOST, 5000)));
        assert!(d.payload == payload, "{len}/{mtu}: payload intact");
    }
}

#[test]
fn consecutive_fragmented_datagrams_get_distinct_identifications() {
    let mut h = Harness::new();
    let (id, _) = mapped(&mut h);
    h.udp_in(id, sa(REMOTE, 53), &[1u8; 3000]);
    h.udp_in(id, sa(REMOTE, 53), &[2u8; 3000]);
    let out = h.tun();
    assert_eq!(out.len(), 6);
    assert_ne!(
        out[0].ident, out[3].ident,
        "same size, same ports, yet two datagrams"
    );
    assert_eq!(reassemble(&out[..3]).payload, [1u8; 3000]);
    assert_eq!(reassemble(&out[3..]).payload, [2u8; 3000]);
}

#[test]
fn two_mappings_between_the_same_hosts_never_share_an_identification() {
    // Reassembly keys on (source, destination, protocol, identification), not ports: two
    // mappings of one host to one remote must not both start counting from the same value.
    let mut h = Harness::new();
    let (a, _) = mapped(&mut h);
    h.send(&udp(
        host(5001),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"query",
    ));
    let b = h.cmds()[0].socket();
    h.socket_opened(b);
    h.cmds();
    h.tun();
    h.udp_in(a, sa(REMOTE, 53), &[1u8; 3000]);
    h.udp_in(b, sa(REMOTE, 53), &[2u8; 3000]);
    let out = h.tun();
    assert_eq!(out.len(), 6);
    assert_eq!(out[0].dst, out[3].dst, "one host, one remote");
    assert_ne!(out[0].ident, out[3].ident);
    assert_eq!(reassemble(&out[..3]).payload, [1u8; 3000]);
    assert_eq!(reassemble(&out[3..]).payload, [2u8; 3000]);
}

#[test]
fn a_socket_that_cannot_open_ends_the_mapping_with_unreachables() {
    let mut h = Harness::new();
    h.send(&udp(
        host(5000),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"a",
    ));
    h.send(&udp(
        host(5000),
        "203.0.113.5:53".parse().expect("addr"),
        64,
        b"b",
    ));
    let id = h.cmds()[0].socket();
    h.engine
        .handle_socket_event(h.now(), SocketEvent::OpenFailed { id });
    h.sync();
    let out = h.tun();
    assert_eq!(out.len(), 2, "one error per waiting datagram");
    for e in &out {
        let icmp = e.icmp();
        assert_eq!((e.src, icmp.ty, icmp.code), (GATEWAY, 3, 0));
        assert_eq!(icmp.quote().src_port(), 5000);
    }
    assert_eq!(h.flows(Protocol::Udp), 0);
}

#[test]
fn a_burst_toward_the_lan_is_one_adapter_write_with_udp_offload() {
    let sizes = [1400usize, 1400, 1400, 1400, 600, 1400, 1472, 1473];
    let sent: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i + j * 7) as u8).collect())
        .collect();
    for offload in [false, true] {
        let cfg = Config {
            tun_offload: offload,
            tun_udp_offload: offload,
            ..Config::default()
        };
        let mut h = Harness::exactly(cfg, 1);
        let (id, _) = mapped(&mut h);
        let writes = h.adapter_writes;
        h.udp_burst(id, sa(REMOTE, 53), &sent);
        // Offload: 4 x 1400 + 600 join; 1400 starts anew (a shorter one closed the batch),
        // 1472 is larger and starts anew, 1473 needs two fragments.
        let expected = if offload { 5 } else { 9 };
        assert_eq!(h.adapter_writes - writes, expected, "offload {offload}");
        let out = h.tun();
        let whole: Vec<&Emitted> = out.iter().filter(|e| !e.mf && e.frag_offset == 0).collect();
        let mut got: Vec<Vec<u8>> = whole.iter().map(|e| e.udp().payload.clone()).collect();
        got.push(reassemble(&out[out.len() - 2..]).payload);
        assert_eq!(got, sent, "offload {offload}: every datagram, in order");
        for e in &whole {
            assert_eq!((e.udp().src, e.udp().dst), (sa(REMOTE, 53), sa(HOST, 5000)));
        }
    }
}

/// Cuts an IPv4 packet into fragments of at most `size` payload bytes (a multiple of 8), as a
/// LAN host's stack does for a datagram larger than its link MTU.
fn fragments_of(packet: &[u8], size: usize) -> Vec<Vec<u8>> {
    let header = &packet[..20];
    let payload = &packet[20..];
    payload
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let mut f = header.to_vec();
            let offset = u16::try_from(i * size / 8).expect("small");
            let more = (i + 1) * size < payload.len();
            let field = offset | if more { 0x2000 } else { 0 };
            f[6..8].copy_from_slice(&field.to_be_bytes());
            let total = u16::try_from(20 + chunk.len()).expect("small");
            f[2..4].copy_from_slice(&total.to_be_bytes());
            f[10..12].copy_from_slice(&[0, 0]);
            let h = etherparse::Ipv4HeaderSlice::from_slice(&f).expect("header");
            let sum = h.to_header().calc_header_checksum();
            f[10..12].copy_from_slice(&sum.to_be_bytes());
            f.extend_from_slice(chunk);
            f
        })
        .collect()
}

#[test]
fn a_datagram_larger_than_the_lan_mtu_arrives_in_fragments_and_leaves_whole() {
    let mut h = Harness::new();
    let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let whole = udp(
        host(5000),
        std::net::SocketAddrV4::new(REMOTE, 500),
        64,
        &payload,
    );
    let mut parts = fragments_of(&whole, 1480);
    assert_eq!(parts.len(), 3);
    // Out of order, as a LAN may deliver them.
    parts.swap(0, 2);
    for p in &parts {
        h.send(p);
    }
    let id = h.cmds()[0].socket();
    h.socket_opened(id);
    let cmds = h.cmds();
    let [
        SocketCommand::UdpSend {
            payload: sent, dst, ..
        },
    ] = &cmds[..]
    else {
        panic!("{cmds:?}")
    };
    assert_eq!((sent, *dst), (&payload, sa(REMOTE, 500)));
    let c = h.engine.counters();
    assert_eq!(c.datagrams_reassembled, 1);
    assert!(c.drops.is_empty(), "{:?}", c.drops);
}

#[test]
fn fragments_that_never_complete_expire_and_are_counted() {
    let mut h = Harness::new();
    let whole = udp(
        host(5000),
        std::net::SocketAddrV4::new(REMOTE, 500),
        64,
        &[7u8; 3000],
    );
    let parts = fragments_of(&whole, 1480);
    h.send(&parts[0]);
    h.send(&parts[2]);
    assert!(h.cmds().is_empty());
    assert!(
        h.engine.poll_timeout().is_some(),
        "a deadline for the partial datagram"
    );
    h.advance(Duration::from_secs(31));
    assert_eq!(h.engine.counters().drops_of(DropReason::FragmentExpired), 1);
    // The missing middle alone now starts a new partial datagram; nothing goes out.
    h.send(&parts[1]);
    assert!(h.cmds().is_empty());
    assert_eq!(h.engine.counters().datagrams_reassembled, 0);
}

/// What a relayed error says: its type and code, and the quoted datagram's addresses, ports,
/// length and payload; panics unless the checksum is right.
fn relayed(message: &[u8]) -> (u8, u8, SocketAddr, SocketAddr, u16, Vec<u8>) {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    assert_eq!(
        crate::wire::checksum::fold(crate::wire::checksum::sum(message)),
        0,
        "checksum"
    );
    let q = SlicedPacket::from_ip(&message[8..]).expect("quote parses");
    let Some(NetSlice::Ipv4(ip)) = q.net else {
        panic!("not IPv4")
    };
    let Some(TransportSlice::Udp(u)) = q.transport else {
        panic!("not UDP")
    };
    let (src, dst) = (ip.header().source_addr(), ip.header().destination_addr());
    (
        message[0],
        message[1],
        SocketAddr::new(src.into(), u.source_port()),
        SocketAddr::new(dst.into(), u.destination_port()),
        u.length(),
        u.payload().to_vec(),
    )
}

#[test]
fn a_hosts_port_unreachable_goes_back_to_the_remote_about_what_it_sent() {
    let mut h = Harness::new();
    let (id, local) = mapped(&mut h);
    h.udp_in(id, sa(REMOTE, 53), b"answer");
    let delivered = h.tun().remove(0).raw;
    // Nothing listens on the host's port any more: its kernel says so.
    h.send(&port_unreachable(HOST, &delivered));
    let cmds = h.cmds();
    let [
        SocketCommand::IcmpErrorSend {
            id: about,
            from,
            to,
            message,
        },
    ] = &cmds[..]
    else {
        panic!("{cmds:?}")
    };
    assert_eq!((*about, *from, *to), (id, local.ip(), ip(REMOTE)));
    // RFC 5508 REQ-5: type and code kept; the quote is what the remote sent to the gateway,
    // down to its UDP checksum.
    assert_eq!(
        relayed(message),
        (3, 3, sa(REMOTE, 53), local, 8 + 6, b"answer".to_vec())
    );
    let std::net::IpAddr::V4(gw) = local.ip() else {
        panic!("{local}")
    };
    let mut original = Vec::new();
    etherparse::PacketBuilder::ipv4(REMOTE.octets(), gw.octets(), 64)
        .udp(53, local.port())
        .write(&mut original, b"answer")
        .expect("builds");
    assert_eq!(
        message[8 + 20 + 6..8 + 20 + 8],
        original[26..28],
        "UDP checksum"
    );
    assert!(h.tun().is_empty(), "nothing goes back into the LAN");
}

#[test]
fn errors_about_what_no_mapping_let_in_stay_inside() {
    let remote2 = std::net::SocketAddrV4::new(REMOTE2, 99);
    let remote = std::net::SocketAddrV4::new(REMOTE, 53);
    let mut h = Harness::new();
    let (id, _) = mapped(&mut h);
    // Forged quotes, never relayed: a datagram the filter would have refused (another
    // remote), one to a port with no mapping, one from a LAN address, and one from the
    // remote the host talks to before anything of it was delivered.
    let forged = [
        (udp(remote2, host(5000), 60, b"x"), DropReason::Filtered),
        (udp(remote, host(5001), 60, b"x"), DropReason::NoState),
        (
            udp(host(7), host(5000), 60, b"x"),
            DropReason::BadDestination,
        ),
        (udp(remote, host(5000), 60, b"x"), DropReason::Filtered),
    ];
    for (offending, reason) in forged {
        let before = h.engine.counters().drops_of(reason);
        h.send(&port_unreachable(HOST, &offending));
        assert!(h.cmds().is_empty(), "{reason:?}");
        assert_eq!(
            h.engine.counters().drops_of(reason),
            before + 1,
            "{reason:?}"
        );
    }
    h.udp_in(id, sa(REMOTE, 53), b"answer");
    let delivered = h.tun().remove(0).raw;
    // Another LAN host may not speak for this one's datagrams.
    h.send(&port_unreachable(HOST2, &delivered));
    assert!(h.cmds().is_empty());
    h.send(&port_unreachable(HOST, &delivered));
    assert_eq!(h.cmds().len(), 1, "the real one still goes out");
}

#[test]
fn filters_that_admit_anyone_still_relay_errors_only_to_who_sent() {
    let mut cfg = Config::default();
    cfg.udp.filtering = UdpFiltering::EndpointIndependent;
    let mut h = Harness::with_config(cfg);
    let (id, _) = mapped(&mut h);
    // The filter would admit REMOTE2, but REMOTE2 never sent anything: a forged quote.
    let forged = udp(
        std::net::SocketAddrV4::new(REMOTE2, 99),
        host(5000),
        60,
        b"x",
    );
    h.send(&port_unreachable(HOST, &forged));
    assert!(h.cmds().is_empty());
    assert_eq!(h.engine.counters().drops_of(DropReason::Filtered), 1);
    h.udp_in(id, sa(REMOTE2, 99), b"hello");
    let delivered = h.tun().remove(0).raw;
    h.send(&port_unreachable(HOST, &delivered));
    let cmds = h.cmds();
    assert!(
        matches!(&cmds[..], [SocketCommand::IcmpErrorSend { to, .. }] if *to == ip(REMOTE2)),
        "{cmds:?}"
    );
}

#[test]
fn relayed_errors_are_rate_limited_apart_from_the_gateways_own() {
    let mut h = Harness::new();
    let (id, _) = mapped(&mut h);
    h.udp_in(id, sa(REMOTE, 53), b"answer");
    let error = port_unreachable(HOST, &h.tun().remove(0).raw);
    for _ in 0..60 {
        h.send(&error);
    }
    assert_eq!(h.cmds().len(), 50, "a burst of 50, then 1000/s");
    assert_eq!(h.engine.counters().drops_of(DropReason::RateLimited), 10);
    // The gateway's own errors keep their budget (TTL 1 is answered with time exceeded).
    h.send(&udp(
        host(5000),
        std::net::SocketAddrV4::new(REMOTE, 53),
        1,
        b"probe",
    ));
    assert_eq!(h.tun().len(), 1);
    h.advance(Duration::from_millis(10));
    h.send(&error);
    assert_eq!(h.cmds().len(), 1, "refilled");
}
