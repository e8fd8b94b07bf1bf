//! The uplink sockets the engine asks for, one small tokio task each.
//!
//! A task owns one OS socket and talks to the event loop only through channels: commands in
//! (in the order the engine issued them), [`SocketEvent`]s out. Nothing here decides anything
//! about translation; the engine does. A TCP socket has two tasks, a writer that also takes
//! the commands and a reader that reads only as much as the engine granted in credit, so a
//! slow hidden host slows the remote through the kernel's receive window.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

#[cfg(unix)]
use super::watch::watch;
#[cfg(unix)]
use masq_engine::Family;
use masq_engine::{ConnectError, IcmpErrorReport, SocketCommand, SocketId};
use masq_platform::sockets::{self as psock, Uplink};
use socket2::Socket;
#[cfg(unix)]
use tokio::io::Interest;
#[cfg(unix)]
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, debug_span, trace, warn};

// Windows: datagram sockets through tokio's UdpSocket, ICMP echo through the IP Helper API.
#[cfg(windows)]
#[path = "datagram_windows.rs"]
mod datagram_windows;

/// Largest single read from a TCP socket; also bounds one `TcpData` event.
const READ_CHUNK: usize = 64 * 1024;
/// Largest datagram we can receive (IPv4/IPv6 maximum payload).
const DATAGRAM_MAX: usize = 65_535;

/// What a socket task reports to the event loop.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    TcpConnected {
        id: SocketId,
        local: SocketAddr,
    },
    TcpConnectFailed {
        id: SocketId,
        error: ConnectError,
        icmp: Option<IcmpErrorReport>,
    },
    TcpData {
        id: SocketId,
        data: Vec<u8>,
    },
    TcpEof {
        id: SocketId,
    },
    TcpSent {
        id: SocketId,
        bytes: usize,
    },
    TcpReset {
        id: SocketId,
    },
    Opened {
        id: SocketId,
        local: SocketAddr,
    },
    OpenFailed {
        id: SocketId,
    },
    Datagram {
        id: SocketId,
        from: SocketAddr,
        data: Vec<u8>,
    },
    EchoReply {
        id: SocketId,
        from: IpAddr,
        seq: u16,
        data: Vec<u8>,
    },
    IcmpError {
        id: SocketId,
        report: IcmpErrorReport,
    },
    /// A port forward's listener took a connection; the engine names its socket id.
    TcpAccepted {
        listener: SocketId,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
        local: SocketAddr,
    },
    /// A port forward's socket could not be opened; `reason` is shown to the user.
    ListenFailed {
        id: SocketId,
        reason: String,
    },
}

enum TaskCmd {
    Send(Vec<u8>),
    ShutdownWrite,
    SendTo {
        dst: SocketAddr,
        ttl: u8,
        payload: Vec<u8>,
    },
    Echo {
        dst: IpAddr,
        seq: u16,
        ttl: u8,
        payload: Vec<u8>,
    },
    Close,
}

struct Handle {
    tx: mpsc::UnboundedSender<TaskCmd>,
    /// TCP read credit goes straight to the reader, never queued behind a blocked write:
    /// a remote that only reads after it has written must not deadlock us.
    credit: Option<mpsc::UnboundedSender<usize>>,
    /// A duplicate of the socket's descriptor: for SO_LINGER on abort. Dropped with the handle.
    dup: Option<Arc<Socket>>,
    tasks: Vec<JoinHandle<()>>,
}

/// Every socket the engine currently owns, by id.
pub(crate) struct Sockets {
    uplink: Uplink,
    events: mpsc::UnboundedSender<SocketEvent>,
    handles: HashMap<SocketId, Handle>,
}

impl Sockets {
    pub(crate) fn new(uplink: Uplink, events: mpsc::UnboundedSender<SocketEvent>) -> Self {
        Sockets {
            uplink,
            events,
            handles: HashMap::new(),
        }
    }

