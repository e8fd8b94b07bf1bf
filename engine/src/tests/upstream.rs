//! A fake shell with fake uplink sockets: it carries out the engine's [`SocketCommand`]s
//! on in-memory records and checks that the engine uses them correctly.
//!
//! The records are what the remote side saw (bytes written, FIN, RST) and what the shell
//! still owes the engine (write confirmations, read credit). Protocol mistakes by the engine
//! panic at once: a command for an unknown socket, any command after `Close`/`TcpAbort`,
//! data after `TcpShutdownWrite`, or a second socket of the same id.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};

use crate::{Family, SocketCommand, SocketId};

/// One fake TCP socket and the remote server behind it.
#[derive(Debug, Clone, Default)]
pub struct TcpSock {
    /// Where the engine asked to connect.
    pub remote: Option<SocketAddr>,
    /// TTL the engine asked for.
    pub ttl: u8,
    /// MSS the engine passed along.
    pub mss: u16,
    /// Set once the harness reported the connect as successful.
    pub connected: bool,
    /// Every byte the engine asked to write, in order: what the server received.
    pub written: Vec<u8>,
    /// Bytes written but not yet confirmed with `handle_tcp_sent`.
    pub unconfirmed: usize,
    /// Read credit the engine granted and the shell has not used.
    pub credit: usize,
    /// Every credit grant, in order.
    pub grants: Vec<usize>,
    /// Bytes the server sends, waiting for credit.
    pub outbox: VecDeque<u8>,
    /// The server closes its side once the outbox is delivered.
    pub eof_queued: bool,
    /// The EOF was reported to the engine.
    pub eof_sent: bool,
    /// The engine half-closed (the server saw FIN).
    pub shutdown_write: bool,
    /// The engine aborted (the server saw RST).
    pub aborted: bool,
    /// The engine closed the socket.
    pub closed: bool,
}

impl TcpSock {
    /// Whether the engine still uses the socket.
    pub fn is_open(&self) -> bool {
        !self.closed && !self.aborted
    }
}

/// One fake UDP socket.
#[derive(Debug, Clone)]
pub struct UdpSock {
    /// Family asked for.
    pub family: Family,
    /// The public port of a port forward's socket (`UdpListen`); `None` for ephemeral.
    pub port: Option<u16>,
    /// Datagrams sent: destination, TTL, payload.
    pub sent: Vec<(SocketAddr, u8, Vec<u8>)>,
    /// Closed by the engine.
    pub closed: bool,
}

/// One fake ICMP echo socket.
#[derive(Debug, Clone)]
pub struct IcmpSock {
    /// Family asked for.
    pub family: Family,
    /// Echo requests sent: destination, sequence, TTL, payload.
    pub sent: Vec<(IpAddr, u16, u8, Vec<u8>)>,
    /// Closed by the engine.
    pub closed: bool,
}

/// One fake TCP listening socket of a port forward.
#[derive(Debug, Clone)]
pub struct ListenSock {
    /// The public port.
    pub port: u16,
    /// Closed by the engine.
    pub closed: bool,
}

/// A fake socket of any kind.
#[derive(Debug, Clone)]
pub enum Sock {
    /// TCP listener.
    Listen(ListenSock),
    /// TCP.
    Tcp(TcpSock),
    /// UDP.
    Udp(UdpSock),
    /// ICMP echo.
    Icmp(IcmpSock),
}

/// All fake sockets plus the shell's automatic behaviour.
#[derive(Debug)]
pub struct Upstream {
    /// Sockets by id.
    pub sockets: BTreeMap<SocketId, Sock>,
    /// Confirm every write at once (`handle_tcp_sent`), like a socket with room.
    pub auto_confirm: bool,
    /// Deliver outbox bytes and EOFs as soon as credit allows.
    pub auto_deliver: bool,
    /// Largest single `SocketEvent::TcpData` (a read of this many bytes).
    pub read_chunk: usize,
}

impl Default for Upstream {
    fn default() -> Self {
        Upstream {
            sockets: BTreeMap::new(),
            auto_confirm: true,
            auto_deliver: true,
            read_chunk: 16 * 1024,
        }
    }
}

