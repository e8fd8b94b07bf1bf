//! Uplink sockets: how masq re-originates the LAN's conversations from ordinary OS sockets.
//!
//! Every socket is pinned to the uplink interface (Linux `SO_BINDTODEVICE`), so masq's own
//! traffic can never be steered back into the TUN and loop, whatever the routing tables say.
//! ICMP errors about the socket's traffic are queued by the kernel (`IP_RECVERR`) and read with
//! [`take_icmp_error`], so that traceroute and path-MTU discovery work for hidden hosts.
//!
//! All sockets are returned non-blocking and unconnected (TCP) or bound (UDP, ICMP); the
//! runtime registers them with tokio. On OSes without a backend the constructors fail with an
//! `io::Error` of kind `Unsupported` whose inner error says which backend is missing.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use masq_vocab::Family;
use socket2::Socket;

use crate::InterfaceInfo;

pub use crate::connect_error::connect_error;
pub use crate::icmp_kind::icmp_error_kind;
#[cfg(target_os = "windows")]
pub use crate::imp::sockets::{EchoOutcome, IcmpEcho};
pub use crate::imp::sockets::{
    PIN_FILTERS_INGRESS, icmp_echo_socket, icmp_error_socket, pin_to_lan, set_dont_fragment,
    take_icmp_error, tcp_connected, tcp_socket, udp_socket,
};

/// The interface that outbound sockets are pinned to, with the source addresses to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplink {
    /// Interface name (what `SO_BINDTODEVICE` takes).
    pub name: String,
    /// Interface index.
    pub index: u32,
    /// IPv4 source address, if the uplink has one.
    pub ipv4: Option<Ipv4Addr>,
    /// Routable IPv6 source address, if the uplink has one (link-local ones are skipped).
    pub ipv6: Option<Ipv6Addr>,
}

impl From<&InterfaceInfo> for Uplink {
    fn from(info: &InterfaceInfo) -> Self {
        Uplink {
            name: info.name.clone(),
            index: info.index,
            ipv4: info.first_ipv4(),
            ipv6: info.first_routable_ipv6(),
        }
    }
}

impl Uplink {
    /// The source address for `family`, or an error naming the uplink that lacks one.
    pub fn source(&self, family: Family) -> io::Result<std::net::IpAddr> {
        let addr = match family {
            Family::V4 => self.ipv4.map(std::net::IpAddr::V4),
            Family::V6 => self.ipv6.map(std::net::IpAddr::V6),
        };
        addr.ok_or_else(|| {
            let version = match family {
                Family::V4 => "IPv4",
                Family::V6 => "routable IPv6",
            };
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("uplink `{}` has no {version} address", self.name),
            )
        })
    }
}

/// The ICMP of `family` (ICMP or ICMPv6), for echo and raw error sockets alike.
pub(crate) fn icmp_protocol(family: Family) -> socket2::Protocol {
    match family {
        Family::V4 => socket2::Protocol::ICMPV4,
        Family::V6 => socket2::Protocol::ICMPV6,
    }
}

/// Sets the TTL (IPv4) or unicast hop limit (IPv6) of later packets, e.g. per UDP datagram so
/// traceroute probes from hidden hosts keep their decreasing TTLs.
pub fn set_ttl(sock: &Socket, family: Family, ttl: u8) -> io::Result<()> {
    match family {
        Family::V4 => sock.set_ttl_v4(u32::from(ttl)),
        Family::V6 => sock.set_unicast_hops_v6(u32::from(ttl)),
    }
}

/// Connections a port forward's listener may have waiting to be accepted.
const LISTEN_BACKLOG: i32 = 128;

/// A TCP socket listening on `port` of the uplink's address, for a port forward.
///
/// Bound to the uplink's address rather than the wildcard, so the forward answers only
/// where the user expects it (the address outside sees) and never on the LAN address.
/// `SO_REUSEADDR` lets the forward come back at once after a restart while old connections
/// linger in TIME_WAIT.
pub fn tcp_listener(uplink: &Uplink, family: Family, port: u16) -> io::Result<Socket> {
    let sock = bound_socket(uplink, family, port, socket2::Type::STREAM)?;
    sock.listen(LISTEN_BACKLOG)
        .map_err(|e| with_context(e, format!("listen on port {port}")))?;
    Ok(sock)
}

/// A UDP socket bound to `port` of the uplink's address, for a port forward.
pub fn udp_listener(uplink: &Uplink, family: Family, port: u16) -> io::Result<Socket> {
    bound_socket(uplink, family, port, socket2::Type::DGRAM)
}