    /// Carries out one engine command.
    pub(crate) fn dispatch(&mut self, cmd: SocketCommand) {
        match cmd {
            SocketCommand::TcpConnect {
                id,
                remote,
                ttl,
                mss,
            } => self.open_tcp(id, remote, ttl, mss),
            SocketCommand::UdpOpen { id, family } => self.open_datagram(id, family, Kind::Udp),
            SocketCommand::IcmpOpen { id, family } => self.open_datagram(id, family, Kind::Icmp),
            SocketCommand::TcpListen { id, family, port } => self.open_listener(id, family, port),
            SocketCommand::UdpListen { id, family, port } => {
                self.open_udp_listener(id, family, port)
            }
            SocketCommand::TcpSend { id, data } => self.send(id, TaskCmd::Send(data)),
            SocketCommand::TcpReadCredit { id, bytes } => {
                if let Some(credit) = self.handles.get(&id).and_then(|h| h.credit.as_ref()) {
                    let _ = credit.send(bytes);
                }
            }
            SocketCommand::TcpShutdownWrite { id } => self.send(id, TaskCmd::ShutdownWrite),
            SocketCommand::UdpSend {
                id,
                dst,
                ttl,
                payload,
            } => self.send(id, TaskCmd::SendTo { dst, ttl, payload }),
            SocketCommand::IcmpEchoSend {
                id,
                dst,
                seq,
                ttl,
                payload,
            } => self.send(
                id,
                TaskCmd::Echo {
                    dst,
                    seq,
                    ttl,
                    payload,
                },
            ),
            SocketCommand::TcpAbort { id } => {
                if let Some(h) = self.handles.remove(&id) {
                    if let Some(dup) = &h.dup
                        && let Err(e) = dup.set_linger(Some(std::time::Duration::ZERO))
                    {
                        debug!(%id, error = %e, "could not arm RST on abort");
                    }
                    h.tasks.iter().for_each(JoinHandle::abort);
                }
            }
            SocketCommand::Close { id } => {
                if let Some(h) = self.handles.remove(&id) {
                    // Graceful: the writer finishes queued data, then everything is dropped.
                    let _ = h.tx.send(TaskCmd::Close);
                }
            }
        }
    }

    /// Pins sockets opened from now on to `uplink` (roaming); open ones stay where they are.
    pub(crate) fn set_uplink(&mut self, uplink: Uplink) {
        self.uplink = uplink;
    }

    /// Closes every socket at once (shutdown).
    pub(crate) fn close_all(&mut self) {
        for (_, h) in self.handles.drain() {
            h.tasks.iter().for_each(JoinHandle::abort);
        }
    }

    fn send(&mut self, id: SocketId, cmd: TaskCmd) {
        if let Some(h) = self.handles.get(&id)
            && h.tx.send(cmd).is_err()
        {
            trace!(%id, "socket task already ended");
        }
    }

    /// Takes over a connection a forward's listener accepted, under the engine's id for it:
    /// from here on it is relayed like any connected uplink socket.
    pub(crate) fn adopt_tcp(
        &mut self,
        id: SocketId,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (credit_tx, credit_rx) = mpsc::unbounded_channel();
        let events = self.events.clone();
        let (stream, dup) = match with_dup(stream) {
            Ok(pair) => pair,
            Err(e) => {
                debug!(%peer, error = %e, "cannot take over an accepted connection");
                let _ = events.send(SocketEvent::TcpReset { id });
                return;
            }
        };
        let span = debug_span!("tcp", %id, remote = %peer, forwarded = true);
        let task = tokio::spawn(relay(id, stream, rx, credit_rx, events).instrument(span));
        self.handles.insert(
            id,
            Handle {
                tx,
                credit: Some(credit_tx),
                dup: Some(dup),
                tasks: vec![task],
            },
        );
    }

