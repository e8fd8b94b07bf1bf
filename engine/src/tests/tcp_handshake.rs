//! Opening TCP connections: the SYN is held until the upstream connect has an outcome, and
//! the hidden host then hears what a direct path would have told it (SYN-ACK, RST, ICMP).

use crate::SocketEvent;
use std::net::SocketAddrV4;
use std::time::Duration;

use super::emitted::Emitted;
use super::harness::{Harness, UPLINK, ip, sa};
use super::lan_host::{HOST, LanTcp, REMOTE, ROUTER};
use crate::{
    Config, ConnectError, ConnectTimeoutReply, IcmpErrorKind, IcmpErrorReport, Protocol,
    SocketCommand,
};

const GATEWAY: std::net::Ipv4Addr = std::net::Ipv4Addr::new(192, 168, 137, 1);

fn lan() -> LanTcp {
    LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1_000_000)
}

/// Asserts that `e` is an ICMP error of `ty`/`code` from `src` quoting the host's SYN.
fn assert_icmp_about_syn(e: &Emitted, src: std::net::Ipv4Addr, ty: u8, code: u8, l: &LanTcp) {
    let icmp = e.icmp();
    assert_eq!((e.src, e.dst), (src, HOST), "ICMP error addresses");
    assert_eq!((icmp.ty, icmp.code), (ty, code), "ICMP type/code");
    let q = icmp.quote();
    assert_eq!(
        (q.src, q.dst, q.protocol),
        (HOST, REMOTE, 6),
        "quoted IP header is the host's SYN"
    );
    assert_eq!(
        (q.src_port(), q.dst_port()),
        (l.lan.port(), 443),
        "quoted ports"
    );
    assert_eq!(q.tcp_seq(), l.isn, "quoted sequence number is the SYN's");
}

#[test]
fn no_syn_ack_before_the_upstream_connect_succeeds() {
    let mut h = Harness::new();
    let mut l = lan();
    h.send(&l.syn());
    let cmds = h.cmds();
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    let SocketCommand::TcpConnect {
        id,
        remote,
        ttl,
        mss,
        local_port,
    } = cmds[0].clone()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(remote, sa(REMOTE, 443));
    assert_eq!(ttl, 63, "the gateway is one hop: TTL 64 becomes 63");
    assert_eq!(mss, 1460, "MSS that fits the adapter MTU 1500");
    assert_eq!(
        local_port, None,
        "a first connection takes any gateway port"
    );
    h.advance(Duration::from_secs(29));
    assert!(
        h.tun().is_empty(),
        "no answer to the host while the connect is pending"
    );
    assert_eq!(h.translations()[0].state, "connecting");

    let sock = h.tcp(id);
    assert_eq!(
        (sock.remote, sock.ttl, sock.mss),
        (Some(sa(REMOTE, 443)), 63, 1460),
        "the fake shell saw the same"
    );
    let local = h.connect_ok(id);
    let segs = h.tun_tcp();
    assert_eq!(segs.len(), 1);
    let sa_seg = &segs[0];
    assert!(sa_seg.syn && sa_seg.ack == Some(l.isn + 1) && !sa_seg.fin && !sa_seg.rst);
    assert_eq!(
        (sa_seg.src, sa_seg.dst),
        (sa(REMOTE, 443), sa(HOST, 50_000))
    );
    l.accept_syn_ack(sa_seg);
    h.send(&l.ack());
    let t = &h.translations()[0];
    assert_eq!(t.state, "established");
    assert_eq!(t.gateway.map(|g| g.0), Some(local));
    assert_eq!(local.ip(), ip(UPLINK));
}

