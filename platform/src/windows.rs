//! The Windows backend — not built yet; every call says so (see `unsupported.rs`).
//!
//! What it will be (see /work/shared/notes/platform-steering.md): a Wintun adapter, per-
//! interface forwarding via SetIpInterfaceEntry, 0/1 + 128/1 routes on the adapter, sockets
//! pinned with IP_UNICAST_IF, and a journal of every setting changed on other interfaces.

use std::io;

pub(crate) const OS: &str = "Windows";
pub(crate) const MISSING: &str = "its Wintun backend is not built";

pub(crate) use crate::unsupported::sockets;
pub use crate::unsupported::{
    Gateway, InboundObserver, Steering, TunDevice, cleanup_stale, default_uplink, interface_info,
    start,
};

/// Turns off `SIO_UDP_CONNRESET` on an uplink UDP socket.
///
/// Without it, an ICMP port unreachable for one datagram makes the *next* `recvfrom` fail with
/// WSAECONNRESET, which would kill a UDP mapping that serves many remotes. The Windows
/// `udp_socket` must call this on every socket it creates (WSAIoctl with
/// SIO_UDP_CONNRESET = 0x9800000C and a FALSE input BOOL) once the backend exists.
#[expect(
    dead_code,
    reason = "seam for the Windows udp_socket, which is not built yet"
)]
pub(crate) fn disable_udp_connreset(_sock: &socket2::Socket) -> io::Result<()> {
    Err(crate::PlatformError::Unsupported {
        os: OS,
        what: "configure UDP sockets",
        missing: MISSING,
    }
    .into_io())
}
