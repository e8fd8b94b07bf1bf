//! Hairpinning: LAN packets for the gateway's own public address, which the shell's steering
//! delivers with an alias as destination, leave through sockets addressed to the public
//! address (where the host's kernel hands them to masq's own socket of that port), and the
//! hidden host sees replies from the public address it used.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::harness::{Harness, UPLINK, host, sa};
use super::lan_host::{HOST2, LanTcp, udp};
use crate::{
    DropReason, ForwardOrigin, ForwardProtocol, ForwardSpec, Hairpin, PortRange, SocketCommand,
};

const ALIAS: Ipv4Addr = Ipv4Addr::new(192, 0, 0, 8);
const PUBLIC: Ipv4Addr = UPLINK;

fn hairpinned() -> Harness {
    let mut h = Harness::new();
    h.engine.set_hairpin(Some(Hairpin {
        alias: ALIAS,
        public: PUBLIC,
    }));
    h
}

/// Another LAN host's UDP mapping: its gateway port on the public address.
fn peer_mapping(h: &mut Harness) -> u16 {
    h.send(&udp(
        SocketAddrV4::new(HOST2, 6000),
        "203.0.113.5:3478".parse().unwrap(),
        64,
        b"stun",
    ));
    let id = h.cmds()[0].socket();
    let local = h.socket_opened(id);
    h.cmds();
    local.port()
}

#[test]
fn udp_to_another_hosts_mapping_leaves_addressed_to_the_public_address() {
    let mut h = hairpinned();
    let port = peer_mapping(&mut h);
    h.send(&udp(
        host(5000),
        SocketAddrV4::new(ALIAS, port),
        64,
        b"punch",
    ));
    let id = h.cmds()[0].socket();
    h.socket_opened(id);
    let cmds = h.cmds();
    let [SocketCommand::UdpSend { dst, payload, .. }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!((*dst, &payload[..]), (sa(PUBLIC, port), &b"punch"[..]));
    assert_eq!(h.engine.counters().hairpinned_packets, 1);
}

#[test]
fn the_hosts_own_services_are_not_reached_through_the_public_address() {
    let mut h = hairpinned();
    h.send(&udp(host(5000), SocketAddrV4::new(ALIAS, 53), 64, b"q"));
    assert!(h.cmds().is_empty(), "no socket toward the host's own port");
    assert_eq!(h.engine.counters().drops_of(DropReason::HairpinRefused), 1);
    assert_eq!(h.tun().len(), 1, "answered: administratively prohibited");
}

#[test]
fn tcp_to_a_forwarded_port_connects_to_the_public_address_and_answers_from_it() {
    let mut h = hairpinned();
    let forward = ForwardSpec {
        protocol: ForwardProtocol::Tcp,
        public: PortRange::single(8080).unwrap(),
        target: SocketAddrV4::new(HOST2, 80),
        origin: ForwardOrigin::User,
        enabled: true,
        name: None,
    };
    let now = h.now();
    h.engine.add_forward(now, forward, None).expect("forward");
    h.sync();
    h.cmds();
    let l = LanTcp::new(50_000, SocketAddrV4::new(ALIAS, 8080), 1);
    h.send(&l.syn());
    let cmds = h.cmds();
    let [SocketCommand::TcpConnect { id, remote, .. }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(*remote, sa(PUBLIC, 8080));
    h.connect_ok(*id);
    let syn_ack = &h.tun_tcp()[0];
    assert!(syn_ack.syn && syn_ack.ack.is_some());
    assert_eq!(
        syn_ack.src,
        sa(PUBLIC, 8080),
        "the host hears back from the public address"
    );
}

#[test]
fn without_hairpinning_the_alias_is_an_ordinary_destination() {
    let mut h = Harness::new();
    h.send(&udp(host(5000), SocketAddrV4::new(ALIAS, 40_001), 64, b"x"));
    let id = h.cmds()[0].socket();
    h.socket_opened(id);
    let cmds = h.cmds();
    let [SocketCommand::UdpSend { dst, .. }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!(*dst, sa(ALIAS, 40_001));
    assert_eq!(h.engine.counters().hairpinned_packets, 0);
}
