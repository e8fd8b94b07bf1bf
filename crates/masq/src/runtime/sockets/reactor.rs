//! The uplink sockets on Unix, owned by the data-path thread itself.
//!
//! Every socket sits in one `mio::Poll`, together with the adapter and the thread's waker;
//! the thread blocks in that poll and reads and writes inline, and commands from the engine
//! are carried out at once (a `TcpSend` is written before `dispatch` returns). A byte between the adapter and
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
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use masq_engine::{Family, SocketCommand, SocketId};
use masq_platform::WakeTimer;
use masq_platform::sockets::{self as psock, Uplink};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use socket2::Socket;
use tracing::{debug, warn};

use super::echo::Kind;
use super::icmp_errors::IcmpErrors;
use super::reactor_datagram::{Datagram, Outgoing, RxBuffers};
use super::reactor_tcp::{Listener, TcpConn};
use super::turn::Readiness;
use super::{Accepted, ShellEvent, SocketEvent};

/// OS readiness events taken per `mio` poll.
const EVENTS_PER_POLL: usize = 256;
/// The poll token of the adapter, which the data path reads itself. Socket ids count up
/// from zero and never come near it.
const ADAPTER: Token = Token(usize::MAX);
/// The poll token of the waker that the async side rings (`inbox.rs`).
const MAILBOX: Token = Token(usize::MAX - 1);
/// The poll token of the precise wake-up timer (`masq_platform::WakeTimer`).
const TIMER: Token = Token(usize::MAX - 2);

/// What else than sockets woke a [`Sockets::poll_io`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Woke {
    /// The adapter became readable.
    pub adapter: bool,
    /// The async side posted something.
    pub mailbox: bool,
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
    /// Shared receive buffer for TCP reads (a large read takes it along and leaves a new one).
    buf: Vec<u8>,
    /// Shared receive buffers for datagrams.
    rx: RxBuffers,
    /// Events produced since the loop last took them.
    out: Vec<ShellEvent>,
    /// UDP sockets with a batch of datagrams waiting to be written together.
    batched: Vec<SocketId>,
    /// TCP sockets with writes waiting for the end of the turn.
    tcp_pending: Vec<SocketId>,
    /// Raw sockets for hidden hosts' ICMP errors going out.
    icmp_errors: IcmpErrors,
    /// Fires sub-millisecond deadlines where the poll itself rounds them up to whole
    /// milliseconds (Linux); `None` where the poll is precise.
    timer: Option<WakeTimer>,
}

impl Sockets {
    /// An empty socket set for `uplink`.
    pub(crate) fn new(uplink: Uplink) -> io::Result<Sockets> {
        let poll = Poll::new()?;
        let timer = WakeTimer::new()?;
        if let Some(t) = &timer {
            poll.registry()
                .register(&mut SourceFd(&t.raw_fd()), TIMER, Interest::READABLE)?;
        }
        Ok(Sockets {
            poll,
            timer,
            events: Events::with_capacity(EVENTS_PER_POLL),
            uplink,
            socks: HashMap::new(),
            ready: VecDeque::new(),
            buf: Vec::with_capacity(super::READ_CHUNK),
            rx: RxBuffers::new(),
            out: Vec::new(),
            batched: Vec::new(),
            tcp_pending: Vec::new(),
            icmp_errors: IcmpErrors::default(),
        })
    }

    /// Adds the adapter to the poll, so one wait covers it and every socket.
    pub(crate) fn watch_adapter(&self, tun: &impl AsRawFd) -> io::Result<()> {
        self.poll
            .registry()
            .register(&mut SourceFd(&tun.as_raw_fd()), ADAPTER, Interest::READABLE)
    }

    /// A waker that ends the poll's wait from another thread.
    pub(crate) fn waker(&self) -> io::Result<mio::Waker> {
        mio::Waker::new(self.poll.registry(), MAILBOX)
    }

    /// New sockets are pinned to this uplink from now on.
    pub(crate) fn set_uplink(&mut self, uplink: Uplink) {
        self.uplink = uplink;
    }

    /// Events produced so far (by commands carried out or by readiness).
    pub(crate) fn take_events(&mut self) -> Vec<ShellEvent> {
        std::mem::take(&mut self.out)
    }

