//! Windows uplink sockets: bound to the uplink's address and pinned to its interface with
//! `IP_UNICAST_IF` / `IPV6_UNICAST_IF`, so masq's own traffic never follows its steering
//! routes back into the adapter.
//!
//! - UDP sockets have `SIO_UDP_CONNRESET` turned off: otherwise one ICMP port unreachable
//!   makes the next `recvfrom` fail with WSAECONNRESET, which would end a mapping that serves
//!   many remotes.
//! - Windows has no per-socket ICMP error queue (Linux `IP_RECVERR`): [`take_icmp_error`]
//!   reports none. A failed TCP connect still says refused / unreachable / timed out through
//!   its error code; UDP loses time-exceeded and unreachable reports (see
//!   docs/platform-windows.md).
//! - ICMP echo does not go through a socket at all but through the IP Helper API
//!   ([`IcmpEcho`]), which needs no raw socket and no firewall rule.

use std::io;
use std::net::SocketAddr;
use std::os::windows::io::AsRawSocket;

use masq_vocab::{Family, IcmpErrorReport};
use socket2::{Domain, Protocol, Socket, Type};
use windows_sys::Win32::Networking::WinSock::{
    IP_DONTFRAGMENT, IP_UNICAST_IF, IPPROTO_IP, IPPROTO_IPV6, IPV6_DONTFRAG, IPV6_UNICAST_IF,
    SIO_UDP_CONNRESET, SOCKET, SOCKET_ERROR, WSAGetLastError, WSAIoctl,
};

pub use super::icmp_echo::{EchoOutcome, IcmpEcho};
use crate::sockets::{Uplink, icmp_protocol, set_ttl};

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
    let source = uplink.source(family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, "bind to the uplink address"))?;
    set_ttl(&sock, family, ttl).map_err(|e| context(e, "set the TTL"))?;
    sock.set_tcp_nodelay(true)
        .map_err(|e| context(e, "disable Nagle"))?;
    // Windows has no settable TCP_MAXSEG; the kernel derives the MSS from the path MTU, and
    // the LAN leg is clamped by the engine itself.
    let _ = mss;
    Ok(sock)
}

/// A UDP socket bound to the uplink's address on an ephemeral port, non-blocking, pinned, and
/// immune to ICMP-triggered resets.
pub fn udp_socket(uplink: &Uplink, family: Family) -> io::Result<Socket> {
    let source = uplink.source(family)?;
    let sock = new_socket(family, Type::DGRAM, Protocol::UDP)?;
    pin_to_uplink(&sock, uplink, family)?;
    disable_udp_connreset(&sock)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, "bind to the uplink address"))?;
    Ok(sock)
}

/// Fails: on Windows ICMP echo goes through [`IcmpEcho`] (IcmpSendEcho2Ex), not a socket.
pub fn icmp_echo_socket(_uplink: &Uplink, _family: Family) -> io::Result<Socket> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "on Windows ICMP echo is sent with the IP Helper API (IcmpEcho), not through a socket",
    ))
}

/// A raw ICMP (ICMPv6) socket that sends the errors hidden hosts send about datagrams from the
/// internet (RFC 5508 REQ-5), from `source` (the uplink address of the mapping the error is
/// about), pinned to the uplink with `IP_UNICAST_IF`. Windows lets administrators send ICMP
/// on raw sockets (only raw TCP and spoofed UDP are refused). It only sends; its receive
/// buffer is kept to one byte so copies of the uplink's ICMP do not pile up.
pub fn icmp_error_socket(uplink: &Uplink, source: std::net::IpAddr) -> io::Result<Socket> {
    let family = Family::of(source);
    let protocol = icmp_protocol(family);
    let sock = new_socket(family, Type::RAW, protocol).map_err(|e| {
        context(
            e,
            "open a raw ICMP socket (masq needs administrator rights)",
        )
    })?;
    pin_to_uplink(&sock, uplink, family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, &format!("bind to the uplink address {source}")))?;
    if let Err(e) = sock.set_recv_buffer_size(1) {
        tracing::debug!(error = %e, "a raw ICMP socket keeps its receive buffer");
    }
    Ok(sock)
}

/// Always `None`: Windows sockets have no ICMP error queue.
pub fn take_icmp_error(_sock: &Socket) -> io::Result<Option<IcmpErrorReport>> {
    Ok(None)
}

/// Nothing to do: Windows reports ICMP unreachables for established connections as soft
/// errors only (the connection lives on), which is what RFC 5382 REQ-10 asks.
pub fn tcp_connected(_sock: &Socket, _family: Family) -> io::Result<()> {
    Ok(())
}

