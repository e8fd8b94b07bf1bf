//! The uplink sockets on Unix, owned by the event loop itself.
//!
//! Every socket sits in one `mio::Poll`, whose descriptor the loop awaits through tokio; when
//! it is ready the loop reads and writes inline, and commands from the engine are carried out
//! at once (a `TcpSend` is written before `dispatch` returns). A byte between the adapter and
//! a socket therefore crosses no channel and wakes no other task, and sockets share one read
//! buffer instead of holding one each — the per-socket tasks this replaces cost two task
//! wake-ups per request and answer, and 64 KiB of buffer per idle flow.
//!
//! Readiness is edge-triggered: a socket is marked readable or writable when the OS says so
//! and unmarked when a call would block. A TCP socket may stay readable while the engine has
//! granted no read credit; the read resumes when credit arrives. A socket with more to read
//! than one turn's budget goes on the `ready` list, so one busy socket cannot starve the
//! others and nothing waits for an edge that will not come again.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use masq_engine::{Family, SocketCommand, SocketId};
use masq_platform::sockets::{self as psock, Uplink};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use socket2::Socket;
use tokio::io::unix::AsyncFd;
use tracing::{debug, warn};

use super::super::watch::{OwnsFd, watch};
use super::echo::Kind;
use super::reactor_datagram::{Datagram, RxBuffers};
use super::reactor_tcp::{Listener, TcpConn};
use super::{Accepted, SocketEvent};

/// OS readiness events taken per `mio` poll.
const EVENTS_PER_POLL: usize = 256;
/// Reads (or accepts) per socket per turn before it waits on the `ready` list.
pub(super) const READS_PER_TURN: usize = 32;

/// A duplicate of the `mio::Poll`'s descriptor, for tokio to watch (readable = some socket
/// is ready). Its own descriptor, so the watch is sound whatever is dropped first.
pub(crate) struct PollFd(OwnedFd);

impl AsRawFd for PollFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl OwnsFd for PollFd {}

/// Whether a turn of [`Sockets::poll_io`] left work behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Nothing more is ready: the loop may clear the readiness and wait.
    Yes,
    /// More is ready: come back at once.
    No,
}

/// One socket of any kind.
enum Sock {
    Tcp(TcpConn),
    Listener(Listener),
    Datagram(Datagram),
}

impl Sock {
    fn fd(&self) -> RawFd {
        match self {
            Sock::Tcp(c) => c.fd(),
            Sock::Listener(l) => l.fd(),
            Sock::Datagram(d) => d.fd(),
        }
    }
}

/// Every socket the engine currently owns, by id, and the events they produced.
pub(crate) struct Sockets {
    poll: Poll,
    events: Events,
    uplink: Uplink,
    socks: HashMap<SocketId, Sock>,
    /// Sockets with more to read than their last turn's budget.
    ready: VecDeque<SocketId>,
    /// Shared receive buffer for TCP reads.
    buf: Box<[u8]>,
    /// Shared receive buffers for datagrams.
    rx: RxBuffers,
    /// Events produced since the loop last took them.
    out: Vec<SocketEvent>,
    /// UDP sockets with a batch of datagrams waiting to be written together.
    batched: Vec<SocketId>,
}

impl Sockets {
    /// An empty socket set for `uplink`.
    pub(crate) fn new(uplink: Uplink) -> io::Result<Sockets> {
        Ok(Sockets {
            poll: Poll::new()?,
            events: Events::with_capacity(EVENTS_PER_POLL),
            uplink,
            socks: HashMap::new(),
            ready: VecDeque::new(),
            buf: vec![0u8; super::READ_CHUNK].into_boxed_slice(),
            rx: RxBuffers::new(),
            out: Vec::new(),
            batched: Vec::new(),
        })
    }

    /// The poll's descriptor, for the loop to await with tokio (readable = sockets ready).
    pub(crate) fn watch(&self) -> io::Result<AsyncFd<PollFd>> {
        // SAFETY: the poll's descriptor is open for as long as `self.poll` lives, which
        // outlasts this call; the clone is a new descriptor owned by the returned value.
        let fd = unsafe { BorrowedFd::borrow_raw(self.poll.as_raw_fd()) }.try_clone_to_owned()?;
        watch(PollFd(fd), tokio::io::Interest::READABLE)
    }

    /// New sockets are pinned to this uplink from now on.
    pub(crate) fn set_uplink(&mut self, uplink: Uplink) {
        self.uplink = uplink;
    }

    /// Events produced so far (by commands carried out or by readiness).
    pub(crate) fn take_events(&mut self) -> Vec<SocketEvent> {
        std::mem::take(&mut self.out)
    }