impl Upstream {
    /// Carries out one command.
    pub fn apply(&mut self, cmd: &SocketCommand) {
        let id = cmd.socket();
        match cmd {
            SocketCommand::TcpConnect {
                remote, ttl, mss, ..
            } => {
                let s = TcpSock {
                    remote: Some(*remote),
                    ttl: *ttl,
                    mss: *mss,
                    ..TcpSock::default()
                };
                assert!(
                    self.sockets.insert(id, Sock::Tcp(s)).is_none(),
                    "socket {id} created twice"
                );
            }
            SocketCommand::UdpOpen { family, .. } => {
                let s = UdpSock {
                    family: *family,
                    port: None,
                    sent: Vec::new(),
                    closed: false,
                };
                assert!(
                    self.sockets.insert(id, Sock::Udp(s)).is_none(),
                    "socket {id} created twice"
                );
            }
            SocketCommand::UdpListen { family, port, .. } => {
                let s = UdpSock {
                    family: *family,
                    port: Some(*port),
                    sent: Vec::new(),
                    closed: false,
                };
                assert!(
                    self.sockets.insert(id, Sock::Udp(s)).is_none(),
                    "socket {id} created twice"
                );
            }
            SocketCommand::TcpListen { port, .. } => {
                let s = ListenSock {
                    port: *port,
                    closed: false,
                };
                assert!(
                    self.sockets.insert(id, Sock::Listen(s)).is_none(),
                    "socket {id} created twice"
                );
            }
            SocketCommand::IcmpOpen { family, .. } => {
                let s = IcmpSock {
                    family: *family,
                    sent: Vec::new(),
                    closed: false,
                };
                assert!(
                    self.sockets.insert(id, Sock::Icmp(s)).is_none(),
                    "socket {id} created twice"
                );
            }
            SocketCommand::TcpSend { data, .. } => {
                let s = self.tcp_mut(id);
                assert!(!s.shutdown_write, "TcpSend after TcpShutdownWrite on {id}");
                assert!(!data.is_empty(), "empty TcpSend on {id}");
                s.written.extend_from_slice(data);
                s.unconfirmed += data.len();
            }
            SocketCommand::TcpReadCredit { bytes, .. } => {
                let s = self.tcp_mut(id);
                assert!(*bytes > 0, "zero credit grant on {id}");
                s.credit += bytes;
                s.grants.push(*bytes);
            }
            SocketCommand::TcpShutdownWrite { .. } => {
                let s = self.tcp_mut(id);
                assert!(!s.shutdown_write, "second TcpShutdownWrite on {id}");
                s.shutdown_write = true;
            }
            SocketCommand::TcpAbort { .. } => self.tcp_mut(id).aborted = true,
            SocketCommand::UdpSend {
                dst, ttl, payload, ..
            } => match self.sock_mut(id) {
                Sock::Udp(u) => u.sent.push((*dst, *ttl, payload.clone())),
                other => panic!("UdpSend on {other:?}"),
            },
            SocketCommand::IcmpEchoSend {
                dst,
                seq,
                ttl,
                payload,
                ..
            } => match self.sock_mut(id) {
                Sock::Icmp(i) => i.sent.push((*dst, *seq, *ttl, payload.clone())),
                other => panic!("IcmpEchoSend on {other:?}"),
            },
            // Sent from a raw socket; it must still name a live UDP mapping.
            SocketCommand::IcmpErrorSend { .. } => match self.sock_mut(id) {
                Sock::Udp(_) => {}
                other => panic!("IcmpErrorSend about {other:?}"),
            },
            SocketCommand::Close { .. } => match self.sock_mut(id) {
                Sock::Listen(l) => l.closed = true,
                Sock::Tcp(t) => t.closed = true,
                Sock::Udp(u) => u.closed = true,
                Sock::Icmp(i) => i.closed = true,
            },
        }
    }

    /// The socket, which must exist and still be open.
    fn sock_mut(&mut self, id: SocketId) -> &mut Sock {
        let s = self
            .sockets
            .get_mut(&id)
            .unwrap_or_else(|| panic!("command for unknown socket {id}"));
        let open = match s {
            Sock::Listen(l) => !l.closed,
            Sock::Tcp(t) => t.is_open(),
            Sock::Udp(u) => !u.closed,
            Sock::Icmp(i) => !i.closed,
        };
        assert!(
            open,
            "command for socket {id} after it was closed or aborted"
        );
        s
    }

    fn tcp_mut(&mut self, id: SocketId) -> &mut TcpSock {
        match self.sock_mut(id) {
            Sock::Tcp(t) => t,
            other => panic!("TCP command on {other:?}"),
        }
    }

    /// A TCP socket's record.
    pub fn tcp(&self, id: SocketId) -> &TcpSock {
        match self.sockets.get(&id) {
            Some(Sock::Tcp(t)) => t,
            other => panic!("no TCP socket {id}: {other:?}"),
        }
    }

    /// A TCP listener's record.
    pub fn listener(&self, id: SocketId) -> &ListenSock {
        match self.sockets.get(&id) {
            Some(Sock::Listen(l)) => l,
            other => panic!("no TCP listener {id}: {other:?}"),
        }
    }

    /// Registers a connection the shell accepted, under the id the engine gave it (already
    /// connected: the remote's connect succeeded before the engine heard of it).
    pub fn accepted(&mut self, id: SocketId, peer: SocketAddr) {
        let s = TcpSock {
            remote: Some(peer),
            connected: true,
            ..TcpSock::default()
        };
        assert!(
            self.sockets.insert(id, Sock::Tcp(s)).is_none(),
            "socket {id} created twice"
        );
    }

    /// A UDP socket's record.
    pub fn udp(&self, id: SocketId) -> &UdpSock {
        match self.sockets.get(&id) {
            Some(Sock::Udp(u)) => u,
            other => panic!("no UDP socket {id}: {other:?}"),
        }
    }

    /// An ICMP socket's record.
    pub fn icmp(&self, id: SocketId) -> &IcmpSock {
        match self.sockets.get(&id) {
            Some(Sock::Icmp(i)) => i,
            other => panic!("no ICMP socket {id}: {other:?}"),
        }
    }

    /// Mutable access to a TCP record for the harness (no open check: events may race).
    pub fn tcp_record(&mut self, id: SocketId) -> &mut TcpSock {
        match self.sockets.get_mut(&id) {
            Some(Sock::Tcp(t)) => t,
            other => panic!("no TCP socket {id}: {other:?}"),
        }
    }
}
