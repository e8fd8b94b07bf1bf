//! The inbound observer: a read-only tap on the uplink that sees who tries to reach the
//! gateway from outside (TCP SYNs and UDP datagrams to the uplink address), so refused
//! attempts can be shown to the user.
//!
//! It is an `AF_PACKET`/`SOCK_DGRAM` socket bound to the uplink for `ETH_P_IP`, with
//! `PACKET_IGNORE_OUTGOING` (our own packets are not inbound attempts) and the classic BPF
//! filter of [`super::bpf`]. It never sends and never interferes: the kernel still answers
//! (or drops) these packets as it would without masq. The socket is created with protocol 0,
//! which receives nothing, and only bound to `ETH_P_IP` after the filter is attached, so no
//! unfiltered packet is ever queued.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use ipnet::Ipv4Net;
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::bpf::{SNAPLEN, inbound_filter};
use crate::ObservedInbound;
use crate::sockets::Uplink;

/// A non-blocking tap of inbound TCP SYNs and UDP datagrams to the uplink's IPv4 address.
#[derive(Debug)]
pub struct InboundObserver {
    socket: Socket,
    local: Ipv4Addr,
    hidden: Ipv4Net,
}

impl InboundObserver {
    /// Opens the tap on `uplink` (needs CAP_NET_RAW and an IPv4 address on the uplink).
    ///
    /// Attempts addressed to the hidden LAN `hidden` itself are reported too: the gateway
    /// never routes them inward, and users should see that someone tried.
    pub fn open(uplink: &Uplink, hidden: Ipv4Net) -> io::Result<InboundObserver> {
        let local = uplink.ipv4.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("uplink `{}` has no IPv4 address to watch", uplink.name),
            )
        })?;
        let context = |what: &str, e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("inbound observer on `{}`: {what}: {e}", uplink.name),
            )
        };
        let socket = Socket::new(
            Domain::PACKET,
            Type::DGRAM.nonblocking().cloexec(),
            Some(Protocol::from(0)),
        )
        .map_err(|e| context("open a packet socket (masq needs CAP_NET_RAW)", e))?;
        let program: Vec<SockFilter> = inbound_filter(local, hidden)
            .iter()
            .map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k))
            .collect();
        socket
            .attach_filter(&program)
            .map_err(|e| context("attach the BPF filter", e))?;
        crate::sockopt::set_int(&socket, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, 1)
            .map_err(|e| context("ignore outgoing packets", e))?;
        bind_ipv4_on(&socket, uplink.index).map_err(|e| context("bind to the interface", e))?;
        Ok(InboundObserver {
            socket,
            local,
            hidden,
        })
    }

    /// The next inbound attempt, or `None` when nothing more is queued (wait for readability).
    pub fn recv(&self) -> io::Result<Option<ObservedInbound>> {
        let mut buf = [0u8; SNAPLEN as usize];
        loop {
            let len = match (&self.socket).read(&mut buf) {
                Ok(len) => len,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let Some(seen) = ObservedInbound::parse_ipv4(&buf[..len]) else {
                continue;
            };
            let to_hidden = matches!(seen.local.ip(), IpAddr::V4(a) if self.hidden.contains(&a));
            if seen.local.ip() == IpAddr::V4(self.local) || to_hidden {
                return Ok(Some(seen));
            }
        }
    }
}

impl AsRawFd for InboundObserver {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

impl AsFd for InboundObserver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// Binds a packet socket to interface `index` for IPv4 frames only.
fn bind_ipv4_on(socket: &Socket, index: u32) -> io::Result<()> {
    let ifindex = libc::c_int::try_from(index).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface index {index} out of range"),
        )
    })?;
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid value that the fields below complete.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as libc::c_ushort;
    addr.sll_protocol = (libc::ETH_P_IP as u16).to_be();
    addr.sll_ifindex = ifindex;
    // SAFETY: `addr` is a valid sockaddr_ll and its exact size is passed.
    let rc = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            (&addr as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
