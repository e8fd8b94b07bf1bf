//! Sockets pinned to the LAN interface: every LAN service listens through one of these.
//!
//! A DHCP client without an address sends from 0.0.0.0 to 255.255.255.255; only a socket
//! bound to the wildcard address receives that, and only pinning it to the LAN interface
//! keeps it from answering on the uplink too. Replies to 255.255.255.255 from a pinned socket
//! leave through that interface.
//!
//! The services bound to the gateway's LAN address (DNS, NAT-PMP/PCP) are pinned as well:
//! the address alone does not keep the uplink out, because a host on the uplink with a route
//! to the LAN prefix (or one that spoofs a LAN source) reaches the gateway's LAN address
//! through the uplink. A pinned socket only receives what *arrived on* the LAN interface, a
//! check by ingress interface that the kernel makes before the service sees a byte. Pinning
//! is `SO_BINDTODEVICE` on Linux and `IP_BOUND_IF`/`IPV6_BOUND_IF` on macOS. Windows' pinning
//! (`IP_UNICAST_IF`) only steers what is sent, so there the services bind the gateway's LAN
//! address instead of the wildcard: under the strong host model a socket bound to an
//! interface's address receives only what arrived on that interface, its broadcasts included
//! (`masq_platform::sockets::PIN_FILTERS_INGRESS` says which case applies).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use masq_platform::sockets as psock;
use masq_vocab::Family;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// The LAN interface as the services need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanLink {
    /// Interface name.
    pub name: String,
    /// Interface index.
    pub index: u32,
    /// The gateway's IPv4 address on it: what the services bind where pinning does not
    /// filter by ingress interface (Windows).
    pub address: Ipv4Addr,
}

/// A non-blocking UDP socket on 0.0.0.0:`port`, broadcast-capable, pinned to `lan`.
pub fn broadcast_socket(lan: &LanLink, port: u16) -> io::Result<UdpSocket> {
    let context = |what: &str, e: io::Error| {
        io::Error::new(
            e.kind(),
            format!("{what} for UDP port {port} on {}: {e}", lan.name),
        )
    };
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| context("cannot open a socket", e))?;
    sock.set_reuse_address(true)
        .map_err(|e| context("cannot set SO_REUSEADDR", e))?;
    sock.set_broadcast(true)
        .map_err(|e| context("cannot set SO_BROADCAST", e))?;
    pin(&sock, lan).map_err(|e| context("cannot pin the socket to the interface", e))?;
    let local = if psock::PIN_FILTERS_INGRESS {
        Ipv4Addr::UNSPECIFIED
    } else {
        lan.address
    };
    sock.bind(&SocketAddr::from((local, port)).into())
        .map_err(|e| context("cannot bind", e))?;
    sock.set_nonblocking(true)
        .map_err(|e| context("cannot make the socket non-blocking", e))?;
    UdpSocket::from_std(sock.into()).map_err(|e| context("cannot register the socket", e))
}

/// A non-blocking UDP socket bound to `addr`, receiving only what arrived on `lan`.
pub fn pinned_udp(lan: &LanLink, addr: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let sock = pinned(lan, addr, Type::DGRAM, Protocol::UDP)?;
    sock.bind(&addr.into())
        .map_err(|e| context(lan, addr, "cannot bind", e))?;
    Ok(sock.into())
}

/// A non-blocking TCP listener on `addr`, accepting only connections that arrived on `lan`.
pub fn pinned_tcp_listener(lan: &LanLink, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let sock = pinned(lan, addr, Type::STREAM, Protocol::TCP)?;
    sock.bind(&addr.into())
        .map_err(|e| context(lan, addr, "cannot bind", e))?;
    sock.listen(128)
        .map_err(|e| context(lan, addr, "cannot listen", e))?;
    Ok(sock.into())
}

/// An unbound, non-blocking socket of `addr`'s family with SO_REUSEADDR, pinned to `lan`.
fn pinned(lan: &LanLink, addr: SocketAddr, ty: Type, proto: Protocol) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), ty, Some(proto))
        .map_err(|e| context(lan, addr, "cannot open a socket", e))?;
    sock.set_reuse_address(true)
        .map_err(|e| context(lan, addr, "cannot set SO_REUSEADDR", e))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)
            .map_err(|e| context(lan, addr, "cannot set IPV6_V6ONLY", e))?;
    }
    pin_family(&sock, lan, addr.is_ipv6())
        .map_err(|e| context(lan, addr, "cannot pin the socket to the interface", e))?;
    sock.set_nonblocking(true)
        .map_err(|e| context(lan, addr, "cannot make the socket non-blocking", e))?;
    Ok(sock)
}

fn context(lan: &LanLink, addr: SocketAddr, what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} for {addr} on {}: {e}", lan.name))
}

/// Pins an IPv4 socket to `lan` (before it is bound).
pub(crate) fn pin(sock: &Socket, lan: &LanLink) -> io::Result<()> {
    pin_family(sock, lan, false)
}

fn pin_family(sock: &Socket, lan: &LanLink, v6: bool) -> io::Result<()> {
    let family = if v6 { Family::V6 } else { Family::V4 };
    psock::pin_to_lan(sock, family, &lan.name, lan.index)
}
