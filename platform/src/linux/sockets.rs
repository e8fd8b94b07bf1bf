//! Linux uplink sockets: pinned with `SO_BINDTODEVICE`, ICMP errors queued with
//! `IP_RECVERR` / `IPV6_RECVERR`.
//!
//! Pinning to the device (not only binding the address) is what keeps masq's own traffic out
//! of the TUN: the policy rule only matches packets arriving on the LAN, but a device-bound
//! socket is immune to any route or rule a VPN or the user adds later.

use std::io;
use std::net::{IpAddr, SocketAddr};

use masq_vocab::Family;
use socket2::{Domain, Protocol, Socket, Type};

pub use super::icmp_queue::take_icmp_error;
use crate::sockets::{Uplink, icmp_protocol, set_ttl};

/// Receive buffer of a UDP mapping's socket. The kernel default (~208 KiB of accounted memory,
/// about 90 datagrams of 1400 bytes) is one millisecond at 1 Gbit/s; a download arriving while
/// the loop is busy with other work overflowed it (0.7-1 % of datagrams at 1 Gbit/s in the
/// netns bench). It is a limit, not an allocation: idle mappings cost nothing more.
const UDP_RCVBUF: libc::c_int = 1 << 20;

/// Unsent bytes a TCP socket may hold before it stops reporting writability. Small, so data
/// waits in the engine's bounded buffer (which shrinks the LAN host's window) rather than in
/// the kernel; 128 KiB still covers a bandwidth-delay product of ~100 Mbit/s × 10 ms.
const TCP_NOTSENT_LOWAT: u32 = 128 * 1024;

/// A TCP socket for an outbound connection to `remote`, not yet connected: non-blocking,
/// pinned to the uplink, with the hidden host's TTL and (if given) MSS, Nagle off.
pub fn tcp_socket(
    uplink: &Uplink,
    remote: SocketAddr,
    ttl: u8,
    mss: Option<u16>,
) -> io::Result<Socket> {
    let family = Family::of(remote.ip());
    let sock = new_socket(family, Type::STREAM, Protocol::TCP)?;
    pin_to_uplink(&sock, uplink, family)?;
    // Every outbound socket may share its port with the hidden endpoint's next connections
    // (`bind_tcp_port`): Linux lets a second socket bind a port only if both set this.
    sock.set_reuse_address(true)
        .map_err(|e| context(e, "set SO_REUSEADDR"))?;
    set_ttl(&sock, family, ttl).map_err(|e| context(e, "set the TTL"))?;
    sock.set_tcp_nodelay(true)
        .map_err(|e| context(e, "disable Nagle"))?;
    if let Some(mss) = mss {
        sock.set_tcp_mss(u32::from(mss))
            .map_err(|e| context(e, "set TCP_MAXSEG"))?;
    }
    sock.set_tcp_notsent_lowat(TCP_NOTSENT_LOWAT)
        .map_err(|e| context(e, "set TCP_NOTSENT_LOWAT"))?;
    Ok(sock)
}

/// An outbound TCP connection is up: ICMP errors about it are the kernel's business from now
/// on. With `IP_RECVERR` still on, Linux turns an ICMP unreachable for an established
/// connection into a hard socket error (the next read fails), which would reset the hidden
/// host's connection; RFC 5382 REQ-10 says a NAT must not end a connection for that (a route
/// flapping upstream heals within the kernel's retransmissions). The error queue was only
/// for the connect's outcome (`traceroute -T`).
pub fn tcp_connected(sock: &Socket, family: Family) -> io::Result<()> {
    set_error_queue(sock, family, false).map_err(|e| context(e, "disable the ICMP error queue"))
}

/// A UDP socket bound to the uplink's address on an ephemeral port, non-blocking and pinned.
pub fn udp_socket(uplink: &Uplink, family: Family) -> io::Result<Socket> {
    let source = uplink.source(family)?;
    let sock = new_socket(family, Type::DGRAM, Protocol::UDP)?;
    pin_to_uplink(&sock, uplink, family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, "bind to the uplink address"))?;
    enlarge_receive_buffer(&sock);
    Ok(sock)
}

