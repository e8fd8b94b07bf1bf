//! Port forwards: listeners asked of the shell, connections opened toward the hidden host
//! from the remote's real address, UDP forwards as pinned unfiltered mappings, validation,
//! expiry of port mappings, and the forwarded flows marked inbound in the table.

use crate::SocketEvent;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use super::emitted::{Body, Seg};
use super::harness::{Harness, UPLINK, host, sa};
use super::lan_host::{HOST, LanTcp, REMOTE, TcpSpec, udp};
use crate::{
    Config, ForwardError, ForwardKey, ForwardOrigin, ForwardProtocol, ForwardSpec, ListenerState,
    PortMapProtocol, Protocol, SocketCommand, SocketId,
};

fn spec(protocol: ForwardProtocol, public: &str, target: SocketAddrV4) -> ForwardSpec {
    ForwardSpec {
        protocol,
        public: public.parse().expect("ports"),
        target,
        origin: ForwardOrigin::User,
        enabled: true,
        name: None,
    }
}

fn uplink(port: u16) -> SocketAddr {
    sa(UPLINK, port)
}

/// Adds a TCP forward `8080 -> HOST:80` and opens its listener; returns the listener id.
fn tcp_forward(h: &mut Harness) -> SocketId {
    let now = h.now();
    h.engine
        .add_forward(now, spec(ForwardProtocol::Tcp, "8080", host(80)), None)
        .expect("forward");
    h.sync();
    let cmds = h.cmds();
    let [SocketCommand::TcpListen { id, port: 8080, .. }] = cmds[..] else {
        panic!("one listener expected: {cmds:?}")
    };
    assert_eq!(h.up.listener(id).port, 8080);
    h.engine.handle_socket_event(
        now,
        SocketEvent::Opened {
            id,
            local: uplink(8080),
        },
    );
    id
}

/// The shell accepted a connection from `peer`; returns the id the engine gave it.
fn accept(h: &mut Harness, listener: SocketId, peer: SocketAddr) -> Option<SocketId> {
    let now = h.now();
    let id = h
        .engine
        .handle_tcp_accepted(now, listener, peer, uplink(8080))?;
    h.up.accepted(id, peer);
    h.sync();
    Some(id)
}

/// The hidden server's side of a forwarded connection after our SYN arrived.
fn server_for(syn: &Seg, peer: SocketAddr, isn: u32) -> LanTcp {
    let SocketAddr::V4(remote) = peer else {
        panic!("v4 peer")
    };
    let mut lan = LanTcp::new(80, remote, isn);
    lan.peer_iss = syn.seq;
    lan.rcv_nxt = syn.seq.wrapping_add(1);
    lan.snd_nxt = isn.wrapping_add(1);
    lan.peer_ack = lan.snd_nxt;
    lan.peer_shift = syn.wscale.unwrap_or(0);
    lan
}

fn syn_ack(lan: &LanTcp) -> Vec<u8> {
    lan.seg(
        TcpSpec {
            seq: lan.isn,
            ack: Some(lan.rcv_nxt),
            syn: true,
            window: lan.window,
            mss: lan.mss,
            wscale: lan.wscale,
            ..TcpSpec::default()
        },
        &[],
    )
}