#[test]
fn syn_ack_options_follow_the_hosts_syn() {
    struct Case {
        mss: Option<u16>,
        wscale: Option<u8>,
        want_wscale: Option<u8>,
        want_seg: usize,
    }
    // 256 KiB buffer: shift 3 is the smallest that fits it in 16 bits.
    let cases = [
        Case {
            mss: Some(1460),
            wscale: Some(7),
            want_wscale: Some(7),
            want_seg: 1460,
        },
        Case {
            mss: Some(1460),
            wscale: None,
            want_wscale: None,
            want_seg: 1460,
        },
        Case {
            mss: None,
            wscale: Some(0),
            want_wscale: Some(7),
            want_seg: 536,
        },
        Case {
            mss: Some(1200),
            wscale: Some(14),
            want_wscale: Some(7),
            want_seg: 1200,
        },
        Case {
            mss: Some(9000),
            wscale: None,
            want_wscale: None,
            want_seg: 1460,
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        let mut h = Harness::new();
        let mut l = lan();
        l.mss = c.mss;
        l.wscale = c.wscale;
        h.send(&l.syn());
        let id = h.take_connect();
        h.connect_ok(id);
        let s = h.tun_tcp().remove(0);
        assert_eq!(s.mss, Some(1460), "case {i}: we announce what fits the MTU");
        assert_eq!(
            s.wscale, c.want_wscale,
            "case {i}: window scale only when offered"
        );
        // The host offers SACK-permitted and timestamps: SACK (kind 4) is echoed so the
        // host reports holes during loss recovery; timestamps (kind 8) are not.
        assert_eq!(
            s.other_options,
            vec![4],
            "case {i}: only SACK-permitted echoed: {:?}",
            s.other_options
        );
        assert_eq!(
            s.window, 65_535,
            "case {i}: SYN-ACK window is unscaled and capped to 16 bits"
        );
        l.accept_syn_ack(&s);
        let iss = s.seq;
        h.send(&l.ack());

        // The first data segments are cut at min(host MSS, MTU - 40) and start at ISS + 1.
        h.remote_write(id, &vec![7u8; 5000]);
        let data = h.tun_tcp();
        assert!(!data.is_empty(), "case {i}");
        assert_eq!(
            data[0].seq,
            iss.wrapping_add(1),
            "case {i}: first data byte is ISS + 1"
        );
        assert_eq!(data[0].payload.len(), c.want_seg, "case {i}: segment size");
        assert!(
            data.iter()
                .all(|d| d.payload.len() <= c.want_seg && d.mss.is_none() && d.wscale.is_none()),
            "case {i}"
        );
    }
}

#[test]
fn refused_connect_answers_rst_ack_of_isn_plus_one() {
    let mut h = Harness::new();
    let l = lan();
    h.send(&l.syn());
    let id = h.take_connect();
    h.connect_fail(id, ConnectError::Refused, None);
    let out = h.tun_tcp();
    assert_eq!(out.len(), 1, "{out:?}");
    let r = &out[0];
    assert!(r.rst && !r.syn, "refused looks like a closed port: {r:?}");
    assert_eq!(r.ack, Some(l.isn + 1));
    assert_eq!(r.seq, 0);
    assert_eq!(h.cmds(), vec![SocketCommand::Close { id }]);
    assert_eq!(h.flows(Protocol::Tcp), 0, "flow freed");
    assert_eq!(h.engine.poll_timeout(), None, "no timer left behind");
}

#[test]
fn connect_errors_become_the_icmp_a_router_would_send() {
    let report = |kind| IcmpErrorReport {
        offender: ip(ROUTER),
        kind,
        original_dst: sa(REMOTE, 443),
        payload: Vec::new(),
    };
    // (error, report, expected source, type, code)
    let cases = [
        (ConnectError::HostUnreachable, None, GATEWAY, 3, 1),
        (ConnectError::NetUnreachable, None, GATEWAY, 3, 0),
        (ConnectError::Other, None, GATEWAY, 3, 1),
        (ConnectError::Prohibited, None, GATEWAY, 3, 13),
        (
            ConnectError::HostUnreachable,
            Some(report(IcmpErrorKind::HostUnreachable)),
            ROUTER,
            3,
            1,
        ),
        (
            ConnectError::NetUnreachable,
            Some(report(IcmpErrorKind::NetUnreachable)),
            ROUTER,
            3,
            0,
        ),
        // traceroute -T: the kernel fails the connect with EHOSTUNREACH and queues the
        // router's time exceeded; the host must see it from that router.
        (
            ConnectError::HostUnreachable,
            Some(report(IcmpErrorKind::TimeExceeded)),
            ROUTER,
            11,
            0,
        ),
        // Where the OS only reports a timeout, a queued router error still names the hop.
        (
            ConnectError::TimedOut,
            Some(report(IcmpErrorKind::TimeExceeded)),
            ROUTER,
            11,
            0,
        ),
    ];
    for (i, (err, rep, src, ty, code)) in cases.into_iter().enumerate() {
        let mut h = Harness::new();
        let l = lan();
        h.send(&l.syn());
        let id = h.take_connect();
        h.connect_fail(id, err, rep);
        let out = h.tun();
        assert_eq!(out.len(), 1, "case {i}: {out:?}");
        assert_icmp_about_syn(&out[0], src, ty, code, &l);
        let cmds = h.cmds();
        assert!(
            cmds.iter().all(|c| c.socket() == id) && !cmds.is_empty(),
            "case {i}: {cmds:?}"
        );
        assert!(!h.tcp(id).is_open(), "case {i}: socket released");
        assert_eq!(h.flows(Protocol::Tcp), 0, "case {i}: flow freed");
    }
}

#[test]
fn syn_ttl_reaches_the_socket_and_ttl_one_is_answered_by_the_gateway() {
    let mut h = Harness::new();
    let mut l = lan();
    let syn = l.seg(
        super::lan_host::TcpSpec {
            seq: l.isn,
            syn: true,
            ttl: 5,
            mss: Some(1460),
            ..Default::default()
        },
        &[],
    );
    h.send(&syn);
    let cmds = h.cmds();
    assert!(
        matches!(cmds[..], [SocketCommand::TcpConnect { ttl: 4, .. }]),
        "{cmds:?}"
    );

    l.lan = SocketAddrV4::new(HOST, 50_001);
    let syn = l.seg(
        super::lan_host::TcpSpec {
            seq: l.isn,
            syn: true,
            ttl: 1,
            ..Default::default()
        },
        &[],
    );
    h.send(&syn);
    assert!(h.cmds().is_empty(), "TTL 1 never leaves the gateway");
    let out = h.tun();
    assert_eq!(out.len(), 1);
    assert_icmp_about_syn(&out[0], GATEWAY, 11, 0, &l);
}

#[test]
fn when_the_os_counted_the_hop_the_ttl_passes_unchanged() {
    // Linux decrements the TTL while forwarding into the adapter: a second decrement would
    // make the gateway appear twice in traceroute.
    let cfg = Config {
        os_counts_gateway_hop: true,
        ..Config::default()
    };
    let mut h = Harness::with_config(cfg);
    let mut l = lan();
    for (i, ttl) in [5u8, 1].into_iter().enumerate() {
        l.lan = SocketAddrV4::new(HOST, 50_100 + i as u16);
        let syn = l.seg(
            super::lan_host::TcpSpec {
                seq: l.isn,
                syn: true,
                ttl,
                ..Default::default()
            },
            &[],
        );
        h.send(&syn);
        let cmds = h.cmds();
        assert!(
            matches!(cmds[..], [SocketCommand::TcpConnect { ttl: t, .. }] if t == ttl),
            "ttl {ttl}: {cmds:?}"
        );
    }
}

#[test]
fn connect_timeout_answers_as_configured() {
    for reply in [
        ConnectTimeoutReply::HostUnreachable,
        ConnectTimeoutReply::Silence,
    ] {
        let mut cfg = Config::default();
        cfg.tcp.connect_timeout_reply = reply;
        let mut h = Harness::with_config(cfg);
        let l = lan();
        h.send(&l.syn());
        let id = h.take_connect();
        h.advance(Duration::from_millis(29_999));
        assert!(
            h.tun().is_empty() && h.tcp(id).is_open(),
            "{reply:?}: too early"
        );
        h.advance(Duration::from_millis(1));
        let out = h.tun();
        match reply {
            ConnectTimeoutReply::HostUnreachable => {
                assert_eq!(out.len(), 1, "{out:?}");
                assert_eq!(out[0].at, Duration::from_secs(30));
                assert_icmp_about_syn(&out[0], GATEWAY, 3, 1, &l);
            }
            ConnectTimeoutReply::Silence => assert!(out.is_empty(), "{out:?}"),
        }
        assert!(
            h.tcp(id).aborted,
            "{reply:?}: the pending connect is abandoned"
        );
        assert_eq!(h.flows(Protocol::Tcp), 0);
        assert_eq!(h.engine.poll_timeout(), None);
    }
}

#[test]
fn retransmitted_syn_while_connecting_opens_nothing_new() {
    let mut h = Harness::new();
    let l = lan();
    h.send(&l.syn());
    let id = h.take_connect();
    for _ in 0..3 {
        h.advance(Duration::from_secs(1));
        h.send(&l.syn());
    }
    assert!(
        h.cmds().is_empty(),
        "no second socket for a retransmitted SYN"
    );
    assert!(h.tun().is_empty());
    assert_eq!(h.flows(Protocol::Tcp), 1);
    h.connect_ok(id);
    assert_eq!(h.tun_tcp().len(), 1, "exactly one SYN-ACK");
}

#[test]
fn lost_syn_ack_is_resent_with_the_same_iss() {
    let mut h = Harness::new();
    let mut l = lan();
    h.send(&l.syn());
    let id = h.take_connect();
    h.connect_ok(id);
    let first = h.tun_tcp().remove(0);
    // The host's SYN timer fires: same ISN.
    h.advance(Duration::from_millis(300));
    h.send(&l.syn());
    let again = h.tun_tcp();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].seq, again[0].ack, again[0].syn),
        (first.seq, first.ack, true)
    );
    assert!(h.cmds().is_empty(), "still one socket");
    // Our own retransmission timer (initial RTO 1 s) resends it too, same ISS.
    h.advance(Duration::from_millis(700));
    let rto = h.tun_tcp();
    assert_eq!(rto.len(), 1);
    assert_eq!((rto[0].seq, rto[0].syn), (first.seq, true));
    l.accept_syn_ack(&rto[0]);
    h.send(&l.ack());
    assert_eq!(h.translations()[0].state, "established");
}

