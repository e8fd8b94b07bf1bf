//! The shared body of OS backends that are not built yet (Windows, macOS, anything else).
//!
//! Every call fails with [`PlatformError::Unsupported`] naming the OS and the missing backend
//! (`crate::imp::OS` / `crate::imp::MISSING`), so the CLI tells the user plainly instead of
//! half-working. The types exist so the runtime compiles unchanged on every OS, but the ones
//! that only a successful `start` or `open` could produce hold an `Infallible` and can never
//! be constructed: code that uses them is statically unreachable here.

use std::convert::Infallible;
use std::io;
use std::path::Path;

use crate::imp::{MISSING, OS};
use crate::sockets::Uplink;
use crate::{CleanupReport, Gateway, GatewaySpec, InterfaceInfo, ObservedInbound, PlatformError};

fn unsupported(what: &'static str) -> PlatformError {
    PlatformError::Unsupported {
        os: OS,
        what,
        missing: MISSING,
    }
}

/// The virtual adapter; cannot exist on this OS yet.
#[derive(Debug)]
pub struct TunDevice {
    never: Infallible,
}

impl TunDevice {
    /// Reads one packet.
    pub fn recv(&self, _buf: &mut [u8]) -> io::Result<usize> {
        match self.never {}
    }

    /// Writes one packet.
    pub fn send(&self, _packet: &[u8]) -> io::Result<usize> {
        match self.never {}
    }

    /// The adapter's interface name.
    pub fn name(&self) -> &str {
        match self.never {}
    }

    /// The adapter's MTU.
    pub fn mtu(&self) -> u16 {
        match self.never {}
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TunDevice {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self.never {}
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TunDevice {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self.never {}
    }
}

/// The steering half of a gateway; cannot exist on this OS yet.
#[derive(Debug)]
pub struct Steering {
    never: Infallible,
}

impl Steering {
    /// Undoes everything.
    pub async fn stop(self) -> Result<(), PlatformError> {
        match self.never {}
    }

    /// Undoes everything and closes the adapter.
    pub(crate) async fn stop_closing(self, _tun: TunDevice) -> Result<(), PlatformError> {
        match self.never {}
    }
}

/// Fails: this OS has no backend to share a connection with.
pub async fn start(_spec: &GatewaySpec) -> Result<Gateway, PlatformError> {
    Err(unsupported("share a connection"))
}

/// Nothing to clean without a journal; a journal here was not written by this OS's masq.
pub async fn cleanup_stale(state_file: &Path) -> Result<CleanupReport, PlatformError> {
    match std::fs::metadata(state_file) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Ok(CleanupReport::nothing(state_file.to_owned()))
        }
        _ => Err(unsupported("clean up a previous run")),
    }
}

/// Fails: interface discovery is part of the missing backend.
pub fn interface_info(_name: &str) -> Result<InterfaceInfo, PlatformError> {
    Err(unsupported("read interface settings"))
}

/// Fails: interface discovery is part of the missing backend.
pub fn list_interfaces() -> Result<Vec<crate::InterfaceSummary>, PlatformError> {
    Err(unsupported("list the interfaces"))
}

/// Fails: route discovery is part of the missing backend.
pub async fn default_uplink() -> Result<Option<String>, PlatformError> {
    Err(unsupported("find the default route"))
}

/// The inbound observer; cannot exist on this OS yet.
#[derive(Debug)]
pub struct InboundObserver {
    never: Infallible,
}

impl InboundObserver {
    /// Fails with an `Unsupported` I/O error.
    pub fn open(_uplink: &Uplink, _hidden: ipnet::Ipv4Net) -> io::Result<InboundObserver> {
        Err(unsupported("watch the uplink for inbound attempts").into_io())
    }

    /// The next inbound attempt.
    pub fn recv(&self) -> io::Result<Option<ObservedInbound>> {
        match self.never {}
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for InboundObserver {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self.never {}
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for InboundObserver {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self.never {}
    }
}

/// Uplink sockets: every constructor fails with an `Unsupported` I/O error.
pub(crate) mod sockets {
    use std::io;
    use std::net::SocketAddr;

    use masq_vocab::{Family, IcmpErrorReport};
    use socket2::Socket;

    use super::unsupported;
    use crate::sockets::Uplink;

    /// Fails: pinning a TCP socket to the uplink is part of the missing backend.
    pub fn tcp_socket(
        _uplink: &Uplink,
        _remote: SocketAddr,
        _ttl: u8,
        _mss: Option<u16>,
    ) -> io::Result<Socket> {
        Err(unsupported("open uplink TCP sockets").into_io())
    }

    /// Nothing to undo: no TCP socket could have been opened.
    pub fn tcp_connected(_sock: &Socket, _family: Family) -> io::Result<()> {
        Ok(())
    }

    /// Fails: pinning a UDP socket to the uplink is part of the missing backend.
    pub fn udp_socket(_uplink: &Uplink, _family: Family) -> io::Result<Socket> {
        Err(unsupported("open uplink UDP sockets").into_io())
    }

    /// Fails: ICMP echo sockets are part of the missing backend.
    pub fn icmp_echo_socket(_uplink: &Uplink, _family: Family) -> io::Result<Socket> {
        Err(unsupported("open ICMP echo sockets").into_io())
    }

    /// Fails: raw ICMP sockets on the uplink are part of the missing backend.
    pub fn icmp_error_socket(_uplink: &Uplink, _source: std::net::IpAddr) -> io::Result<Socket> {
        Err(unsupported("open raw ICMP sockets").into_io())
    }

    /// Fails: socket options of uplink sockets are part of the missing backend.
    pub fn set_dont_fragment(_sock: &Socket, _family: Family, _on: bool) -> io::Result<()> {
        Err(unsupported("set DF on uplink sockets").into_io())
    }

    /// Fails: pinning LAN sockets is part of the missing backend.
    pub fn pin_to_lan(_sock: &Socket, _family: Family, _name: &str, _index: u32) -> io::Result<()> {
        Err(unsupported("pin sockets to the LAN interface").into_io())
    }

    /// Nothing is pinned, so nothing is filtered.
    pub const PIN_FILTERS_INGRESS: bool = false;

    /// Fails: reading ICMP errors of a socket is part of the missing backend.
    pub fn take_icmp_error(_sock: &Socket) -> io::Result<Option<IcmpErrorReport>> {
        Err(unsupported("read ICMP errors of uplink sockets").into_io())
    }
}
