//! UDP and ICMP echo sockets in the Unix socket shell: datagrams out as the engine sends them,
//! datagrams and the kernel's queued ICMP errors in when the socket is ready.

use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use masq_engine::{Family, SocketId};
use masq_platform::sockets as psock;
use socket2::Socket;
use tracing::{debug, trace};

use super::SocketEvent;
use super::echo::{Kind, deliver, echo_ident, echo_request};
use super::reactor::READS_PER_TURN;

/// Queued ICMP errors taken per readiness: the queue is finite, but never trust a loop on
/// OS state.
const ERRORS_PER_TURN: usize = 64;

/// One UDP mapping's or ICMP echo mapping's socket.
pub(super) struct Datagram {
    sock: Socket,
    family: Family,
    kind: Kind,
    /// TTL last set on the socket (set again only when a datagram needs another).
    ttl: Option<u8>,
}

impl Datagram {
    pub(super) fn new(sock: Socket, family: Family, kind: Kind) -> Datagram {
        Datagram {
            sock,
            family,
            kind,
            ttl: None,
        }
    }

    pub(super) fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Sends one datagram with the hidden host's TTL. A full send buffer drops it, as a
    /// router's full queue would.
    pub(super) fn send_to(
        &mut self,
        id: SocketId,
        payload: &[u8],
        dst: SocketAddr,
        ttl: u8,
        out: &mut Vec<SocketEvent>,
    ) {
        self.set_ttl(ttl);
        if let Err(e) = self.sock.send_to(payload, &dst.into()) {
            trace!(error = %e, %dst, "send failed");
            self.drain_errors(id, out);
        }
    }

    /// Sends one echo request.
    pub(super) fn echo(
        &mut self,
        id: SocketId,
        dst: IpAddr,
        seq: u16,
        ttl: u8,
        payload: &[u8],
        out: &mut Vec<SocketEvent>,
    ) {
        let msg = echo_request(self.family, echo_ident(id), seq, payload);
        self.send_to(id, &msg, SocketAddr::new(dst, 0), ttl, out);
    }

    /// Receives what waits; returns true if the turn's budget ran out with more to read.
    pub(super) fn receive(
        &mut self,
        id: SocketId,
        buf: &mut [u8],
        out: &mut Vec<SocketEvent>,
    ) -> bool {
        for _ in 0..READS_PER_TURN {
            match recv_from(&self.sock, buf) {
                Ok((n, from)) => out.extend(deliver(self.kind, id, from, &buf[..n])),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A pending ICMP error surfaced as a failed read: its details are queued.
                Err(_) => self.drain_errors(id, out),
            }
        }
        true
    }

    /// Reports the ICMP errors the kernel queued for this socket.
    pub(super) fn drain_errors(&mut self, id: SocketId, out: &mut Vec<SocketEvent>) {
        for _ in 0..ERRORS_PER_TURN {
            match psock::take_icmp_error(&self.sock) {
                Ok(Some(report)) => out.push(SocketEvent::IcmpError { id, report }),
                Ok(None) | Err(_) => break,
            }
        }
    }

    fn set_ttl(&mut self, ttl: u8) {
        if self.ttl != Some(ttl) {
            match psock::set_ttl(&self.sock, self.family, ttl) {
                Ok(()) => self.ttl = Some(ttl),
                Err(e) => debug!(error = %e, ttl, "cannot set ttl"),
            }
        }
    }
}

fn recv_from(sock: &Socket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    // SAFETY: `recvfrom` writes at most `buf.len()` bytes into `buf` and never reads it;
    // treating initialized bytes as `MaybeUninit` is always sound.
    let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
    let (n, addr) = sock.recv_from(uninit)?;
    let from = addr.as_socket().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, "datagram from a non-IP address")
    })?;
    Ok((n, from))
}
