//! macOS uplink sockets: pinned with `IP_BOUND_IF` / `IPV6_BOUND_IF`, ICMP echo through
//! `SOCK_DGRAM` ICMP sockets, TTL per datagram via the shared `set_ttl`.
//!
//! Pinning by interface index (not only binding the address) keeps masq's own traffic on
//! the uplink whatever routes a VPN adds; pf's route-to rule only matches packets arriving on
//! the LAN, so these sockets can never be steered back into the utun.
//!
//! ICMP datagram sockets on macOS differ from Linux ping sockets: received ICMPv4 messages
//! come with their IPv4 header in front, and the kernel neither rewrites the echo identifier
//! nor filters replies by it. The runtime's echo relay was written for Linux's behaviour; see
//! docs/platform-macos.md ("ICMP echo") for what that means until it learns the difference.

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU32;

use masq_vocab::{Family, IcmpErrorReport};
use socket2::{Domain, Protocol, Socket, Type};

use crate::sockets::{Uplink, icmp_protocol, set_ttl};

/// Unsent bytes a TCP socket may hold before it stops reporting writability (as on Linux:
/// data waits in the engine's bounded buffer, which shrinks the LAN host's window).
const NOTSENT_LOWAT_BYTES: libc::c_int = 128 * 1024;

/// `TCP_NOTSENT_LOWAT` from Darwin's `<netinet/tcp.h>` (not in the `libc` crate or socket2
/// for Apple targets).
const TCP_NOTSENT_LOWAT: libc::c_int = 0x201;

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
    // Shared with the hidden endpoint's next connections (`bind_tcp_port`); the BSDs want it
    // on every socket that binds the port.
    sock.set_reuse_address(true)
        .map_err(|e| context(e, "set SO_REUSEADDR"))?;
    set_ttl(&sock, family, ttl).map_err(|e| context(e, "set the TTL"))?;
    sock.set_tcp_nodelay(true)
        .map_err(|e| context(e, "disable Nagle"))?;
    if let Some(mss) = mss {
        sock.set_tcp_mss(u32::from(mss))
            .map_err(|e| context(e, "set TCP_MAXSEG"))?;
    }
    set_notsent_lowat(&sock).map_err(|e| context(e, "set TCP_NOTSENT_LOWAT"))?;
    Ok(sock)
}

/// A UDP socket bound to the uplink's address on an ephemeral port, non-blocking and pinned.
pub fn udp_socket(uplink: &Uplink, family: Family) -> io::Result<Socket> {
    let source = uplink.source(family)?;
    let sock = new_socket(family, Type::DGRAM, Protocol::UDP)?;
    pin_to_uplink(&sock, uplink, family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, "bind to the uplink address"))?;
    Ok(sock)
}

/// An unprivileged ICMP echo socket (`SOCK_DGRAM` + ICMP/ICMPv6) bound to the uplink address
/// and pinned to it.
pub fn icmp_echo_socket(uplink: &Uplink, family: Family) -> io::Result<Socket> {
    let source = uplink.source(family)?;
    let protocol = icmp_protocol(family);
    let sock = new_socket(family, Type::DGRAM, protocol)
        .map_err(|e| context(e, "open an ICMP datagram socket"))?;
    pin_to_uplink(&sock, uplink, family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, "bind to the uplink address"))?;
    Ok(sock)
}

/// A raw ICMP (ICMPv6) socket that sends the errors hidden hosts send about datagrams from the
/// internet (RFC 5508 REQ-5), from `source` (the uplink address of the mapping the error is
/// about), pinned to the uplink. It only sends; what it would receive (a copy of the ICMP the
/// uplink gets) is kept to a one-byte receive buffer. Needs root.
pub fn icmp_error_socket(uplink: &Uplink, source: std::net::IpAddr) -> io::Result<Socket> {
    let family = Family::of(source);
    let protocol = icmp_protocol(family);
    let sock = new_socket(family, Type::RAW, protocol)
        .map_err(|e| context(e, "open a raw ICMP socket (masq needs root)"))?;
    pin_to_uplink(&sock, uplink, family)?;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(|e| context(e, &format!("bind to the uplink address {source}")))?;
    if let Err(e) = sock.set_recv_buffer_size(1) {
        tracing::debug!(error = %e, "a raw ICMP socket keeps its receive buffer");
    }
    Ok(sock)
}