    fn open_listener(&mut self, id: SocketId, family: masq_engine::Family, port: u16) {
        let events = self.events.clone();
        let listener = psock::tcp_listener(&self.uplink, family, port).and_then(|sock| {
            let std: std::net::TcpListener = sock.into();
            tokio::net::TcpListener::from_std(std)
        });
        let listener = match listener {
            Ok(l) => l,
            Err(e) => {
                warn!(port, error = %e, "port forward cannot listen");
                let _ = events.send(SocketEvent::ListenFailed {
                    id,
                    reason: e.to_string(),
                });
                return;
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let span = debug_span!("forward", %id, port);
        let task = tokio::spawn(accept_task(id, listener, rx, events).instrument(span));
        self.handles.insert(
            id,
            Handle {
                tx,
                credit: None,
                dup: None,
                tasks: vec![task],
            },
        );
    }

    fn open_tcp(&mut self, id: SocketId, remote: SocketAddr, ttl: u8, mss: u16) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (credit_tx, credit_rx) = mpsc::unbounded_channel();
        let events = self.events.clone();
        let sock = match psock::tcp_socket(&self.uplink, remote, ttl, Some(mss)) {
            Ok(s) => s,
            Err(e) => {
                warn!(%remote, error = %e, "cannot create an uplink TCP socket");
                let _ = events.send(SocketEvent::TcpConnectFailed {
                    id,
                    error: ConnectError::Other,
                    icmp: None,
                });
                return;
            }
        };
        let dup = sock.try_clone().ok().map(Arc::new);
        let probe = dup.clone();
        let span = debug_span!("tcp", %id, %remote);
        let task =
            tokio::spawn(tcp_task(id, sock, probe, remote, rx, credit_rx, events).instrument(span));
        self.handles.insert(
            id,
            Handle {
                tx,
                credit: Some(credit_tx),
                dup,
                tasks: vec![task],
            },
        );
    }

    #[cfg(unix)]
    fn open_datagram(&mut self, id: SocketId, family: Family, kind: Kind) {
        let events = &self.events;
        let made = match kind {
            Kind::Udp => psock::udp_socket(&self.uplink, family),
            Kind::Icmp => psock::icmp_echo_socket(&self.uplink, family),
        };
        match made {
            Ok(sock) => self.spawn_datagram(id, sock, family, kind),
            Err(e) => {
                warn!(?family, error = %e, "cannot open an uplink {} socket", kind.name());
                let _ = events.send(SocketEvent::OpenFailed { id });
            }
        }
    }

    #[cfg(unix)]
    fn open_udp_listener(&mut self, id: SocketId, family: Family, port: u16) {
        match psock::udp_listener(&self.uplink, family, port) {
            Ok(sock) => self.spawn_datagram(id, sock, family, Kind::Udp),
            Err(e) => {
                warn!(port, error = %e, "UDP port forward cannot bind");
                let _ = self.events.send(SocketEvent::ListenFailed {
                    id,
                    reason: e.to_string(),
                });
            }
        }
    }

    #[cfg(unix)]
    fn spawn_datagram(&mut self, id: SocketId, sock: Socket, family: Family, kind: Kind) {
        let (tx, rx) = mpsc::unbounded_channel();
        let events = self.events.clone();
        let span = debug_span!("dgram", %id, kind = kind.name());
        let task = tokio::spawn(datagram_task(id, sock, family, kind, rx, events).instrument(span));
        self.handles.insert(
            id,
            Handle {
                tx,
                credit: None,
                dup: None,
                tasks: vec![task],
            },
        );
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Udp,
    Icmp,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Udp => "udp",
            Kind::Icmp => "icmp",
        }
    }
}

