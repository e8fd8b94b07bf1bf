//! TCP in the Unix socket shell: outbound connections (connect, then relay), connections a
//! port forward accepted, and the forwards' listening sockets.
//!
//! Writes wait for the end of the loop turn, so that everything the engine handed over for
//! a socket in one turn (often a dozen segments of one upload) goes out in one `sendmsg`
//! instead of one system call, and one trip through the kernel's TCP, per segment. What the
//! kernel does not take waits here (bounded by the engine, which never has more than its
//! window's worth unconfirmed) and is written when the socket becomes writable. Reads happen
//! only within the engine's credit.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use masq_engine::{Family, SocketId};
use masq_platform::sockets as psock;
use socket2::Socket;
use tracing::{debug, trace};

use super::turn::{READS_PER_TURN, Readiness};
use super::{READ_CHUNK, ShellEvent, SocketEvent};

/// Where a TCP socket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Non-blocking connect under way; writable means it finished, one way or the other.
    Connecting,
    /// Connected: relaying.
    Open,
    /// Failed or reset: waiting for the engine's close or abort.
    Dead,
}

/// One TCP connection.
pub(super) struct TcpConn {
    sock: Socket,
    phase: Phase,
    /// Bytes the engine allows us to read.
    credit: usize,
    readable: bool,
    writable: bool,
    /// The remote finished sending (EOF reported).
    read_closed: bool,
    /// The OS has reported the peer's FIN or an error: read until the kernel says "would
    /// block" or EOF. Until then a read shorter than asked means the socket is empty, and
    /// the next byte to arrive raises a new edge, which saves a system call per small read.
    drain: bool,
    /// Writes the kernel has not taken yet, in order; the first may be partly written.
    pending: VecDeque<Vec<u8>>,
    /// How much of the first pending write went out already.
    written_of_first: usize,
    /// Half-close once `pending` is written.
    shutdown_pending: bool,
    /// Close once `pending` is written.
    close_pending: bool,
}

impl TcpConn {
    /// Starts a non-blocking connect on a socket from `psock::tcp_socket`.
    pub(super) fn connect(sock: Socket, remote: SocketAddr) -> io::Result<TcpConn> {
        match sock.connect(&remote.into()) {
            Ok(()) => {}
            Err(e) if in_progress(&e) => {}
            Err(e) => return Err(e),
        }
        Ok(TcpConn::new(sock, Phase::Connecting))
    }

    /// Takes a connection a listener accepted.
    pub(super) fn accepted(sock: Socket) -> io::Result<TcpConn> {
        sock.set_nonblocking(true)?;
        sock.set_tcp_nodelay(true)?;
        if let Some(local) = sock.local_addr()?.as_socket() {
            // Inherited from the listener: ICMP errors must not end it either.
            psock::tcp_connected(&sock, Family::of(local.ip()))?;
        }
        Ok(TcpConn::new(sock, Phase::Open))
    }

    fn new(sock: Socket, phase: Phase) -> TcpConn {
        TcpConn {
            sock,
            phase,
            credit: 0,
            readable: false,
            writable: phase == Phase::Open,
            read_closed: false,
            drain: false,
            pending: VecDeque::new(),
            written_of_first: 0,
            shutdown_pending: false,
            close_pending: false,
        }
    }

    pub(super) fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// The OS reported readiness. Returns true when the socket is finished and can go
    /// (a deferred close completed).
    pub(super) fn on_ready(
        &mut self,
        id: SocketId,
        ready: Readiness,
        out: &mut Vec<ShellEvent>,
    ) -> bool {
        let Readiness {
            readable,
            writable,
            error,
            read_closed,
        } = ready;
        self.drain |= read_closed || error;
        if self.phase == Phase::Connecting {
            if writable || error {
                self.finish_connect(id, out);
            }
            if self.phase != Phase::Open {
                return false;
            }
        }
        self.readable |= readable;
        if writable {
            self.writable = true;
            return self.flush(id, out);
        }
        false
    }

