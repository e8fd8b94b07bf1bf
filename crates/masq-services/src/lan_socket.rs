//! UDP sockets pinned to the LAN interface, for the services that must see broadcasts (DHCP).
//!
//! A DHCP client without an address sends from 0.0.0.0 to 255.255.255.255; only a socket
//! bound to the wildcard address receives that, and only pinning it to the LAN interface
//! keeps it from answering on the uplink too. Replies to 255.255.255.255 from a pinned socket
//! leave through that interface. Pinning is `SO_BINDTODEVICE` on Linux and `IP_BOUND_IF` on
//! macOS; elsewhere these services report that they are not supported yet.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// The LAN interface as the services need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanLink {
    /// Interface name.
    pub name: String,
    /// Interface index.
    pub index: u32,
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
    sock.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())
        .map_err(|e| context("cannot bind", e))?;
    sock.set_nonblocking(true)
        .map_err(|e| context("cannot make the socket non-blocking", e))?;
    UdpSocket::from_std(sock.into()).map_err(|e| context("cannot register the socket", e))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn pin(sock: &Socket, lan: &LanLink) -> io::Result<()> {
    sock.bind_device(Some(lan.name.as_bytes()))
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
fn pin(sock: &Socket, lan: &LanLink) -> io::Result<()> {
    let index = std::num::NonZeroU32::new(lan.index)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "interface index 0"))?;
    sock.bind_device_by_index_v4(Some(index))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios"
)))]
fn pin(_sock: &Socket, _lan: &LanLink) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "pinning a socket to the LAN interface is not implemented on this OS yet",
    ))
}
