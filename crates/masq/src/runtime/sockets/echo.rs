//! Datagram sockets' common ground on every OS: which kind a socket is, how a received
//! datagram or ICMP message becomes a [`SocketEvent`], and how an echo request is written for
//! a ping socket.

use std::net::SocketAddr;

#[cfg(unix)]
use masq_engine::Family;
use masq_engine::SocketId;

use super::SocketEvent;

/// What a datagram socket carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Udp,
    Icmp,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Udp => "udp",
            Kind::Icmp => "icmp",
        }
    }
}

/// The event for one received datagram (UDP) or ICMP message (ping socket); `None` for an
/// ICMP message that is not one of our echo replies.
pub(super) fn deliver(
    kind: Kind,
    id: SocketId,
    from: SocketAddr,
    data: &[u8],
) -> Option<SocketEvent> {
    match kind {
        Kind::Udp => Some(SocketEvent::Datagram {
            id,
            from,
            data: data.to_vec(),
        }),
        Kind::Icmp => {
            // A ping socket hands us the ICMP message: type, code, checksum, ident, seq, data.
            // macOS puts the IPv4 header in front of it (Linux never does: its ICMP message
            // can never start with a version-4 nibble, as no ICMP type is 0x40-0x4f).
            let data = match data.first() {
                Some(b) if b >> 4 == 4 => data.get(usize::from(b & 0x0f) * 4..).unwrap_or(&[]),
                _ => data,
            };
            // Linux filters replies by the socket's identifier itself; macOS delivers every
            // echo reply to every ICMP socket, so keep only ours.
            if cfg!(target_os = "macos")
                && data.get(4..6) != Some(&echo_ident(id).to_be_bytes()[..])
            {
                return None;
            }
            let is_reply = matches!(data.first(), Some(0) | Some(129));
            (is_reply && data.len() >= 8).then(|| SocketEvent::EchoReply {
                id,
                from: from.ip(),
                seq: u16::from_be_bytes([data[6], data[7]]),
                data: data[8..].to_vec(),
            })
        }
    }
}

/// The echo identifier a socket uses where the OS does not assign one (macOS); Linux
/// replaces it with the socket's own. Not gated: the reply filter names it on every OS.
pub(super) fn echo_ident(id: SocketId) -> u16 {
    (id.0 % 0xffff) as u16 + 1
}

/// An echo request as a ping socket takes it. Linux fills in identifier and checksum; macOS
/// does neither for ICMPv4, so both are set here (ICMPv6 checksums are always the kernel's).
#[cfg(unix)]
pub(super) fn echo_request(family: Family, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let ty = match family {
        Family::V4 => 8,
        Family::V6 => 128,
    };
    let mut msg = Vec::with_capacity(8 + payload.len());
    msg.extend_from_slice(&[ty, 0, 0, 0]);
    msg.extend_from_slice(&ident.to_be_bytes());
    msg.extend_from_slice(&seq.to_be_bytes());
    msg.extend_from_slice(payload);
    if family == Family::V4 {
        let c = internet_checksum(&msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
    }
    msg
}

/// RFC 1071 checksum of one ICMP message.
#[cfg(unix)]
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut acc: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
        .sum();
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn echo_request_layout() {
        let m = echo_request(Family::V4, 7, 0x1234, b"hi");
        assert_eq!(&m[..2], &[8, 0]);
        assert_eq!(&m[4..], &[0, 7, 0x12, 0x34, b'h', b'i']);
        // A correct checksum makes the whole message sum to zero.
        assert_eq!(internet_checksum(&m), 0);
        let v6 = echo_request(Family::V6, 1, 1, b"");
        assert_eq!((v6[0], v6[2], v6[3]), (128, 0, 0));
    }

    #[test]
    fn only_echo_replies_become_events() {
        let from: SocketAddr = "203.0.113.5:0".parse().unwrap();
        let reply = [0u8, 0, 0, 0, 0, 1, 0, 9, b'x'];
        let ev = deliver(Kind::Icmp, SocketId(0), from, &reply);
        assert!(
            matches!(ev, Some(SocketEvent::EchoReply { seq: 9, ref data, .. }) if data == b"x")
        );
        assert!(deliver(Kind::Icmp, SocketId(0), from, &[8, 0, 0, 0, 0, 1, 0, 9]).is_none());
        assert!(deliver(Kind::Icmp, SocketId(0), from, &[0, 0]).is_none());
        assert!(matches!(
            deliver(Kind::Udp, SocketId(3), from, b"d"),
            Some(SocketEvent::Datagram { .. })
        ));
    }
}