async fn tcp_task(
    id: SocketId,
    sock: Socket,
    probe: Option<Arc<Socket>>,
    remote: SocketAddr,
    rx: mpsc::UnboundedReceiver<TaskCmd>,
    credit_rx: mpsc::UnboundedReceiver<usize>,
    events: mpsc::UnboundedSender<SocketEvent>,
) {
    let std_stream: std::net::TcpStream = sock.into();
    let socket = tokio::net::TcpSocket::from_std_stream(std_stream);
    let stream = match socket.connect(remote).await {
        Ok(s) => s,
        Err(e) => {
            let icmp = probe
                .as_deref()
                .and_then(|p| psock::take_icmp_error(p).ok().flatten());
            let error = psock::connect_error(&e);
            debug!(error = %e, ?icmp, "connect failed");
            let _ = events.send(SocketEvent::TcpConnectFailed { id, error, icmp });
            return;
        }
    };
    let local = match stream.local_addr() {
        Ok(a) => a,
        Err(_) => {
            let _ = events.send(SocketEvent::TcpConnectFailed {
                id,
                error: ConnectError::Other,
                icmp: None,
            });
            return;
        }
    };
    let _ = events.send(SocketEvent::TcpConnected { id, local });
    relay(id, stream, rx, credit_rx, events).await;
}

/// Splices one connected TCP socket: reads within the engine's credit, writes what the
/// engine sends, until closed.
async fn relay(
    id: SocketId,
    stream: tokio::net::TcpStream,
    mut rx: mpsc::UnboundedReceiver<TaskCmd>,
    mut credit_rx: mpsc::UnboundedReceiver<usize>,
    events: mpsc::UnboundedSender<SocketEvent>,
) {
    let (mut rd, mut wr) = stream.into_split();
    let reader_events = events.clone();
    let reader = tokio::spawn(
        async move {
            let mut buf = vec![0u8; READ_CHUNK];
            let mut credit = 0usize;
            loop {
                if credit == 0 {
                    match credit_rx.recv().await {
                        Some(n) => credit += n,
                        None => return,
                    }
                    continue;
                }
                let want = credit.min(buf.len());
                tokio::select! {
                    more = credit_rx.recv() => match more {
                        Some(n) => credit += n,
                        None => return,
                    },
                    r = rd.read(&mut buf[..want]) => match r {
                        Ok(0) => {
                            let _ = reader_events.send(SocketEvent::TcpEof { id });
                            return;
                        }
                        Ok(n) => {
                            credit -= n;
                            let _ = reader_events.send(SocketEvent::TcpData { id, data: buf[..n].to_vec() });
                        }
                        Err(e) => {
                            debug!(error = %e, "read failed");
                            let _ = reader_events.send(SocketEvent::TcpReset { id });
                            return;
                        }
                    },
                }
            }
        }
        .in_current_span(),
    );
    let abort_reader = reader.abort_handle();
    while let Some(cmd) = rx.recv().await {
        match cmd {
            TaskCmd::Send(data) => {
                if let Err(e) = wr.write_all(&data).await {
                    debug!(error = %e, "write failed");
                    let _ = events.send(SocketEvent::TcpReset { id });
                    break;
                }
                let _ = events.send(SocketEvent::TcpSent {
                    id,
                    bytes: data.len(),
                });
            }
            TaskCmd::ShutdownWrite => {
                if let Err(e) = wr.shutdown().await {
                    debug!(error = %e, "shutdown failed");
                }
            }
            TaskCmd::Close => break,
            TaskCmd::SendTo { .. } | TaskCmd::Echo { .. } => {}
        }
    }
    abort_reader.abort();
}