#[test]
fn tcp_forward_reaches_the_hidden_server_from_the_real_remote_address() {
    let mut h = Harness::new();
    let listener = tcp_forward(&mut h);
    assert_eq!(
        h.engine.forwards(h.now())[0].state,
        ListenerState::Listening
    );
    let peer = sa(REMOTE, 55_555);
    let id = accept(&mut h, listener, peer).expect("accepted");
    assert!(
        !h.cmds()
            .iter()
            .any(|c| matches!(c, SocketCommand::TcpReadCredit { .. })),
        "nothing is read from the remote before the hidden server answered"
    );
    let syn = h.tun_tcp();
    assert_eq!(syn.len(), 1, "{syn:?}");
    let syn = &syn[0];
    assert!(syn.syn && syn.ack.is_none());
    assert_eq!(syn.src, peer, "the server sees who connects");
    assert_eq!(syn.dst, sa(HOST, 80));
    assert_eq!(syn.mss, Some(1460));
    assert!(syn.wscale.is_some());

    let mut lan = server_for(syn, peer, 9_000);
    h.send(&syn_ack(&lan));
    let ack = h.tun_tcp();
    assert_eq!(ack.len(), 1);
    assert!(ack[0].is_pure_ack() && ack[0].ack == Some(9_001));
    assert!(
        h.cmds()
            .iter()
            .any(|c| matches!(c, SocketCommand::TcpReadCredit { id: c_id, .. } if *c_id == id))
    );

    h.remote_write(id, b"GET / HTTP/1.0\r\n\r\n");
    for s in h.tun_tcp() {
        lan.receive(&s);
    }
    assert_eq!(lan.received, b"GET / HTTP/1.0\r\n\r\n");
    let reply = lan.send(b"hello");
    h.send(&reply);
    assert_eq!(h.tcp(id).written, b"hello");

    let t = h.translations();
    assert_eq!(t.len(), 1);
    assert!(t[0].inbound, "forwarded flows are marked inbound");
    assert_eq!(t[0].lan.0, sa(HOST, 80));
    assert_eq!(t[0].remote.map(|r| r.0), Some(peer));
    assert_eq!(t[0].gateway.map(|g| g.0), Some(uplink(8080)));
    assert_eq!(t[0].state, "established");
    assert_eq!(h.engine.forwards(h.now())[0].connections, 1);

    // The observer also saw the SYN to the forwarded port: it is not a refusal.
    let now = h.now();
    h.engine
        .handle_uplink_probe(now, Protocol::Tcp, peer, uplink(8080));
    h.engine
        .handle_uplink_probe(now, Protocol::Tcp, peer, uplink(8081));
    let refused = h.engine.inbound_attempts(now);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].gateway, uplink(8081));
}

#[test]
fn a_refusing_or_silent_hidden_server_resets_the_remote() {
    // Refused: nothing listens on the host's port.
    let mut h = Harness::new();
    let listener = tcp_forward(&mut h);
    let peer = sa(REMOTE, 40_001);
    let id = accept(&mut h, listener, peer).expect("accepted");
    let syn = h.tun_tcp().remove(0);
    h.send(&super::lan_host::tcp(
        host(80),
        SocketAddrV4::new(REMOTE, 40_001),
        &TcpSpec {
            seq: 0,
            ack: Some(syn.seq.wrapping_add(1)),
            rst: true,
            window: 0,
            ..TcpSpec::default()
        },
        &[],
    ));
    assert!(h.tcp(id).aborted, "the remote sees the refusal as a reset");
    assert_eq!(h.flows(Protocol::Tcp), 0);

    // Silent: our SYN is retried, then the attempt is given up.
    let mut h = Harness::new();
    let listener = tcp_forward(&mut h);
    let id = accept(&mut h, listener, peer).expect("accepted");
    assert_eq!(h.tun_tcp().len(), 1);
    h.advance(Duration::from_secs(3));
    let retries = h.tun_tcp();
    assert!(
        !retries.is_empty() && retries.iter().all(|s| s.syn),
        "{retries:?}"
    );
    h.advance(Duration::from_secs(10));
    assert!(h.tcp(id).aborted);
    assert_eq!(h.flows(Protocol::Tcp), 0);
}

#[test]
fn udp_forward_delivers_from_anyone_and_replies_leave_from_the_public_port() {
    let mut h = Harness::new();
    let now = h.now();
    h.engine
        .add_forward(
            now,
            spec(ForwardProtocol::Udp, "5000-5001", host(6000)),
            None,
        )
        .expect("forward");
    h.sync();
    let cmds = h.cmds();
    let ports: Vec<(SocketId, u16)> = cmds
        .iter()
        .map(|c| match c {
            SocketCommand::UdpListen { id, port, .. } => (*id, *port),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ports.iter().map(|p| p.1).collect::<Vec<_>>(), [5000, 5001]);
    let (id, _) = ports[1];
    assert_eq!(h.up.udp(id).port, Some(5001));
    h.engine.handle_socket_event(
        now,
        SocketEvent::Opened {
            id,
            local: uplink(5001),
        },
    );
    h.engine.handle_socket_event(
        now,
        SocketEvent::Opened {
            id: ports[0].0,
            local: uplink(5000),
        },
    );

    // Anyone may send: the default filtering does not apply to a forward.
    let peer = sa(REMOTE, 7777);
    h.udp_in(id, peer, b"ping");
    let got = h.tun();
    assert_eq!(got.len(), 1);
    let Body::Udp(d) = &got[0].body else {
        panic!("{got:?}")
    };
    assert_eq!((d.src, d.dst), (peer, sa(HOST, 6001)));
    assert_eq!(d.payload, b"ping");

    h.send(&udp(
        host(6001),
        SocketAddrV4::new(REMOTE, 7777),
        64,
        b"pong",
    ));
    let sent = &h.up.udp(id).sent;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].0, sent[0].2.as_slice()), (peer, &b"pong"[..]));

    // Pinned: the mapping outlives any idle timeout while the forward exists.
    h.advance(Duration::from_secs(3600));
    let t = h.translations();
    assert_eq!(t.len(), 2);
    assert!(t.iter().all(|t| t.inbound && t.state == "forwarded"));
    assert_eq!(h.engine.forwards(h.now())[0].connections, 1);

    let now = h.now();
    h.engine
        .remove_forward(
            now,
            ForwardKey {
                protocol: ForwardProtocol::Udp,
                port: 5000,
            },
        )
        .expect("removed");
    h.sync();
    assert!(h.up.udp(id).closed);
    assert_eq!(h.flows(Protocol::Udp), 0);
}