#[test]
fn unanswered_syn_ack_backs_off_then_resets_at_the_handshake_timeout() {
    let mut h = Harness::new();
    let l = lan();
    h.send(&l.syn());
    let id = h.take_connect();
    h.connect_ok(id);
    let first = h.tun_tcp().remove(0);
    h.advance(Duration::from_secs(11));
    let out = h.tun();
    let syn_acks: Vec<Duration> = out.iter().filter(|e| e.tcp().syn).map(|e| e.at).collect();
    // RTO 1 s doubling: 1, 3, 7 s; the 10 s handshake limit ends it.
    assert_eq!(syn_acks, [1, 3, 7].map(Duration::from_secs));
    let rst: Vec<&Emitted> = out.iter().filter(|e| e.tcp().rst).collect();
    assert_eq!(rst.len(), 1, "{out:?}");
    assert_eq!(rst[0].at, Duration::from_secs(10));
    assert_eq!(
        rst[0].tcp().seq,
        first.seq.wrapping_add(1),
        "RST at ISS + 1"
    );
    assert!(h.tcp(id).aborted);
    assert_eq!(h.flows(Protocol::Tcp), 0);
}

/// The connects of one LAN endpoint, as the shell was asked for them: (socket, local_port).
fn connects(h: &mut Harness) -> Vec<(crate::SocketId, Option<u16>)> {
    h.cmds()
        .iter()
        .filter_map(|c| match c {
            SocketCommand::TcpConnect { id, local_port, .. } => Some((*id, *local_port)),
            _ => None,
        })
        .collect()
}