    /// Whether events wait for the engine.
    pub(crate) fn has_events(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes every waiting UDP batch and TCP write (the loop calls it after each round of
    /// commands).
    pub(crate) fn flush_batches(&mut self) {
        for id in std::mem::take(&mut self.batched) {
            if let Some(Sock::Datagram(d)) = self.socks.get_mut(&id) {
                d.flush(id, &mut self.out);
            }
        }
        for id in std::mem::take(&mut self.tcp_pending) {
            let close = match self.socks.get_mut(&id) {
                Some(Sock::Tcp(c)) => c.flush(id, &mut self.out),
                _ => false,
            };
            if close {
                drop(self.remove(id));
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
                local_port,
            } => {
                let made = psock::tcp_socket(&self.uplink, remote, ttl, Some(mss))
                    .map(|s| psock::bind_mapped_port(s, &self.uplink, remote, local_port));
                match made.and_then(|s| TcpConn::connect(s, remote)) {
                    Ok(conn) => self.insert(id, Sock::Tcp(conn)),
                    Err(e) => {
                        warn!(%remote, error = %e, "cannot create an uplink TCP socket");
                        self.out
                            .push(ShellEvent::Socket(SocketEvent::TcpConnectFailed {
                                id,
                                error: masq_engine::ConnectError::Other,
                                icmp: None,
                            }));
                    }
                }
            }
            SocketCommand::TcpSend { id, data } => {
                if let Some(Sock::Tcp(c)) = self.socks.get_mut(&id)
                    && c.send(data)
                {
                    self.tcp_pending.push(id);
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
            SocketCommand::IcmpErrorSend {
                from, to, message, ..
            } => self.icmp_errors.send(&self.uplink, from, to, &message),
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
                        self.out
                            .push(ShellEvent::Socket(SocketEvent::Opened { id, local }));
                    }
                    Err(e) => {
                        warn!(port, error = %e, "port forward cannot listen");
                        self.out.push(ShellEvent::Socket(SocketEvent::ListenFailed {
                            id,
                            reason: e.to_string(),
                        }));
                    }
                }
            }
            SocketCommand::UdpSend {
                id,
                dst,
                ttl,
                dont_fragment,
                payload,
            } => {
                let to = Outgoing {
                    dst,
                    ttl,
                    dont_fragment,
                };
                if let Some(Sock::Datagram(d)) = self.socks.get_mut(&id)
                    && d.send_batched(id, &payload, to, &mut self.out)
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
                self.out
                    .push(ShellEvent::Socket(SocketEvent::TcpReset { id }));
            }
        }
    }

    /// Waits up to `timeout` (`None`: until something happens) for the OS to report
    /// anything ready, handles the sockets among it and then the `ready` list, within a
    /// budget, and says what else woke it. Sockets left on the `ready` list make the next
    /// call return at once.
    pub(crate) fn poll_io(&mut self, timeout: Option<Duration>) -> io::Result<Woke> {
        let timeout = if self.ready.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        let timeout = match (timeout, &self.timer) {
            // A deadline between two whole milliseconds: the timer wakes the poll on time,
            // the poll's own (rounded up) timeout stays as a safety net.
            (Some(d), Some(t)) if !d.is_zero() && d.subsec_nanos() % 1_000_000 != 0 => {
                t.arm(Instant::now(), d)?;
                Some(d + Duration::from_millis(1))
            }
            _ => timeout,
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            // A signal for another thread landed here; the turn goes on with what it has.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.events.clear(),
            Err(e) => return Err(e),
        }
        let mut woke = Woke::default();
        // Taken out while handled (the handlers need `self`), then put back: no allocation
        // per turn.
        let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        for e in events.iter() {
            match e.token() {
                ADAPTER => woke.adapter = true,
                MAILBOX => woke.mailbox = true,
                TIMER => {
                    if let Some(t) = &self.timer {
                        t.clear();
                    }
                }
                token => self.on_ready(
                    SocketId(token.0 as u64),
                    Readiness {
                        readable: e.is_readable() || e.is_read_closed(),
                        writable: e.is_writable() || e.is_write_closed(),
                        error: e.is_error(),
                        read_closed: e.is_read_closed(),
                    },
                ),
            }
        }
        self.events = events;
        // Leftovers from earlier turns, each once per turn.
        for _ in 0..self.ready.len() {
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            self.on_ready(id, Readiness::READ_MORE);
        }
        Ok(woke)
    }

    /// Closes every socket at once (shutdown).
    pub(crate) fn close_all(&mut self) {
        let ids: Vec<SocketId> = self.socks.keys().copied().collect();
        for id in ids {
            drop(self.remove(id));
        }
    }

    fn on_ready(&mut self, id: SocketId, ready: Readiness) {
        let Readiness {
            readable, error, ..
        } = ready;
        let Some(sock) = self.socks.get_mut(&id) else {
            return;
        };
        match sock {
            Sock::Tcp(c) => {
                if c.on_ready(id, ready, &mut self.out) {
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
                self.out
                    .push(ShellEvent::Socket(SocketEvent::Opened { id, local }));
            }
            Err(e) if listen => {
                warn!(error = %e, "UDP port forward cannot bind");
                self.out.push(ShellEvent::Socket(SocketEvent::ListenFailed {
                    id,
                    reason: e.to_string(),
                }));
            }
            Err(e) => {
                warn!(?family, error = %e, "cannot open an uplink {} socket", kind.name());
                self.out
                    .push(ShellEvent::Socket(SocketEvent::OpenFailed { id }));
            }
        }
    }

    fn insert(&mut self, id: SocketId, sock: Sock) {
        let fd = sock.fd();
        // A connecting socket has nothing to read yet, and its connect's outcome comes as an
        // edge; anything else may have become ready before it was registered.
        let may_be_ready = !matches!(&sock, Sock::Tcp(c) if c.connecting());
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
                Sock::Tcp(_) => ShellEvent::Socket(SocketEvent::TcpReset { id }),
                _ => ShellEvent::Socket(SocketEvent::OpenFailed { id }),
            });
            return;
        }
        self.socks.insert(id, sock);
        // Such a socket (an accepted connection with data waiting) would never get an edge
        // for what arrived before: look at it once.
        if may_be_ready {
            self.ready.push_back(id);
        }
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