fn bound_socket(
    uplink: &Uplink,
    family: Family,
    port: u16,
    ty: socket2::Type,
) -> io::Result<Socket> {
    let source = uplink.source(family)?;
    let domain = match family {
        Family::V4 => socket2::Domain::IPV4,
        Family::V6 => socket2::Domain::IPV6,
    };
    let sock = Socket::new(domain, ty, None)?;
    sock.set_nonblocking(true)?;
    // On Windows SO_REUSEADDR would let another program take the port over; its default
    // already allows rebinding during TIME_WAIT.
    if cfg!(unix) && ty == socket2::Type::STREAM {
        sock.set_reuse_address(true)?;
    }
    let at = std::net::SocketAddr::new(source, port);
    sock.bind(&at.into()).map_err(|e| {
        let hint = match e.kind() {
            io::ErrorKind::AddrInUse => "; another program already uses this port",
            io::ErrorKind::PermissionDenied => "; ports below 1024 need privileges",
            _ => "",
        };
        with_context(e, format!("bind {at} on uplink `{}`{hint}", uplink.name))
    })?;
    Ok(sock)
}

fn with_context(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Binds a TCP socket made by `tcp_socket` to `port` on the uplink's address, shared with
/// the other connections of the same hidden endpoint (`SO_REUSEADDR`: sockets that connect
/// to different remotes may share a local port as long as none listens; on Windows the option
/// lets masq's own sockets share the port, and a socket of another program holding it with
/// `SO_EXCLUSIVEADDRUSE` still refuses). This is what makes
/// the TCP mapping endpoint-independent (RFC 5382 REQ-1).
pub fn bind_tcp_port(
    sock: &Socket,
    uplink: &Uplink,
    remote: SocketAddr,
    port: u16,
) -> io::Result<()> {
    let local: SocketAddr = match remote {
        SocketAddr::V4(_) => (uplink.ipv4.unwrap_or(Ipv4Addr::UNSPECIFIED), port).into(),
        SocketAddr::V6(_) => (uplink.ipv6.unwrap_or(Ipv6Addr::UNSPECIFIED), port).into(),
    };
    sock.set_reuse_address(true)
        .map_err(|e| io::Error::new(e.kind(), format!("set SO_REUSEADDR: {e}")))?;
    sock.bind(&local.into())
        .map_err(|e| io::Error::new(e.kind(), format!("bind {local}: {e}")))
}

/// `sock`, bound to the hidden endpoint's mapped TCP port when there is one; when that port
/// cannot be bound (another program took it, or a remote's old connection still holds the
/// four-tuple), the socket stays unbound and connects from any port, and the mapping is not
/// endpoint-independent for this one connection.
pub fn bind_mapped_port(
    sock: Socket,
    uplink: &Uplink,
    remote: SocketAddr,
    port: Option<u16>,
) -> Socket {
    if let Some(port) = port
        && let Err(e) = bind_tcp_port(&sock, uplink, remote, port)
    {
        tracing::debug!(%remote, port, error = %e, "cannot reuse the hidden endpoint's TCP port; connecting from another");
    }
    sock
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_bind_the_uplink_address_and_say_why_they_cannot() {
        let lo = Uplink {
            name: "lo".into(),
            index: 1,
            ipv4: Some(Ipv4Addr::LOCALHOST),
            ipv6: None,
        };
        let l = tcp_listener(&lo, Family::V4, 0).unwrap();
        let at = l.local_addr().unwrap().as_socket().unwrap();
        assert_eq!(at.ip(), std::net::IpAddr::V4(Ipv4Addr::LOCALHOST));
        let again = tcp_listener(&lo, Family::V4, at.port()).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AddrInUse);
        assert!(again.to_string().contains("another program"), "{again}");
        let u = udp_listener(&lo, Family::V4, 0).unwrap();
        let taken = u.local_addr().unwrap().as_socket().unwrap().port();
        assert!(udp_listener(&lo, Family::V4, taken).is_err());
        assert!(
            tcp_listener(&lo, Family::V6, 80).is_err(),
            "no IPv6 on this uplink"
        );
    }

    fn info() -> InterfaceInfo {
        InterfaceInfo {
            name: "wlan0".into(),
            index: 4,
            ipv4: vec![(Ipv4Addr::new(10, 0, 0, 2), 24)],
            ipv6: vec![("fe80::2".parse().unwrap(), 64)],
            mtu: 1500,
        }
    }

    #[test]
    fn uplink_from_interface_picks_usable_sources() {
        let uplink = Uplink::from(&info());
        assert_eq!(uplink.ipv4, Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(uplink.ipv6, None, "link-local only");
        assert_eq!(
            uplink.source(Family::V4).unwrap(),
            std::net::IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))
        );
        let err = uplink.source(Family::V6).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(err.to_string().contains("wlan0"), "{err}");
    }

    #[test]
    fn set_ttl_applies_per_family() {
        let v4 = Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        set_ttl(&v4, Family::V4, 7).unwrap();
        assert_eq!(v4.ttl_v4().unwrap(), 7);
        if let Ok(v6) = Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None) {
            set_ttl(&v6, Family::V6, 9).unwrap();
            assert_eq!(v6.unicast_hops_v6().unwrap(), 9);
        }
    }
}