#[test]
fn one_lan_endpoint_connects_from_one_gateway_port_while_it_has_connections() {
    let mut h = Harness::new();
    let mut first = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1);
    h.send(&first.syn());
    let [(id1, None)] = connects(&mut h)[..] else {
        panic!("a first connection takes any port")
    };
    let local = h.connect_ok(id1);
    first.accept_syn_ack(&h.tun_tcp()[0]);
    h.send(&first.ack());
    // Same LAN endpoint, another remote: the same gateway port is asked for (RFC 5382 REQ-1).
    let second = LanTcp::new(50_000, SocketAddrV4::new(super::lan_host::REMOTE2, 80), 7);
    h.send(&second.syn());
    let [(id2, Some(port))] = connects(&mut h)[..] else {
        panic!("the mapped port is asked for")
    };
    assert_eq!(port, local.port());
    // Another LAN endpoint is mapped on its own.
    let other = LanTcp::new(50_001, SocketAddrV4::new(REMOTE, 443), 9);
    h.send(&other.syn());
    assert!(matches!(connects(&mut h)[..], [(_, None)]));
    // When the endpoint's connections are gone, so is its mapping.
    h.engine
        .handle_socket_event(h.now(), SocketEvent::TcpReset { id: id1 });
    h.engine.handle_socket_event(
        h.now(),
        SocketEvent::TcpConnectFailed {
            id: id2,
            error: crate::ConnectError::Refused,
            icmp: None,
        },
    );
    h.advance(Duration::from_secs(300));
    h.cmds();
    h.tun();
    let third = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 22), 11);
    h.send(&third.syn());
    assert!(matches!(connects(&mut h)[..], [(_, None)]));
}