/// Raises the socket's receive buffer to [`UDP_RCVBUF`]: beyond `net.core.rmem_max` with
/// `SO_RCVBUFFORCE` (masq runs with `CAP_NET_ADMIN`), else up to that limit. A refusal only
/// leaves the default, so it is logged, not returned.
fn enlarge_receive_buffer(sock: &Socket) {
    let forced = crate::sockopt::set_int(sock, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, UDP_RCVBUF);
    if forced.is_err()
        && let Err(e) = sock.set_recv_buffer_size(UDP_RCVBUF as usize)
    {
        tracing::debug!(error = %e, "cannot enlarge a UDP socket's receive buffer");
    }
}

/// An unprivileged ICMP echo socket (`SOCK_DGRAM` + ICMP/ICMPv6) bound to the uplink address;
/// the kernel sets the echo identifier and delivers only replies to it.
pub fn icmp_echo_socket(uplink: &Uplink, family: Family) -> io::Result<Socket> {
    let source = uplink.source(family)?;
    let protocol = icmp_protocol(family);
    let sock = new_socket(family, Type::DGRAM, protocol).map_err(|e| {
        if e.kind() == io::ErrorKind::PermissionDenied {
            io::Error::new(
                e.kind(),
                format!(
                    "open an ICMP echo socket: {e}; net.ipv4.ping_group_range must include group {}",
                    nix::unistd::getegid()
                ),
            )
        } else {
            e
        }
    })?;
    pin_to_uplink(&sock, uplink, family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, "bind to the uplink address"))?;
    Ok(sock)
}

/// A raw ICMP (ICMPv6) socket that sends the errors hidden hosts send about datagrams from the
/// internet (RFC 5508 REQ-5), from `source` (the uplink address of the mapping the error is
/// about), pinned to the uplink. It only sends: a filter that accepts nothing keeps the copy
/// of every ICMP message the uplink receives out of its queue. Needs `CAP_NET_RAW`.
pub fn icmp_error_socket(uplink: &Uplink, source: IpAddr) -> io::Result<Socket> {
    let family = Family::of(source);
    let protocol = icmp_protocol(family);
    let sock = new_socket(family, Type::RAW, protocol)
        .map_err(|e| context(e, "open a raw ICMP socket (masq needs CAP_NET_RAW)"))?;
    sock.attach_filter(&[socket2::SockFilter::new(0x06, 0, 0, 0)])
        .map_err(|e| context(e, "attach a filter that receives nothing"))?;
    // What arrived before the filter was attached would stay queued for the socket's life.
    let mut scratch = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    while sock.recv(&mut scratch).is_ok() {}
    sock.bind_device(Some(uplink.name.as_bytes()))
        .map_err(|e| context(e, &format!("bind to uplink device `{}`", uplink.name)))?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, &format!("bind to the uplink address {source}")))?;
    Ok(sock)
}

fn new_socket(family: Family, ty: Type, protocol: Protocol) -> io::Result<Socket> {
    let domain = match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
    };
    let sock = Socket::new(domain, ty.nonblocking().cloexec(), Some(protocol))?;
    if family == Family::V6 {
        sock.set_only_v6(true)
            .map_err(|e| context(e, "set IPV6_V6ONLY"))?;
    }
    Ok(sock)
}

/// Pins a LAN service's socket to the LAN interface (`SO_BINDTODEVICE`): it then receives
/// only what arrived on that interface, whatever the destination, and sends out of it.
pub fn pin_to_lan(sock: &Socket, _family: Family, name: &str, _index: u32) -> io::Result<()> {
    sock.bind_device(Some(name.as_bytes())).map_err(|e| {
        context(
            e,
            &format!("pin to LAN interface `{name}` (SO_BINDTODEVICE)"),
        )
    })
}

/// Whether [`pin_to_lan`] also filters what a socket receives by ingress interface (so a
/// service may bind the wildcard address to hear broadcasts from hosts without an address).
pub const PIN_FILTERS_INGRESS: bool = true;

