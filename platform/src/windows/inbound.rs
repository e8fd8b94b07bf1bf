//! The inbound observer on Windows: a read-only tap of the IPv4 packets arriving on the
//! uplink, to show who tried to reach the gateway or a hidden host from outside.
//!
//! It is a raw IPv4 socket bound to the uplink's address with `SIO_RCVALL` at IP level
//! (`RCVALL_IPLEVEL`: only packets addressed to this host's interface, no promiscuous mode),
//! which needs Administrator rights, as masq has anyway. It never sends; Windows still
//! answers or drops these packets as it would without masq. Reads wait at most
//! [`POLL_INTERVAL`], so the runtime's reader thread notices when to stop.

use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::windows::io::AsRawSocket;
use std::time::Duration;

use ipnet::Ipv4Net;
use socket2::{Domain, Protocol, Socket, Type};
use windows_sys::Win32::Networking::WinSock::{
    RCVALL_IPLEVEL, SIO_RCVALL, SOCKET, SOCKET_ERROR, WSAGetLastError, WSAIoctl,
};

use crate::ObservedInbound;
use crate::sockets::Uplink;

/// Longest a [`InboundObserver::recv`] call waits for a packet.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A tap of inbound TCP SYNs and UDP datagrams to the uplink's IPv4 address or the LAN.
#[derive(Debug)]
pub struct InboundObserver {
    socket: Socket,
    local: Ipv4Addr,
    hidden: Ipv4Net,
}

impl InboundObserver {
    /// Opens the tap on `uplink`; `hidden` is the LAN prefix (attempts addressed to it count).
    pub fn open(uplink: &Uplink, hidden: Ipv4Net) -> io::Result<InboundObserver> {
        let local = uplink.ipv4.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("uplink `{}` has no IPv4 address to watch", uplink.name),
            )
        })?;
        let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(0)))?;
        socket.bind(&SocketAddr::new(IpAddr::V4(local), 0).into())?;
        let mode: u32 = RCVALL_IPLEVEL as u32;
        let mut returned = 0u32;
        // SAFETY: the input buffer is a u32 that outlives the call; no output buffer, no
        // overlapped I/O.
        let rc = unsafe {
            WSAIoctl(
                socket.as_raw_socket() as SOCKET,
                SIO_RCVALL,
                (&mode as *const u32).cast(),
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
            let e = io::Error::from_raw_os_error(code);
            return Err(io::Error::new(
                e.kind(),
                format!("turn on SIO_RCVALL on uplink `{}`: {e}", uplink.name),
            ));
        }
        socket.set_read_timeout(Some(POLL_INTERVAL))?;
        Ok(InboundObserver {
            socket,
            local,
            hidden,
        })
    }

    /// The next inbound attempt, or `None` after [`POLL_INTERVAL`] without one.
    pub fn recv(&self) -> io::Result<Option<ObservedInbound>> {
        let mut buf = [MaybeUninit::<u8>::uninit(); 1600];
        loop {
            let n = match self.socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            // SAFETY: `recv` initialized the first `n` bytes.
            let packet: &[u8] = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), n) };
            let Some(seen) = ObservedInbound::parse_ipv4(packet) else {
                continue;
            };
            let IpAddr::V4(dst) = seen.local.ip() else {
                continue;
            };
            let IpAddr::V4(src) = seen.remote.ip() else {
                continue;
            };
            if src != self.local && (dst == self.local || self.hidden.contains(&dst)) {
                return Ok(Some(seen));
            }
        }
    }
}
