//! Hairpinning: LAN packets for the gateway's own public address, which the shell's steering
//! delivers with an alias as destination, leave through sockets addressed to the public
//! address (where the host's kernel hands them to masq's own socket of that port), and the
//! hidden host sees replies from the public address it used.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::harness::{Harness, host, sa};
use super::lan_host::{LanTcp, udp};
use crate::{Hairpin, SocketCommand};

const ALIAS: Ipv4Addr = Ipv4Addr::new(192, 0, 0, 8);
const PUBLIC: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

fn hairpinned() -> Harness {
    let mut h = Harness::new();
    h.engine.set_hairpin(Some(Hairpin {
        alias: ALIAS,
        public: PUBLIC,
    }));
    h
}

#[test]
fn udp_to_the_public_address_leaves_addressed_to_it() {
    let mut h = hairpinned();
    h.send(&udp(
        host(5000),
        SocketAddrV4::new(ALIAS, 40_001),
        64,
        b"punch",
    ));
    let id = h.cmds()[0].socket();
    h.socket_opened(id);
    let cmds = h.cmds();
    let [SocketCommand::UdpSend { dst, payload, .. }] = &cmds[..] else {
        panic!("{cmds:?}")
    };
    assert_eq!((*dst, &payload[..]), (sa(PUBLIC, 40_001), &b"punch"[..]));
    assert_eq!(h.engine.counters().hairpinned_packets, 1);
    assert_eq!(
        h.translations()[0].remote,
        Some(crate::RemoteEndpoint(sa(PUBLIC, 40_001)))
    );
}

#[test]
fn tcp_to_a_forwarded_port_connects_to_the_public_address_and_answers_from_it() {
    let mut h = hairpinned();
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