#[test]
fn an_ordinary_mapping_of_the_target_endpoint_gives_way_to_the_forward() {
    let mut h = Harness::new();
    h.send(&udp(host(6000), SocketAddrV4::new(REMOTE, 53), 64, b"q"));
    let old = h.cmds()[0].socket();
    h.socket_opened(old);
    let now = h.now();
    h.engine
        .add_forward(now, spec(ForwardProtocol::Udp, "5000", host(6000)), None)
        .expect("forward");
    h.sync();
    assert!(h.up.udp(old).closed);
    assert_eq!(h.flows(Protocol::Udp), 1);
}

#[test]
fn forwards_are_validated() {
    let mut h = Harness::with_config(Config {
        max_forward_ports: 4,
        ..Config::default()
    });
    let now = h.now();
    let e = &mut h.engine;
    e.add_forward(now, spec(ForwardProtocol::Tcp, "8080", host(80)), None)
        .expect("first");
    type Expect = fn(&ForwardError) -> bool;
    let cases: [(ForwardSpec, Expect); 5] = [
        (
            spec(
                ForwardProtocol::Tcp,
                "8000-8100",
                SocketAddrV4::new(HOST, 80),
            ),
            |e| matches!(e, ForwardError::Overlaps { port: 8080, .. }),
        ),
        (
            spec(ForwardProtocol::Tcp, "9000", "10.9.9.9:80".parse().unwrap()),
            |e| matches!(e, ForwardError::TargetNotOnLan(..)),
        ),
        (
            spec(
                ForwardProtocol::Tcp,
                "9000",
                SocketAddrV4::new(Ipv4Addr::new(192, 168, 137, 1), 80),
            ),
            |e| matches!(e, ForwardError::TargetNotOnLan(..)),
        ),
        (spec(ForwardProtocol::Udp, "9000-9003", host(80)), |e| {
            matches!(e, ForwardError::TooManyPorts { limit: 4, .. })
        }),
        (spec(ForwardProtocol::Tcp, "8080", host(81)), |e| {
            matches!(e, ForwardError::Overlaps { .. })
        }),
    ];
    for (s, expected) in cases {
        let err = e.add_forward(now, s.clone(), None).expect_err("refused");
        assert!(expected(&err), "{s:?}: {err}");
        assert!(!err.to_string().is_empty());
    }
    // Same port, other protocol: fine.
    e.add_forward(now, spec(ForwardProtocol::Udp, "8080-8082", host(80)), None)
        .expect("udp beside tcp");
    assert_eq!(e.forwards(now).len(), 2);
}

