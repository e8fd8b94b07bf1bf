//! Reading a socket's ICMP error queue (`MSG_ERRQUEUE`, enabled by `IP_RECVERR`).
//!
//! Each entry is a `sock_extended_err` control message: its origin (ICMP, ICMPv6 or local),
//! type, code and `ee_info` (the MTU for "too big"), the offending router's address after it
//! (`SO_EE_OFFENDER`), the original destination in `msg_name` and the start of the original
//! payload as data. An entry the engine cannot use is consumed and skipped, so a returned
//! `None` always means the queue is empty.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use masq_vocab::{Family, IcmpErrorKind, IcmpErrorReport};
use nix::errno::Errno;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg};
use socket2::Socket;
use tracing::trace;

use crate::icmp_kind::icmp_error_kind;

/// Bytes of the original payload kept per error; enough for any header the engine quotes.
const PAYLOAD_CAP: usize = 1500;
/// Entries examined per call; a queue full of unusable entries must not stall the caller.
const MAX_SKIPPED: usize = 64;

/// The next ICMP error queued on `sock`, or `None` if the queue is empty.
pub fn take_icmp_error(sock: &Socket) -> io::Result<Option<IcmpErrorReport>> {
    for _ in 0..MAX_SKIPPED {
        let Some(entry) = read_entry(sock)? else {
            return Ok(None);
        };
        if let Some(report) = entry.into_report(sock) {
            return Ok(Some(report));
        }
    }
    Ok(None)
}

/// One dequeued error-queue entry, before interpretation.
struct Entry {
    /// The extended error and its offender; `None` if the entry carried none.
    extended: Option<(libc::sock_extended_err, Option<IpAddr>)>,
    destination: Option<SocketAddr>,
    payload: Vec<u8>,
}

fn read_entry(sock: &Socket) -> io::Result<Option<Entry>> {
    let mut payload = vec![0u8; PAYLOAD_CAP];
    let mut cmsg = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let mut iov = [IoSliceMut::new(&mut payload)];
    let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
    let msg = match recvmsg::<SockaddrStorage>(sock.as_raw_fd(), &mut iov, Some(&mut cmsg), flags) {
        Ok(msg) => msg,
        Err(Errno::EAGAIN) => return Ok(None),
        Err(errno) => return Err(errno.into()),
    };
    let bytes = msg.bytes;
    let destination = msg.address.as_ref().and_then(to_socket_addr);
    let mut extended = None;
    for cmsg in msg.cmsgs().map_err(io::Error::from)? {
        match cmsg {
            ControlMessageOwned::Ipv4RecvErr(err, offender) => {
                extended = Some((
                    err,
                    offender
                        .map(|sin| IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))),
                ));
            }
            ControlMessageOwned::Ipv6RecvErr(err, offender) => {
                extended = Some((
                    err,
                    offender.map(|sin6| IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))),
                ));
            }
            _ => {}
        }
    }
    payload.truncate(bytes.min(PAYLOAD_CAP));
    Ok(Some(Entry {
        extended,
        destination,
        payload,
    }))
}

impl Entry {
    fn into_report(self, sock: &Socket) -> Option<IcmpErrorReport> {
        let Some((err, offender)) = self.extended else {
            trace!("skipped error-queue entry without an extended error");
            return None;
        };
        let kind = match err.ee_origin {
            libc::SO_EE_ORIGIN_ICMP => {
                icmp_error_kind(Family::V4, err.ee_type, err.ee_code, err.ee_info)
            }
            libc::SO_EE_ORIGIN_ICMP6 => {
                icmp_error_kind(Family::V6, err.ee_type, err.ee_code, err.ee_info)
            }
            libc::SO_EE_ORIGIN_LOCAL if err.ee_errno == libc::EMSGSIZE as u32 => {
                Some(IcmpErrorKind::PacketTooBig { mtu: err.ee_info })
            }
            _ => None,
        };
        let Some(kind) = kind else {
            trace!(
                origin = err.ee_origin,
                r#type = err.ee_type,
                code = err.ee_code,
                "skipped error-queue entry"
            );
            return None;
        };
        // Local errors carry no offender: the gateway itself is the one saying "too big",
        // which the report says with an unspecified address (the engine names its LAN side).
        let offender = match offender {
            Some(addr) if !addr.is_unspecified() => addr,
            _ if err.ee_origin == libc::SO_EE_ORIGIN_LOCAL => unspecified(sock),
            _ => local_ip(sock)?,
        };
        let original_dst = self
            .destination
            .or_else(|| sock.peer_addr().ok().and_then(|a| a.as_socket()))?;
        Some(IcmpErrorReport {
            offender,
            kind,
            original_dst,
            payload: self.payload,
        })
    }
}

fn unspecified(sock: &Socket) -> IpAddr {
    match sock.local_addr().ok().and_then(|a| a.as_socket()) {
        Some(SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

fn local_ip(sock: &Socket) -> Option<IpAddr> {
    let ip = sock.local_addr().ok()?.as_socket()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

fn to_socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    storage.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sockets::{Uplink, udp_socket};

    fn loopback() -> Uplink {
        Uplink {
            name: "lo".into(),
            index: 1,
            ipv4: Some(Ipv4Addr::LOCALHOST),
            ipv6: None,
        }
    }

    #[test]
    fn empty_queue_is_none() {
        let sock = udp_socket(&loopback(), Family::V4).unwrap();
        assert!(take_icmp_error(&sock).unwrap().is_none());
    }

    #[test]
    fn port_unreachable_on_loopback_is_reported() {
        // A closed port: bind, note, close. The kernel answers with ICMP port unreachable,
        // which IP_RECVERR queues on the sender.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dst = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let sock = udp_socket(&loopback(), Family::V4).unwrap();
        sock.send_to(b"probe", &dst.into()).unwrap();
        let mut report = None;
        for _ in 0..100 {
            report = take_icmp_error(&sock).unwrap();
            if report.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let report = report.expect("no ICMP error queued");
        assert_eq!(report.kind, IcmpErrorKind::PortUnreachable);
        assert_eq!(report.original_dst, dst);
        assert_eq!(report.offender, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(report.payload, b"probe");
        assert!(take_icmp_error(&sock).unwrap().is_none(), "queue drained");
    }
}