    /// Whether events wait for the engine.
    pub(crate) fn has_events(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes every waiting UDP batch (the loop calls it after each round of commands).
    pub(crate) fn flush_batches(&mut self) {
        for id in std::mem::take(&mut self.batched) {
            if let Some(Sock::Datagram(d)) = self.socks.get_mut(&id) {
                d.flush(id, &mut self.out);
            }
        }
    }

    /// Carries out one engine command at once (UDP datagrams may wait for the end of the
    /// round, to go out together).
    pub(crate) fn dispatch(&mut self, cmd: SocketCommand) {
        if !matches!(cmd, SocketCommand::UdpSend { .. }) && self.batched.contains(&cmd.socket()) {
            // Whatever comes next on this socket (a close) comes after its datagrams.
            if let Some(Sock::Datagram(d)) = self.socks.get_mut(&cmd.socket()) {
                d.flush(cmd.socket(), &mut self.out);
            }
            self.batched.retain(|b| *b != cmd.socket());
        }
        match cmd {
            SocketCommand::TcpConnect {
                id,
                remote,
                ttl,
                mss,
            } => {
                let made = psock::tcp_socket(&self.uplink, remote, ttl, Some(mss));
                match made.and_then(|s| TcpConn::connect(s, remote)) {
                    Ok(conn) => self.insert(id, Sock::Tcp(conn)),
                    Err(e) => {
                        warn!(%remote, error = %e, "cannot create an uplink TCP socket");
                        self.out.push(SocketEvent::TcpConnectFailed {
                            id,
                            error: masq_engine::ConnectError::Other,
                            icmp: None,
                        });
                    }
                }
            }
            SocketCommand::TcpSend { id, data } => {
                if let Some(Sock::Tcp(c)) = self.socks.get_mut(&id) {
                    c.send(id, data, &mut self.out);
                }
            }
            SocketCommand::TcpReadCredit { id, bytes } => {
                if let Some(Sock::Tcp(c)) = self.socks.get_mut(&id) {
                    c.credit(bytes);
                    if c.wants_read() {
                        self.read_tcp(id);
                    }
                }
            }
            SocketCommand::TcpShutdownWrite { id } => {
                if let Some(Sock::Tcp(c)) = self.socks.get_mut(&id) {
                    c.shutdown_write();
                }
            }
            SocketCommand::TcpAbort { id } => {
                if let Some(Sock::Tcp(c)) = self.remove(id) {
                    c.abort();
                }
            }
            SocketCommand::Close { id } => {
                let now = match self.socks.get_mut(&id) {
                    Some(Sock::Tcp(c)) => c.close_when_flushed(),
                    Some(_) => true,
                    None => false,
                };
                if now {
                    drop(self.remove(id));
                }
            }
            SocketCommand::UdpOpen { id, family } => {
                let made = psock::udp_socket(&self.uplink, family);
                self.open_datagram(id, family, Kind::Udp, made, false);
            }
            SocketCommand::IcmpOpen { id, family } => {
                let made = psock::icmp_echo_socket(&self.uplink, family);
                self.open_datagram(id, family, Kind::Icmp, made, false);
            }
            SocketCommand::UdpListen { id, family, port } => {
                let made = psock::udp_listener(&self.uplink, family, port);
                self.open_datagram(id, family, Kind::Udp, made, true);
            }
            SocketCommand::TcpListen { id, family, port } => {
                match psock::tcp_listener(&self.uplink, family, port).and_then(Listener::new) {
                    Ok(l) => {
                        let local = l.local();
                        self.insert(id, Sock::Listener(l));
                        self.out.push(SocketEvent::Opened { id, local });
                    }
                    Err(e) => {
                        warn!(port, error = %e, "port forward cannot listen");
                        self.out.push(SocketEvent::ListenFailed {
                            id,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            SocketCommand::UdpSend {
                id,
                dst,
                ttl,
                payload,
            } => {
                if let Some(Sock::Datagram(d)) = self.socks.get_mut(&id)
                    && d.send_batched(id, &payload, dst, ttl, &mut self.out)
                    && !self.batched.contains(&id)
                {
                    self.batched.push(id);
                }
            }
            SocketCommand::IcmpEchoSend {
                id,
                dst,
                seq,
                ttl,
                payload,
            } => {
                if let Some(Sock::Datagram(d)) = self.socks.get_mut(&id) {
                    d.echo(id, dst, seq, ttl, &payload, &mut self.out);
                }
            }
        }
    }

    /// Takes over a connection a forward's listener accepted, under the engine's id for it.
    pub(crate) fn adopt_tcp(&mut self, id: SocketId, stream: Accepted, peer: std::net::SocketAddr) {
        match TcpConn::accepted(stream) {
            Ok(conn) => self.insert(id, Sock::Tcp(conn)),
            Err(e) => {
                debug!(%peer, error = %e, "cannot take over an accepted connection");
                self.out.push(SocketEvent::TcpReset { id });
            }
        }
    }

    /// Handles what the OS reports ready, then the `ready` list, within a budget.
    pub(crate) fn poll_io(&mut self) -> io::Result<Drained> {
        self.poll.poll(&mut self.events, Some(Duration::ZERO))?;
        // Taken out while handled (the handlers need `self`), then put back: no allocation
        // per turn.
        let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        let more_os = events.iter().count() == EVENTS_PER_POLL;
        for e in events.iter() {
            self.on_ready(
                SocketId(e.token().0 as u64),
                e.is_readable() || e.is_read_closed(),
                e.is_writable() || e.is_write_closed(),
                e.is_error(),
            );
        }
        self.events = events;
        // Leftovers from earlier turns, each once per turn.
        for _ in 0..self.ready.len() {
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            self.on_ready(id, true, false, false);
        }
        Ok(if more_os || !self.ready.is_empty() {
            Drained::No
        } else {
            Drained::Yes
        })
    }

    /// Closes every socket at once (shutdown).
    pub(crate) fn close_all(&mut self) {
        let ids: Vec<SocketId> = self.socks.keys().copied().collect();
        for id in ids {
            drop(self.remove(id));
        }
    }

    fn on_ready(&mut self, id: SocketId, readable: bool, writable: bool, error: bool) {
        let Some(sock) = self.socks.get_mut(&id) else {
            return;
        };
        match sock {
            Sock::Tcp(c) => {
                if c.on_ready(id, readable, writable, error, &mut self.out) {
                    drop(self.remove(id));
                    return;
                }
                if c.wants_read() {
                    self.read_tcp(id);
                }
            }
            Sock::Listener(l) => {
                if readable && l.accept(id, &mut self.out) {
                    self.ready.push_back(id);
                }
            }
            Sock::Datagram(d) => {
                if error {
                    d.drain_errors(id, &mut self.out);
                }
                if readable && d.receive(id, &mut self.rx, &mut self.out) {
                    self.ready.push_back(id);
                }
            }
        }
    }

    fn read_tcp(&mut self, id: SocketId) {
        if let Some(Sock::Tcp(c)) = self.socks.get_mut(&id)
            && c.read(id, &mut self.buf, &mut self.out)
        {
            self.ready.push_back(id);
        }
    }

    fn open_datagram(
        &mut self,
        id: SocketId,
        family: Family,
        kind: Kind,
        made: io::Result<Socket>,
        listen: bool,
    ) {
        let opened = made.and_then(|s| {
            let local = s
                .local_addr()?
                .as_socket()
                .ok_or_else(|| io::Error::other("socket has no IP address"))?;
            Ok((s, local))
        });
        match opened {
            Ok((sock, local)) => {
                self.insert(id, Sock::Datagram(Datagram::new(sock, family, kind)));
                self.out.push(SocketEvent::Opened { id, local });
            }
            Err(e) if listen => {
                warn!(error = %e, "UDP port forward cannot bind");
                self.out.push(SocketEvent::ListenFailed {
                    id,
                    reason: e.to_string(),
                });
            }
            Err(e) => {
                warn!(?family, error = %e, "cannot open an uplink {} socket", kind.name());
                self.out.push(SocketEvent::OpenFailed { id });
            }
        }
    }

    fn insert(&mut self, id: SocketId, sock: Sock) {
        let fd = sock.fd();
        let interest = match &sock {
            Sock::Tcp(_) => Interest::READABLE | Interest::WRITABLE,
            Sock::Listener(_) | Sock::Datagram(_) => Interest::READABLE,
        };
        let token = Token(id.0 as usize);
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut SourceFd(&fd), token, interest)
        {
            warn!(%id, error = %e, "cannot watch a socket");
            self.out.push(match sock {
                Sock::Tcp(_) => SocketEvent::TcpReset { id },
                _ => SocketEvent::OpenFailed { id },
            });
            return;
        }
        self.socks.insert(id, sock);
        // A socket may have become ready before it was registered (an accepted connection
        // with data waiting): edge-triggered readiness would never say so.
        self.ready.push_back(id);
    }

    fn remove(&mut self, id: SocketId) -> Option<Sock> {
        let sock = self.socks.remove(&id)?;
        let fd = sock.fd();
        if let Err(e) = self.poll.registry().deregister(&mut SourceFd(&fd)) {
            debug!(%id, error = %e, "deregister failed");
        }
        Some(sock)
    }
}