/// Always `Ok(None)`: macOS has no per-socket ICMP error queue.
///
/// Linux's `IP_RECVERR` hands a socket every ICMP error about its traffic, with the reporting
/// router's address, type, code and the offending datagram. macOS has no such option, so for
/// traffic relayed through masq:
/// - **UDP**: Time Exceeded from routers on the path is not delivered to the socket at all,
///   so a hidden host's UDP traceroute (the default of `traceroute`) shows `*` for every hop
///   beyond the gateway until the destination itself answers. Port Unreachable from the
///   destination surfaces only as a later `ECONNREFUSED` on a *connected* socket, without the
///   sender's address; masq's UDP sockets are unconnected, so it is not seen either, and the
///   destination hop shows `*` too. Fragmentation Needed is lost, so UDP path-MTU discovery
///   through masq relies on the hidden host's own fallbacks.
/// - **TCP**: the kernel consumes ICMP errors for the connection itself (a refused or
///   unreachable connect fails with its errno, mapped by `connect_error`), but the router
///   address and the ICMP type are not exposed, so the engine reports a generic failure and
///   a TCP traceroute (`traceroute -T`) through masq stops at the gateway.
/// - **ICMP echo**: Time Exceeded for echo requests is delivered to a datagram ICMP socket
///   as an ordinary ICMP message with the original headers, but not through this call; the
///   runtime's echo relay does not read it, so ICMP traceroute (`traceroute -I`) loses the
///   intermediate hops as well.
///
/// What keeps working: the gateway itself answers as the first hop (the engine generates
/// that Time Exceeded), and every conversation that does not rely on ICMP errors.
pub fn take_icmp_error(_sock: &Socket) -> io::Result<Option<IcmpErrorReport>> {
    Ok(None)
}

/// Nothing to do: BSD's TCP already ignores host and network unreachables for established
/// connections (`tcp_notify`), which is what RFC 5382 REQ-10 asks.
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
    sock.set_cloexec(true)
        .map_err(|e| context(e, "set close-on-exec"))?;
    sock.set_nosigpipe(true)
        .map_err(|e| context(e, "set SO_NOSIGPIPE"))?;
    if family == Family::V6 {
        sock.set_only_v6(true)
            .map_err(|e| context(e, "set IPV6_V6ONLY"))?;
    }
    Ok(sock)
}

fn set_notsent_lowat(sock: &Socket) -> io::Result<()> {
    crate::sockopt::set_int(
        sock,
        libc::IPPROTO_TCP,
        TCP_NOTSENT_LOWAT,
        NOTSENT_LOWAT_BYTES,
    )
}

/// Sends later datagrams with DF set (`IP_DONTFRAG` / `IPV6_DONTFRAG`), or lets the stack
/// fragment them. macOS has no error queue: a datagram too big for the path fails its send
/// and is dropped, without a "too big" for the host (`docs/conformance.md`, REQ-13).
pub fn set_dont_fragment(sock: &Socket, family: Family, on: bool) -> io::Result<()> {
    let (level, name) = match family {
        Family::V4 => (libc::IPPROTO_IP, libc::IP_DONTFRAG),
        Family::V6 => (libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG),
    };
    let value = libc::c_int::from(on);
    crate::sockopt::set_int(sock, level, name, value)
}

/// Pins a LAN service's socket to the LAN interface by index (`IP_BOUND_IF` /
/// `IPV6_BOUND_IF`): it then receives only what arrived on that interface, and sends out of it.
pub fn pin_to_lan(sock: &Socket, family: Family, name: &str, index: u32) -> io::Result<()> {
    let index = NonZeroU32::new(index).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("LAN interface `{name}` has no interface index"),
        )
    })?;
    let pinned = match family {
        Family::V4 => sock.bind_device_by_index_v4(Some(index)),
        Family::V6 => sock.bind_device_by_index_v6(Some(index)),
    };
    pinned.map_err(|e| context(e, &format!("pin to LAN interface `{name}` (IP_BOUND_IF)")))
}

/// Whether [`pin_to_lan`] also filters what a socket receives by ingress interface (so a
/// service may bind the wildcard address to hear broadcasts from hosts without an address).
pub const PIN_FILTERS_INGRESS: bool = true;

/// Pins the socket to the uplink by interface index.
fn pin_to_uplink(sock: &Socket, uplink: &Uplink, family: Family) -> io::Result<()> {
    let index = NonZeroU32::new(uplink.index).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("uplink `{}` has no interface index", uplink.name),
        )
    })?;
    let pinned = match family {
        Family::V4 => sock.bind_device_by_index_v4(Some(index)),
        Family::V6 => sock.bind_device_by_index_v6(Some(index)),
    };
    pinned.map_err(|e| context(e, &format!("pin to uplink `{}` (IP_BOUND_IF)", uplink.name)))
}

/// Adds what was being done to an error, keeping its kind (which `connect_error` and the
/// runtime match on).
fn context(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