    fn finish_connect(&mut self, id: SocketId, out: &mut Vec<ShellEvent>) {
        let failure = match self.sock.take_error() {
            Ok(None) => match self.sock.peer_addr() {
                Ok(_) => None,
                // Not connected yet after all (a spurious wake-up).
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) => Some(e),
            },
            Ok(Some(e)) | Err(e) => Some(e),
        };
        if let Some(e) = failure {
            let icmp = psock::take_icmp_error(&self.sock).ok().flatten();
            let error = psock::connect_error(&e);
            debug!(%id, error = %e, ?icmp, "connect failed");
            self.phase = Phase::Dead;
            out.push(ShellEvent::Socket(SocketEvent::TcpConnectFailed {
                id,
                error,
                icmp,
            }));
            return;
        }
        match self.sock.local_addr().ok().and_then(|a| a.as_socket()) {
            Some(local) => {
                if let Err(e) = psock::tcp_connected(&self.sock, Family::of(local.ip())) {
                    debug!(%id, error = %e, "connected socket keeps its ICMP error queue");
                }
                self.phase = Phase::Open;
                self.writable = true;
                out.push(ShellEvent::Socket(SocketEvent::TcpConnected { id, local }));
            }
            None => {
                self.phase = Phase::Dead;
                out.push(ShellEvent::Socket(SocketEvent::TcpConnectFailed {
                    id,
                    error: masq_engine::ConnectError::Other,
                    icmp: None,
                }));
            }
        }
    }

    /// Whether the connect is still under way (its outcome will come as a writable edge).
    pub(super) fn connecting(&self) -> bool {
        self.phase == Phase::Connecting
    }

    pub(super) fn credit(&mut self, bytes: usize) {
        self.credit = self.credit.saturating_add(bytes);
    }

    /// Whether a read could make progress now.
    pub(super) fn wants_read(&self) -> bool {
        self.phase == Phase::Open && self.readable && self.credit > 0 && !self.read_closed
    }

    /// Reads within the credit into `buf` (empty, with room for [`READ_CHUNK`] bytes, shared
    /// by every socket); returns true if the turn's budget ran out with more to read.
    pub(super) fn read(
        &mut self,
        id: SocketId,
        buf: &mut Vec<u8>,
        out: &mut Vec<ShellEvent>,
    ) -> bool {
        for _ in 0..READS_PER_TURN {
            if !self.wants_read() {
                return false;
            }
            buf.clear();
            buf.reserve(READ_CHUNK);
            let want = self.credit.min(READ_CHUNK);
            match self.sock.recv(&mut buf.spare_capacity_mut()[..want]) {
                Ok(0) => {
                    self.read_closed = true;
                    out.push(ShellEvent::Socket(SocketEvent::TcpEof { id }));
                    return false;
                }
                Ok(n) => {
                    // SAFETY: `recv` initialized the first `n` bytes of the spare capacity,
                    // and `n <= want <= capacity`.
                    unsafe { buf.set_len(n) };
                    self.credit -= n;
                    out.push(ShellEvent::Socket(SocketEvent::TcpData {
                        id,
                        data: take_read(buf),
                    }));
                    if n < want && !self.drain {
                        // Empty now (edge-triggered readiness reports the next arrival).
                        self.readable = false;
                        return false;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    return false;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    debug!(%id, error = %e, "read failed");
                    self.fail(id, out);
                    return false;
                }
            }
        }
        self.wants_read()
    }

    /// Queues a write after everything sent before. True when the socket should be flushed
    /// at the end of the turn (it was idle and can be written).
    pub(super) fn send(&mut self, data: Vec<u8>) -> bool {
        if self.phase != Phase::Open || self.shutdown_pending || data.is_empty() {
            return false;
        }
        let was_idle = self.pending.is_empty();
        self.pending.push_back(data);
        was_idle && self.writable
    }

    /// Half-closes once everything before is written.
    pub(super) fn shutdown_write(&mut self) {
        if self.pending.is_empty() {
            if let Err(e) = self.sock.shutdown(Shutdown::Write) {
                trace!(error = %e, "shutdown failed");
            }
        } else {
            self.shutdown_pending = true;
        }
    }

    /// The engine closed the socket: true if it can go now, false if it goes once flushed.
    pub(super) fn close_when_flushed(&mut self) -> bool {
        if self.pending.is_empty() || self.phase != Phase::Open {
            return true;
        }
        self.close_pending = true;
        false
    }

    /// Resets the connection (RST to the remote) as the socket is dropped.
    pub(super) fn abort(self) {
        if let Err(e) = self.sock.set_linger(Some(std::time::Duration::ZERO)) {
            debug!(error = %e, "could not arm RST on abort");
        }
    }

    /// Writes what waits, up to [`IOV_PER_WRITE`] pieces per system call; returns true
    /// when a deferred close is due.
    pub(super) fn flush(&mut self, id: SocketId, out: &mut Vec<ShellEvent>) -> bool {
        let mut written = 0;
        while !self.pending.is_empty() && self.writable {
            let slices: Vec<IoSlice<'_>> = self
                .pending
                .iter()
                .take(IOV_PER_WRITE)
                .enumerate()
                .map(|(i, d)| {
                    IoSlice::new(if i == 0 {
                        &d[self.written_of_first..]
                    } else {
                        d
                    })
                })
                .collect();
            match write_vectored(&self.sock, &mut self.writable, &slices) {
                Ok(0) => break,
                Ok(n) => {
                    written += n;
                    self.consume(n);
                }
                Err(e) => {
                    debug!(%id, error = %e, "write failed");
                    self.fail(id, out);
                    return false;
                }
            }
        }
        if written > 0 {
            out.push(ShellEvent::Socket(SocketEvent::TcpSent {
                id,
                bytes: written,
            }));
        }
        if self.pending.is_empty() {
            if self.shutdown_pending {
                self.shutdown_pending = false;
                if let Err(e) = self.sock.shutdown(Shutdown::Write) {
                    trace!(error = %e, "shutdown failed");
                }
            }
            return self.close_pending;
        }
        false
    }

    /// Drops the first `n` bytes of the pending writes (the kernel took them).
    fn consume(&mut self, mut n: usize) {
        while n > 0 {
            let Some(first) = self.pending.front() else {
                return;
            };
            let left = first.len() - self.written_of_first;
            if n < left {
                self.written_of_first += n;
                return;
            }
            n -= left;
            self.pending.pop_front();
            self.written_of_first = 0;
        }
        if self.pending.is_empty() {
            // An idle connection keeps no queue allocation (most of them wait for hours).
            self.pending = VecDeque::new();
        }
    }

    fn fail(&mut self, id: SocketId, out: &mut Vec<ShellEvent>) {
        if self.phase == Phase::Open {
            self.phase = Phase::Dead;
            self.pending.clear();
            self.written_of_first = 0;
            out.push(ShellEvent::Socket(SocketEvent::TcpReset { id }));
        }
    }
}