/// Accepts a port forward's connections and hands them to the event loop, until closed.
async fn accept_task(
    id: SocketId,
    listener: tokio::net::TcpListener,
    mut rx: mpsc::UnboundedReceiver<TaskCmd>,
    events: mpsc::UnboundedSender<SocketEvent>,
) {
    match listener.local_addr() {
        Ok(local) => {
            let _ = events.send(SocketEvent::Opened { id, local });
        }
        Err(e) => {
            let _ = events.send(SocketEvent::ListenFailed {
                id,
                reason: e.to_string(),
            });
            return;
        }
    }
    loop {
        tokio::select! {
            cmd = rx.recv() => if matches!(cmd, None | Some(TaskCmd::Close)) {
                return;
            },
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let Ok(local) = stream.local_addr() else { continue };
                    let _ = events.send(SocketEvent::TcpAccepted { listener: id, stream, peer, local });
                }
                Err(e) => {
                    // Out of descriptors or similar: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// The stream plus a duplicate of its descriptor (for SO_LINGER on abort).
fn with_dup(stream: tokio::net::TcpStream) -> io::Result<(tokio::net::TcpStream, Arc<Socket>)> {
    let std = stream.into_std()?;
    let sock = Socket::from(std);
    sock.set_tcp_nodelay(true)?;
    let dup = Arc::new(sock.try_clone()?);
    let std: std::net::TcpStream = sock.into();
    Ok((tokio::net::TcpStream::from_std(std)?, dup))
}

#[cfg(unix)]
async fn datagram_task(
    id: SocketId,
    sock: Socket,
    family: Family,
    kind: Kind,
    mut rx: mpsc::UnboundedReceiver<TaskCmd>,
    events: mpsc::UnboundedSender<SocketEvent>,
) {
    let local = match sock.local_addr().ok().and_then(|a| a.as_socket()) {
        Some(a) => a,
        None => {
            let _ = events.send(SocketEvent::OpenFailed { id });
            return;
        }
    };
    let fd = match watch(sock, Interest::READABLE | Interest::ERROR) {
        Ok(fd) => fd,
        Err(e) => {
            debug!(error = %e, "cannot register socket");
            let _ = events.send(SocketEvent::OpenFailed { id });
            return;
        }
    };
    let _ = events.send(SocketEvent::Opened { id, local });
    let mut ttl: Option<u8> = None;
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                None | Some(TaskCmd::Close) => return,
                Some(TaskCmd::SendTo { dst, ttl: t, payload }) => {
                    set_ttl_if_changed(fd.get_ref(), family, &mut ttl, t);
                    send_to(&fd, &payload, dst, id, &events);
                }
                Some(TaskCmd::Echo { dst, seq, ttl: t, payload }) => {
                    set_ttl_if_changed(fd.get_ref(), family, &mut ttl, t);
                    let msg = echo_request(family, echo_ident(id), seq, &payload);
                    send_to(&fd, &msg, SocketAddr::new(dst, 0), id, &events);
                }
                Some(_) => {}
            },
            ready = fd.ready(Interest::READABLE | Interest::ERROR) => {
                let mut guard = match ready {
                    Ok(g) => g,
                    Err(e) => {
                        warn!(error = %e, "socket poll failed");
                        return;
                    }
                };
                drain_errors(fd.get_ref(), id, &events);
                loop {
                    match recv_from(fd.get_ref(), &mut buf) {
                        Ok((n, from)) => deliver(kind, id, from, &buf[..n], &events),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            guard.clear_ready();
                            break;
                        }
                        Err(_) => {
                            // A pending ICMP error surfaced as a failed read: its details are
                            // in the error queue.
                            drain_errors(fd.get_ref(), id, &events);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(unix)]
fn set_ttl_if_changed(sock: &Socket, family: Family, current: &mut Option<u8>, ttl: u8) {
    if *current != Some(ttl) {
        match psock::set_ttl(sock, family, ttl) {
            Ok(()) => *current = Some(ttl),
            Err(e) => debug!(error = %e, ttl, "cannot set ttl"),
        }
    }
}

#[cfg(unix)]
fn send_to(
    fd: &AsyncFd<Socket>,
    payload: &[u8],
    dst: SocketAddr,
    id: SocketId,
    events: &mpsc::UnboundedSender<SocketEvent>,
) {
    // Datagram sockets rarely block; if the send buffer is full the datagram is dropped, as
    // a router's full queue would drop it.
    if let Err(e) = fd.get_ref().send_to(payload, &dst.into()) {
        trace!(error = %e, %dst, "send failed");
        drain_errors(fd.get_ref(), id, events);
    }
}

#[cfg(unix)]
fn drain_errors(sock: &Socket, id: SocketId, events: &mpsc::UnboundedSender<SocketEvent>) {
    // Bounded: the queue is finite, but never trust a loop on OS state.
    for _ in 0..64 {
        match psock::take_icmp_error(sock) {
            Ok(Some(report)) => {
                let _ = events.send(SocketEvent::IcmpError { id, report });
            }
            Ok(None) | Err(_) => break,
        }
    }
}

#[cfg(unix)]
fn recv_from(sock: &Socket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    // SAFETY: `recvfrom` writes at most `buf.len()` bytes into `buf` and never reads it;
    // treating initialized bytes as `MaybeUninit` is always sound.
    let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) };
    let (n, addr) = sock.recv_from(uninit)?;
    let from = addr.as_socket().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, "datagram from a non-IP address")
    })?;
    Ok((n, from))
}