fn new_socket(family: Family, ty: Type, protocol: Protocol) -> io::Result<Socket> {
    let domain = match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
    };
    let sock = Socket::new(domain, ty, Some(protocol))?;
    sock.set_nonblocking(true)
        .map_err(|e| context(e, "make the socket non-blocking"))?;
    if family == Family::V6 {
        sock.set_only_v6(true)
            .map_err(|e| context(e, "set IPV6_V6ONLY"))?;
    }
    Ok(sock)
}

/// The `IP_UNICAST_IF` / `IPV6_UNICAST_IF` option value for interface `index`: Windows wants
/// the IPv4 one in network byte order and the IPv6 one in host order.
pub(crate) fn unicast_if_value(family: Family, index: u32) -> u32 {
    match family {
        Family::V4 => index.to_be(),
        Family::V6 => index,
    }
}

/// Sends later datagrams with DF set (`IP_DONTFRAGMENT` / `IPV6_DONTFRAG`), or lets the stack
/// fragment them. Windows has no error queue: a datagram too big for the path fails its send
/// and is dropped, without a "too big" for the host (`docs/conformance.md`, REQ-13).
pub fn set_dont_fragment(sock: &Socket, family: Family, on: bool) -> io::Result<()> {
    let (level, name) = match family {
        Family::V4 => (IPPROTO_IP, IP_DONTFRAGMENT),
        Family::V6 => (IPPROTO_IPV6, IPV6_DONTFRAG),
    };
    let value = u32::from(on);
    crate::sockopt::set_u32(sock, level, name, value)
}

/// Pins the socket's outgoing packets to the uplink interface.
fn pin_to_uplink(sock: &Socket, uplink: &Uplink, family: Family) -> io::Result<()> {
    set_unicast_if(sock, family, uplink.index).map_err(|e| {
        context(
            e,
            &format!("pin to uplink `{}` (index {})", uplink.name, uplink.index),
        )
    })
}

/// Pins a LAN service's socket's outgoing packets to the LAN interface (`IP_UNICAST_IF`).
/// Unlike Linux's and macOS's pinning this does not filter what arrives: on Windows the
/// services bind the gateway's LAN address instead, which under the strong host model (the
/// default, and the uplink's weak-host switches are refused at start) only receives what
/// arrived on the LAN, broadcasts included.
pub fn pin_to_lan(sock: &Socket, family: Family, name: &str, index: u32) -> io::Result<()> {
    set_unicast_if(sock, family, index)
        .map_err(|e| context(e, &format!("pin to LAN interface `{name}` (index {index})")))
}

/// Whether [`pin_to_lan`] also filters what a socket receives by ingress interface: not on
/// Windows (see there).
pub const PIN_FILTERS_INGRESS: bool = false;

fn set_unicast_if(sock: &Socket, family: Family, index: u32) -> io::Result<()> {
    let (level, name) = match family {
        Family::V4 => (IPPROTO_IP, IP_UNICAST_IF),
        Family::V6 => (IPPROTO_IPV6, IPV6_UNICAST_IF),
    };
    let value = unicast_if_value(family, index);
    crate::sockopt::set_u32(sock, level, name, value)
}

/// Turns off `SIO_UDP_CONNRESET` (see the module documentation).
pub(crate) fn disable_udp_connreset(sock: &Socket) -> io::Result<()> {
    let off: u32 = 0;
    let mut returned = 0u32;
    // SAFETY: the input buffer is a BOOL-sized u32 that outlives the call; no output buffer,
    // no overlapped I/O.
    let rc = unsafe {
        WSAIoctl(
            sock.as_raw_socket() as SOCKET,
            SIO_UDP_CONNRESET,
            (&off as *const u32).cast(),
            std::mem::size_of::<u32>() as u32,
            std::ptr::null_mut(),
            0,
            &mut returned,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc == SOCKET_ERROR {
        // SAFETY: reads the calling thread's last Winsock error.
        let code = unsafe { WSAGetLastError() };
        return Err(context(
            io::Error::from_raw_os_error(code),
            "turn off SIO_UDP_CONNRESET",
        ));
    }
    Ok(())
}

/// Adds what was being done to an error, keeping its kind.
fn context(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn loopback() -> Uplink {
        Uplink {
            name: "Loopback".into(),
            index: 1,
            ipv4: Some(Ipv4Addr::LOCALHOST),
            ipv6: None,
        }
    }

    #[test]
    fn unicast_if_byte_order_differs_per_family() {
        assert_eq!(unicast_if_value(Family::V4, 7), 7u32.to_be());
        assert_eq!(unicast_if_value(Family::V6, 7), 7);
    }

    #[test]
    fn udp_connreset_can_be_turned_off() {
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        disable_udp_connreset(&sock).unwrap();
    }

    #[test]
    fn sockets_without_a_source_address_fail_clearly() {
        let err = udp_socket(&loopback(), Family::V6).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(icmp_echo_socket(&loopback(), Family::V4).is_err());
        assert!(
            take_icmp_error(&Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap())
                .unwrap()
                .is_none()
        );
    }
}
