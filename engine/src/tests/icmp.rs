//! ICMP echo (RFC 5508): requests relayed through an echo socket, replies and errors
//! rewritten back to the hidden host's own identifier.

use crate::SocketEvent;
use std::net::IpAddr;
use std::time::Duration;

use super::harness::{Harness, ip, sa};
use super::lan_host::{HOST, REMOTE, ROUTER, echo_request};
use crate::{Family, IcmpErrorKind, IcmpErrorReport, Protocol, SocketCommand, SocketId};

const LAN_IDENT: u16 = 0x1234;
/// The identifier the kernel picked for the echo socket (its "port").
const SOCKET_IDENT: u16 = 40_001;

/// The host pings `REMOTE` once; returns the socket, after it opened.
fn pinged(h: &mut Harness) -> SocketId {
    h.send(&echo_request(HOST, REMOTE, 64, LAN_IDENT, 1, b"abcdefgh"));
    let id = h.cmds()[0].socket();
    let local = h.socket_opened(id);
    assert_eq!(
        local.port(),
        SOCKET_IDENT,
        "harness allocates ports from 40001"
    );
    assert!(matches!(
        h.cmds()[..],
        [SocketCommand::IcmpEchoSend { seq: 1, .. }]
    ));
    id
}

#[test]
fn echo_request_opens_a_socket_and_is_sent_with_ttl_minus_one() {
    let mut h = Harness::new();
    h.send(&echo_request(HOST, REMOTE, 64, LAN_IDENT, 1, b"abcdefgh"));
    h.send(&echo_request(HOST, REMOTE, 7, LAN_IDENT, 2, b"ijkl"));
    let cmds = h.cmds();
    assert!(
        matches!(
            cmds[..],
            [SocketCommand::IcmpOpen {
                family: Family::V4,
                ..
            }]
        ),
        "{cmds:?}"
    );
    let id = cmds[0].socket();
    h.socket_opened(id);
    let dst: IpAddr = ip(REMOTE);
    assert_eq!(
        h.cmds(),
        [
            SocketCommand::IcmpEchoSend {
                id,
                dst,
                seq: 1,
                ttl: 63,
                payload: b"abcdefgh".to_vec()
            },
            SocketCommand::IcmpEchoSend {
                id,
                dst,
                seq: 2,
                ttl: 6,
                payload: b"ijkl".to_vec()
            },
        ]
    );
    assert_eq!(
        (h.up.icmp(id).family, h.up.icmp(id).sent.len()),
        (Family::V4, 2)
    );
    // Another identifier from the same host is another mapping.
    h.send(&echo_request(HOST, REMOTE, 64, LAN_IDENT + 1, 1, b""));
    assert!(matches!(h.cmds()[..], [SocketCommand::IcmpOpen { .. }]));
    assert_eq!(h.flows(Protocol::Icmp), 2);
}

#[test]
fn echo_reply_is_rewritten_to_the_hosts_identifier() {
    let mut h = Harness::new();
    let id = pinged(&mut h);
    h.engine.handle_socket_event(
        h.now(),
        SocketEvent::EchoReply {
            id,
            from: ip(REMOTE),
            seq: 1,
            data: b"abcdefgh",
        },
    );
    h.sync();
    let out = h.tun();
    assert_eq!(out.len(), 1);
    let icmp = out[0].icmp();
    assert_eq!((out[0].src, out[0].dst), (REMOTE, HOST));
    assert_eq!((icmp.ty, icmp.code), (0, 0), "echo reply");
    assert_eq!(
        (icmp.echo_ident(), icmp.echo_seq()),
        (LAN_IDENT, 1),
        "the host's identifier, not the socket's"
    );
    assert_eq!(icmp.data, b"abcdefgh");
    let t = &h.translations()[0];
    assert_eq!(
        (t.packets_out, t.packets_in, t.bytes_out, t.bytes_in),
        (1, 1, 8, 8)
    );
}

#[test]
fn time_exceeded_quotes_the_echo_header_with_the_lan_identifier() {
    let mut h = Harness::new();
    let id = pinged(&mut h);
    // What the OS returns: the ICMP header it sent (with its own identifier) and payload.
    let mut sent = vec![8, 0, 0, 0];
    sent.extend_from_slice(&SOCKET_IDENT.to_be_bytes());
    sent.extend_from_slice(&1u16.to_be_bytes());
    sent.extend_from_slice(b"abcdefgh");
    h.icmp_error(
        id,
        IcmpErrorReport {
            offender: ip(ROUTER),
            kind: IcmpErrorKind::TimeExceeded,
            original_dst: sa(REMOTE, 0),
            payload: sent,
        },
    );
    let out = h.tun();
    assert_eq!(out.len(), 1);
    let icmp = out[0].icmp();
    assert_eq!(
        (out[0].src, out[0].dst, icmp.ty, icmp.code),
        (ROUTER, HOST, 11, 0),
        "from the router, as traceroute -I needs"
    );
    let q = icmp.quote();
    assert_eq!((q.src, q.dst, q.protocol), (HOST, REMOTE, 1));
    assert_eq!(q.transport[0], 8, "quoted echo request");
    assert_eq!(
        u16::from_be_bytes([q.transport[4], q.transport[5]]),
        LAN_IDENT,
        "quoted identifier is the host's"
    );
    assert_eq!(
        u16::from_be_bytes([q.transport[6], q.transport[7]]),
        1,
        "quoted sequence"
    );
}

#[test]
fn echo_mappings_expire_after_a_minute_of_silence() {
    let mut h = Harness::new();
    let id = pinged(&mut h);
    h.advance(Duration::from_secs(30));
    h.engine.handle_socket_event(
        h.now(),
        SocketEvent::EchoReply {
            id,
            from: ip(REMOTE),
            seq: 1,
            data: b"",
        },
    );
    h.sync();
    h.advance(Duration::from_millis(59_999));
    assert_eq!(h.flows(Protocol::Icmp), 1, "a reply counts as activity");
    h.advance(Duration::from_millis(1));
    assert_eq!(h.cmds(), [SocketCommand::Close { id }]);
    assert_eq!(h.flows(Protocol::Icmp), 0);
}
