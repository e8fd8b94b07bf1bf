//! The uplink sockets on Windows, one small tokio task each.
//!
//! A task owns one OS socket and talks to the event loop only through channels: commands in
//! (in the order the engine issued them), [`SocketEvent`]s out. A TCP socket has two tasks, a
//! writer that also takes the commands and a reader that reads only as much as the engine
//! granted in credit, so a slow hidden host slows the remote through the kernel's receive
//! window. (Windows sockets cannot be polled through a descriptor, which is what the Unix
//! shell in `reactor.rs` does instead.)

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use masq_engine::{ConnectError, SocketCommand, SocketId};
use masq_platform::sockets::{self as psock, Uplink};
use socket2::Socket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{Instrument, debug, debug_span, trace, warn};

use super::echo::Kind;
use super::icmp_errors::IcmpErrors;
use super::{READ_CHUNK, ShellEvent, SocketEvent};

// Datagram sockets through tokio's UdpSocket, ICMP echo through the IP Helper API.
#[path = "datagram_windows.rs"]
mod datagram_windows;

enum TaskCmd {
    Send(Vec<u8>),
    ShutdownWrite,
    SendTo {
        dst: SocketAddr,
        ttl: u8,
        dont_fragment: bool,
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
    events: mpsc::UnboundedSender<ShellEvent>,
    handles: HashMap<SocketId, Handle>,
    /// Raw sockets for hidden hosts' ICMP errors going out.
    icmp_errors: IcmpErrors,
}

impl Sockets {
    pub(crate) fn new(uplink: Uplink, events: mpsc::UnboundedSender<ShellEvent>) -> Self {
        Sockets {
            uplink,
            events,
            handles: HashMap::new(),
            icmp_errors: IcmpErrors::default(),
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
                local_port,
            } => self.open_tcp(id, remote, ttl, mss, local_port),
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
                dont_fragment,
                payload,
            } => self.send(
                id,
                TaskCmd::SendTo {
                    dst,
                    ttl,
                    dont_fragment,
                    payload,
                },
            ),
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
            SocketCommand::IcmpErrorSend {
                from, to, message, ..
            } => self.icmp_errors.send(&self.uplink, from, to, &message),
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

    /// Keeps a socket whose one task takes commands only (no read credit, no linger).
    fn insert_plain(
        &mut self,
        id: SocketId,
        tx: mpsc::UnboundedSender<TaskCmd>,
        task: JoinHandle<()>,
    ) {
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
                let _ = events.send(ShellEvent::Socket(SocketEvent::TcpReset { id }));
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
                let _ = events.send(ShellEvent::Socket(SocketEvent::ListenFailed {
                    id,
                    reason: e.to_string(),
                }));
                return;
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let span = debug_span!("forward", %id, port);
        let task = tokio::spawn(accept_task(id, listener, rx, events).instrument(span));
        self.insert_plain(id, tx, task);
    }

    fn open_tcp(
        &mut self,
        id: SocketId,
        remote: SocketAddr,
        ttl: u8,
        mss: u16,
        local_port: Option<u16>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (credit_tx, credit_rx) = mpsc::unbounded_channel();
        let events = self.events.clone();
        let sock = match psock::tcp_socket(&self.uplink, remote, ttl, Some(mss)) {
            Ok(s) => psock::bind_mapped_port(s, &self.uplink, remote, local_port),
            Err(e) => {
                warn!(%remote, error = %e, "cannot create an uplink TCP socket");
                let _ = events.send(ShellEvent::Socket(SocketEvent::TcpConnectFailed {
                    id,
                    error: ConnectError::Other,
                    icmp: None,
                }));
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
}

async fn tcp_task(
    id: SocketId,
    sock: Socket,
    probe: Option<Arc<Socket>>,
    remote: SocketAddr,
    rx: mpsc::UnboundedReceiver<TaskCmd>,
    credit_rx: mpsc::UnboundedReceiver<usize>,
    events: mpsc::UnboundedSender<ShellEvent>,
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
            let _ = events.send(ShellEvent::Socket(SocketEvent::TcpConnectFailed {
                id,
                error,
                icmp,
            }));
            return;
        }
    };
    let local = match stream.local_addr() {
        Ok(a) => a,
        Err(_) => {
            let _ = events.send(ShellEvent::Socket(SocketEvent::TcpConnectFailed {
                id,
                error: ConnectError::Other,
                icmp: None,
            }));
            return;
        }
    };
    let _ = events.send(ShellEvent::Socket(SocketEvent::TcpConnected { id, local }));
    relay(id, stream, rx, credit_rx, events).await;
}

/// Splices one connected TCP socket: reads within the engine's credit, writes what the
/// engine sends, until closed.
async fn relay(
    id: SocketId,
    stream: tokio::net::TcpStream,
    mut rx: mpsc::UnboundedReceiver<TaskCmd>,
    mut credit_rx: mpsc::UnboundedReceiver<usize>,
    events: mpsc::UnboundedSender<ShellEvent>,
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
                            let _ = reader_events.send(ShellEvent::Socket(SocketEvent::TcpEof { id }));
                            return;
                        }
                        Ok(n) => {
                            credit -= n;
                            let _ = reader_events.send(ShellEvent::Socket(SocketEvent::TcpData { id, data: buf[..n].to_vec() }));
                        }
                        Err(e) => {
                            debug!(error = %e, "read failed");
                            let _ = reader_events.send(ShellEvent::Socket(SocketEvent::TcpReset { id }));
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
                    let _ = events.send(ShellEvent::Socket(SocketEvent::TcpReset { id }));
                    break;
                }
                let _ = events.send(ShellEvent::Socket(SocketEvent::TcpSent {
                    id,
                    bytes: data.len(),
                }));
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
    events: mpsc::UnboundedSender<ShellEvent>,
) {
    match listener.local_addr() {
        Ok(local) => {
            let _ = events.send(ShellEvent::Socket(SocketEvent::Opened { id, local }));
        }
        Err(e) => {
            let _ = events.send(ShellEvent::Socket(SocketEvent::ListenFailed {
                id,
                reason: e.to_string(),
            }));
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
                    let _ = events.send(ShellEvent::Accepted { listener: id, stream, peer, local });
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