fn deliver(
    kind: Kind,
    id: SocketId,
    from: SocketAddr,
    data: &[u8],
    events: &mpsc::UnboundedSender<SocketEvent>,
) {
    match kind {
        Kind::Udp => {
            let _ = events.send(SocketEvent::Datagram {
                id,
                from,
                data: data.to_vec(),
            });
        }
        Kind::Icmp => {
            // A ping socket hands us the ICMP message: type, code, checksum, ident, seq, data.
            // macOS puts the IPv4 header in front of it (Linux never does: its ICMP message
            // can never start with a version-4 nibble, as no ICMP type is 0x40-0x4f).
            let data = match data.first() {
                Some(b) if b >> 4 == 4 => data.get(usize::from(b & 0x0f) * 4..).unwrap_or(&[]),
                _ => data,
            };
            // Linux filters replies by the socket's identifier itself; macOS delivers every
            // echo reply to every ICMP socket, so keep only ours.
            if cfg!(target_os = "macos")
                && data.get(4..6) != Some(&echo_ident(id).to_be_bytes()[..])
            {
                return;
            }
            let is_reply = matches!(data.first(), Some(0) | Some(129));
            if is_reply && data.len() >= 8 {
                let seq = u16::from_be_bytes([data[6], data[7]]);
                let _ = events.send(SocketEvent::EchoReply {
                    id,
                    from: from.ip(),
                    seq,
                    data: data[8..].to_vec(),
                });
            }
        }
    }
}

/// The echo identifier a socket uses where the OS does not assign one (macOS); Linux
/// replaces it with the socket's own. Not gated: the reply filter names it on every OS.
fn echo_ident(id: SocketId) -> u16 {
    (id.0 % 0xffff) as u16 + 1
}

/// An echo request as a ping socket takes it. Linux fills in identifier and checksum; macOS
/// does neither for ICMPv4, so both are set here (ICMPv6 checksums are always the kernel's).
#[cfg(unix)]
fn echo_request(family: Family, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let ty = match family {
        Family::V4 => 8,
        Family::V6 => 128,
    };
    let mut msg = Vec::with_capacity(8 + payload.len());
    msg.extend_from_slice(&[ty, 0, 0, 0]);
    msg.extend_from_slice(&ident.to_be_bytes());
    msg.extend_from_slice(&seq.to_be_bytes());
    msg.extend_from_slice(payload);
    if family == Family::V4 {
        let c = internet_checksum(&msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
    }
    msg
}

/// RFC 1071 checksum of one ICMP message.
#[cfg(unix)]
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut acc: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
        .sum();
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn echo_request_layout() {
        let m = echo_request(Family::V4, 7, 0x1234, b"hi");
        assert_eq!(&m[..2], &[8, 0]);
        assert_eq!(&m[4..], &[0, 7, 0x12, 0x34, b'h', b'i']);
        // A correct checksum makes the whole message sum to zero.
        assert_eq!(internet_checksum(&m), 0);
        let v6 = echo_request(Family::V6, 1, 1, b"");
        assert_eq!((v6[0], v6[2], v6[3]), (128, 0, 0));
    }
}