#[test]
fn editing_a_forward_replaces_it_in_one_step_or_not_at_all() {
    let mut h = Harness::new();
    let listener = tcp_forward(&mut h);
    let now = h.now();
    let old = ForwardKey {
        protocol: ForwardProtocol::Tcp,
        port: 8080,
    };
    h.engine
        .add_forward(now, spec(ForwardProtocol::Tcp, "9000", host(22)), None)
        .expect("a second forward");
    h.sync();
    let second = h.cmds();
    assert!(matches!(
        second[..],
        [SocketCommand::TcpListen { port: 9000, .. }]
    ));

    // Refused: the new ports overlap the other forward. Nothing changes, no socket closes.
    let clash = spec(ForwardProtocol::Tcp, "8999-9001", host(80));
    let err = h
        .engine
        .update_forward(now, old, clash)
        .expect_err("overlap");
    assert!(
        matches!(err, ForwardError::Overlaps { port: 9000, .. }),
        "{err}"
    );
    assert!(h.cmds().is_empty(), "a refused edit touches no socket");
    assert!(h.engine.forwards(now).iter().any(|f| f.key == old));

    // Accepted: another public port, target and name; the old listener closes, a new one
    // opens, and the forward keeps its history under its new key.
    let mut edited = spec(ForwardProtocol::Tcp, "8081", host(8080));
    edited.name = Some("web".into());
    let new = h
        .engine
        .update_forward(now, old, edited.clone())
        .expect("edit");
    assert_eq!(new.port, 8081);
    h.sync();
    let cmds = h.cmds();
    assert!(
        cmds.contains(&SocketCommand::Close { id: listener }),
        "{cmds:?}"
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, SocketCommand::TcpListen { port: 8081, .. })),
        "{cmds:?}"
    );
    let views = h.engine.forwards(now);
    assert!(!views.iter().any(|f| f.key == old));
    let view = views.iter().find(|f| f.key == new).expect("listed");
    assert_eq!(view.spec, edited);
    // Unknown key.
    assert!(matches!(
        h.engine.update_forward(now, old, edited),
        Err(ForwardError::NotFound(_))
    ));
}

#[test]
fn port_mappings_expire_unless_renewed() {
    let mut h = Harness::new();
    let now = h.now();
    let mut s = spec(ForwardProtocol::Tcp, "40000", host(40000));
    s.origin = ForwardOrigin::PortMap {
        client: HOST,
        protocol: PortMapProtocol::NatPmp,
        nonce: None,
    };
    let key = h
        .engine
        .add_forward(now, s, Some(now + Duration::from_secs(120)))
        .expect("mapping");
    h.sync();
    let listener = h.cmds()[0].socket();
    h.advance(Duration::from_secs(100));
    let left = h.engine.forwards(h.now())[0].expires_in_s.expect("expires");
    assert!((19.0..=20.0).contains(&left), "{left}");
    let now = h.now();
    h.engine
        .renew_forward(key, Some(now + Duration::from_secs(120)))
        .expect("renewed");
    h.advance(Duration::from_secs(100));
    assert_eq!(h.engine.forwards(h.now()).len(), 1, "renewal moved expiry");
    h.advance(Duration::from_secs(21));
    assert!(h.engine.forwards(h.now()).is_empty(), "expired");
    assert!(h.up.listener(listener).closed);
    assert!(h.engine.poll_timeout().is_none(), "no timer left behind");
}

#[test]
fn disabling_failing_and_restarting_listeners() {
    let mut h = Harness::new();
    let listener = tcp_forward(&mut h);
    let key = ForwardKey {
        protocol: ForwardProtocol::Tcp,
        port: 8080,
    };
    let now = h.now();
    h.engine
        .set_forward_enabled(now, key, false)
        .expect("disable");
    h.sync();
    assert!(h.up.listener(listener).closed);
    assert_eq!(h.engine.forwards(now)[0].state, ListenerState::Disabled);
    assert!(
        accept(&mut h, listener, sa(REMOTE, 1)).is_none(),
        "a closed listener's late accept is refused"
    );
    h.cmds();

    h.engine
        .set_forward_enabled(now, key, true)
        .expect("enable");
    h.sync();
    let again = h.cmds()[0].socket();
    h.engine.handle_socket_event(
        now,
        SocketEvent::ListenFailed {
            id: again,
            reason: "address already in use".to_string(),
        },
    );
    assert_eq!(
        h.engine.forwards(now)[0].state,
        ListenerState::Failed {
            reason: "address already in use".into()
        }
    );

    // After the uplink changed: everything is reset, then the forwards listen again.
    h.engine.reset_all(now);
    h.engine.restart_forwards(now);
    h.sync();
    let cmds = h.cmds();
    assert!(
        matches!(cmds[..], [SocketCommand::TcpListen { port: 8080, .. }]),
        "{cmds:?}"
    );
    assert_eq!(h.engine.forwards(now)[0].state, ListenerState::Opening);
    assert!(
        h.engine
            .remove_forward(now, key)
            .is_ok_and(|s| s.public.first() == 8080)
    );
    assert!(matches!(
        h.engine.remove_forward(now, key),
        Err(ForwardError::NotFound(_))
    ));
}