/// Binds the socket to the uplink device and turns on its ICMP error queue.
fn pin_to_uplink(sock: &Socket, uplink: &Uplink, family: Family) -> io::Result<()> {
    sock.bind_device(Some(uplink.name.as_bytes()))
        .map_err(|e| context(e, &format!("bind to uplink device `{}`", uplink.name)))?;
    set_error_queue(sock, family, true).map_err(|e| context(e, "enable the ICMP error queue"))
}

/// Sends later datagrams whole or not at all (`IP_PMTUDISC_DO`), or lets the kernel fragment
/// them (`IP_PMTUDISC_DONT`, which also leaves DF clear on the wire, as the host sent it).
/// A datagram larger than the path's MTU then fails with `EMSGSIZE` and, with the error
/// queue on, queues a local "too big" carrying the MTU, which the engine relays to the host.
pub fn set_dont_fragment(sock: &Socket, family: Family, on: bool) -> io::Result<()> {
    let (level, name, value) = match (family, on) {
        (Family::V4, true) => (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_DO,
        ),
        (Family::V4, false) => (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_DONT,
        ),
        (Family::V6, true) => (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_DO,
        ),
        (Family::V6, false) => (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_DONT,
        ),
    };
    crate::sockopt::set_int(sock, level, name, value)
}

/// Turns the socket's ICMP error queue (`IP_RECVERR` / `IPV6_RECVERR`) on or off.
fn set_error_queue(sock: &Socket, family: Family, on: bool) -> io::Result<()> {
    let (level, name) = match family {
        Family::V4 => (libc::IPPROTO_IP, libc::IP_RECVERR),
        Family::V6 => (libc::IPPROTO_IPV6, libc::IPV6_RECVERR),
    };
    let value = libc::c_int::from(on);
    crate::sockopt::set_int(sock, level, name, value)
}

/// Adds what was being done to an error, keeping its kind (which `connect_error` and the
/// runtime match on).
fn context(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn loopback() -> Uplink {
        Uplink {
            name: "lo".into(),
            index: 1,
            ipv4: Some(Ipv4Addr::LOCALHOST),
            ipv6: None,
        }
    }

    #[test]
    fn udp_socket_is_bound_nonblocking_and_pinned() {
        let sock = udp_socket(&loopback(), Family::V4).unwrap();
        let local = sock.local_addr().unwrap().as_socket().unwrap();
        assert_eq!(local.ip(), std::net::IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_ne!(local.port(), 0);
        assert!(sock.nonblocking().unwrap());
        assert_eq!(sock.device().unwrap().as_deref(), Some(&b"lo"[..]));
        // Linux reports twice what was set (bookkeeping); without CAP_NET_ADMIN the buffer
        // stops at net.core.rmem_max, which is still more than nothing was asked for.
        let fresh = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        assert!(sock.recv_buffer_size().unwrap() > fresh.recv_buffer_size().unwrap());
    }

    #[test]
    fn udp_socket_without_a_source_address_fails_clearly() {
        let err = udp_socket(&loopback(), Family::V6).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
    }

    #[test]
    fn tcp_socket_carries_ttl_nodelay_and_mss() {
        let remote: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let sock = tcp_socket(&loopback(), remote, 17, Some(1200)).unwrap();
        assert_eq!(sock.ttl_v4().unwrap(), 17);
        assert!(sock.tcp_nodelay().unwrap());
        assert!(sock.nonblocking().unwrap());
        assert_eq!(sock.tcp_notsent_lowat().unwrap(), TCP_NOTSENT_LOWAT);
        assert_eq!(sock.device().unwrap().as_deref(), Some(&b"lo"[..]));
    }

    #[test]
    fn refused_connect_maps_to_refused() {
        // Find a closed port: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let remote: SocketAddr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let sock = tcp_socket(&loopback(), remote, 64, None).unwrap();
        sock.set_nonblocking(false).unwrap();
        let err = sock.connect(&remote.into()).unwrap_err();
        assert_eq!(
            crate::sockets::connect_error(&err),
            masq_vocab::ConnectError::Refused
        );
    }
}