/// Pieces one `sendmsg` takes at most: a turn's worth of one flow's segments is a few dozen.
const IOV_PER_WRITE: usize = 64;

/// A port forward's listening socket.
pub(super) struct Listener {
    sock: Socket,
    local: SocketAddr,
}

impl Listener {
    pub(super) fn new(sock: Socket) -> io::Result<Listener> {
        let local = sock
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("listener has no IP address"))?;
        Ok(Listener { sock, local })
    }

    pub(super) fn local(&self) -> SocketAddr {
        self.local
    }

    pub(super) fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Accepts waiting connections; returns true if the turn's budget ran out first.
    pub(super) fn accept(&mut self, id: SocketId, out: &mut Vec<ShellEvent>) -> bool {
        for _ in 0..READS_PER_TURN {
            match self.sock.accept() {
                Ok((stream, peer)) => {
                    let (Some(peer), Some(local)) = (
                        peer.as_socket(),
                        stream.local_addr().ok().and_then(|a| a.as_socket()),
                    ) else {
                        continue;
                    };
                    out.push(ShellEvent::Accepted {
                        listener: id,
                        stream,
                        peer,
                        local,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Out of descriptors or similar: the connection waits in the backlog and
                    // the next readiness (or turn) tries again.
                    debug!(%id, error = %e, "accept failed");
                    return false;
                }
            }
        }
        true
    }
}

/// Reads up to this size are copied out of the shared buffer; larger ones take the buffer
/// itself (one copy less per byte on a download) and leave a new one in its place.
const COPY_AT_MOST: usize = 4096;

/// The bytes just read, as the event's own `Vec`.
fn take_read(buf: &mut Vec<u8>) -> Vec<u8> {
    if buf.len() <= COPY_AT_MOST {
        buf.to_vec()
    } else {
        // No zeroing: the next read writes into its spare capacity.
        std::mem::replace(buf, Vec::with_capacity(READ_CHUNK))
    }
}

/// Writes as much as the kernel takes: `Ok(0)` and `writable` cleared when it takes nothing.
fn write_vectored(sock: &Socket, writable: &mut bool, data: &[IoSlice<'_>]) -> io::Result<usize> {
    loop {
        match sock.send_vectored(data) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                *writable = false;
                return Ok(0);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::fd::AsFd;

    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

    use super::*;

    const ID: SocketId = SocketId(1);
    /// Ready once the peer's FIN has arrived (after its data).
    #[cfg(target_os = "linux")]
    const FIN: PollFlags = PollFlags::from_bits_retain(libc::POLLRDHUP);
    /// Ready once the peer's FIN has arrived (macOS has no separate flag; loopback delivers
    /// data and FIN together).
    #[cfg(not(target_os = "linux"))]
    const FIN: PollFlags = PollFlags::POLLIN;

    /// A relayed connection on loopback, the peer's end, and a second handle on the relayed
    /// socket to wait on (it shares the open file, so waiting does not disturb the relay).
    fn pair() -> (TcpConn, TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        let probe = ours.try_clone().unwrap();
        let mut conn = TcpConn::accepted(Socket::from(ours)).unwrap();
        conn.credit(1 << 20);
        (conn, peer, probe)
    }

    fn wait_for(probe: &TcpStream, flags: PollFlags) {
        let mut fds = [PollFd::new(probe.as_fd(), flags)];
        let n = poll(&mut fds, PollTimeout::from(2000u16)).unwrap();
        assert_eq!(n, 1, "the loopback peer's bytes did not arrive");
    }

    fn readable(read_closed: bool) -> Readiness {
        Readiness {
            readable: true,
            writable: false,
            error: false,
            read_closed,
        }
    }

    #[test]
    fn writes_of_one_turn_go_out_together_and_in_order() {
        let (mut conn, mut peer, _probe) = pair();
        let mut out = Vec::new();
        let pieces: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 1000 + usize::from(i)]).collect();
        let mut flush_needed = false;
        for p in &pieces {
            flush_needed |= conn.send(p.clone());
        }
        assert!(
            flush_needed,
            "an idle, writable socket asks for the end-of-turn flush"
        );
        assert!(out.is_empty(), "nothing is written before the flush");
        assert!(!conn.flush(ID, &mut out));
        let total: usize = pieces.iter().map(Vec::len).sum();
        assert_eq!(out.len(), 1, "one report for the whole turn: {out:?}");
        assert!(
            matches!(out[0], ShellEvent::Socket(SocketEvent::TcpSent { bytes, .. }) if bytes == total)
        );
        let mut got = vec![0u8; total];
        std::io::Read::read_exact(&mut peer, &mut got).unwrap();
        assert_eq!(got, pieces.concat());
    }

    #[test]
    fn a_short_read_waits_for_the_next_edge() {
        let (mut conn, mut peer, probe) = pair();
        peer.write_all(b"hello").unwrap();
        wait_for(&probe, PollFlags::POLLIN);
        let mut out = Vec::new();
        conn.on_ready(ID, readable(false), &mut out);
        let mut buf = Vec::new();
        assert!(!conn.read(ID, &mut buf, &mut out));
        assert!(
            matches!(&out[..], [ShellEvent::Socket(SocketEvent::TcpData { data, .. })] if data == b"hello")
        );
        assert!(
            !conn.wants_read(),
            "the socket is empty until the OS says otherwise"
        );

        peer.write_all(b"again").unwrap();
        wait_for(&probe, PollFlags::POLLIN);
        conn.on_ready(ID, readable(false), &mut out);
        assert!(conn.wants_read());
    }

    #[test]
    fn data_and_fin_in_one_edge_are_read_through_to_eof() {
        let (mut conn, mut peer, probe) = pair();
        peer.write_all(b"bye").unwrap();
        peer.shutdown(Shutdown::Write).unwrap();
        wait_for(&probe, FIN);
        let mut out = Vec::new();
        // The one report of both: no later edge will announce the FIN again.
        conn.on_ready(ID, readable(true), &mut out);
        let mut buf = Vec::new();
        assert!(!conn.read(ID, &mut buf, &mut out));
        assert!(
            matches!(
                &out[..],
                [ShellEvent::Socket(SocketEvent::TcpData { data, .. }), ShellEvent::Socket(SocketEvent::TcpEof { .. })] if data == b"bye"
            ),
            "got {out:?}"
        );
    }

    #[test]
    fn a_large_read_hands_over_its_bytes_intact() {
        let (mut conn, mut peer, probe) = pair();
        let sent: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        peer.write_all(&sent).unwrap();
        peer.shutdown(Shutdown::Write).unwrap();
        wait_for(&probe, FIN);
        let mut out = Vec::new();
        conn.on_ready(ID, readable(true), &mut out);
        let mut buf = Vec::with_capacity(READ_CHUNK);
        assert!(!conn.read(ID, &mut buf, &mut out));
        let mut got = Vec::new();
        for ev in &out {
            if let ShellEvent::Socket(SocketEvent::TcpData { data, .. }) = ev {
                got.extend_from_slice(data);
            }
        }
        assert_eq!(got, sent);
        assert!(matches!(
            out.last(),
            Some(ShellEvent::Socket(SocketEvent::TcpEof { .. }))
        ));
        assert!(
            buf.capacity() >= READ_CHUNK,
            "the shared buffer was replaced, not lost"
        );
    }
}
