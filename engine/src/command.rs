//! The contract between the engine and the shell that owns the OS sockets.
//!
//! The engine never touches a socket. It asks for work with a [`SocketCommand`] and learns the
//! outcome as a [`SocketEvent`](crate::SocketEvent) through `Engine::handle_socket_event`
//! (payloads may be borrowed from the shell's buffer). Commands for one [`SocketId`] must be
//! carried out in the order they were polled: a `TcpShutdownWrite` after a `TcpSend` means
//! "after those bytes".

use std::net::{IpAddr, SocketAddr};

pub use masq_vocab::{ConnectError, Family, IcmpErrorKind, IcmpErrorReport};

use crate::flow::SocketId;

/// Work the shell must do with an uplink socket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a socket command that is dropped leaves a flow waiting forever"]
pub enum SocketCommand {
    /// Open a TCP socket bound to the uplink and start a non-blocking connect.
    ///
    /// `ttl` is the hop limit of the LAN host's SYN minus one (the gateway is a hop), so that
    /// `traceroute -T` sees the real routers. Report the result with `handle_tcp_connected` or
    /// `handle_tcp_connect_failed`.
    TcpConnect {
        /// Socket to create.
        id: SocketId,
        /// Where to connect.
        remote: SocketAddr,
        /// IP TTL / hop limit for the connection's packets.
        ttl: u8,
        /// Maximum segment size the LAN host can receive; the shell may set TCP_MAXSEG from it.
        mss: u16,
        /// The gateway port this hidden host's endpoint already connects from, to connect from
        /// it again (endpoint-independent mapping, RFC 5382 REQ-1: what TCP hole punching
        /// needs); `None` for a first connection. If the port cannot be bound, the shell
        /// connects from any port: the connection matters more than the mapping.
        local_port: Option<u16>,
    },
    /// Write these bytes after everything sent before; report progress with `handle_tcp_sent`.
    TcpSend {
        /// Socket to write to.
        id: SocketId,
        /// Bytes from the LAN host, in stream order.
        data: Vec<u8>,
    },
    /// The shell may read up to this many more bytes from the socket (credit accumulates).
    ///
    /// Reading only with credit keeps the engine's per-flow buffer bounded: once the credit is
    /// used, the kernel's receive buffer fills and the remote is slowed down.
    TcpReadCredit {
        /// Socket to read from.
        id: SocketId,
        /// Additional bytes allowed.
        bytes: usize,
    },
    /// Half-close: send FIN to the remote once all earlier `TcpSend` data is written.
    TcpShutdownWrite {
        /// Socket to shut down for writing.
        id: SocketId,
    },
    /// Abort: reset the connection (SO_LINGER 0) and close the socket.
    TcpAbort {
        /// Socket to reset.
        id: SocketId,
    },
    /// Open a UDP socket bound to the uplink on an ephemeral port; answer with
    /// [`SocketEvent::Opened`](crate::SocketEvent::Opened) or `SocketEvent::OpenFailed`.
    UdpOpen {
        /// Socket to create.
        id: SocketId,
        /// Address family.
        family: Family,
    },
    /// Send one datagram from a UDP socket.
    UdpSend {
        /// Socket to send from.
        id: SocketId,
        /// Destination.
        dst: SocketAddr,
        /// IP TTL / hop limit for this datagram.
        ttl: u8,
        /// The host forbade fragmenting it (the IPv4 DF bit; always for IPv6, which routers
        /// never fragment): the socket must send it whole or fail, so that a datagram too big
        /// for the uplink's path comes back to the host as Fragmentation Needed with the
        /// path's MTU (RFC 4787 REQ-13) instead of leaving in fragments.
        dont_fragment: bool,
        /// Datagram payload.
        payload: Vec<u8>,
    },
    /// Listen for TCP connections on this port of the uplink address (a port forward).
    ///
    /// Answer with `SocketEvent::Opened` or `SocketEvent::ListenFailed`; then hand every accepted
    /// connection to `handle_tcp_accepted`, which names the socket id it goes by from then on.
    TcpListen {
        /// Listening socket to create.
        id: SocketId,
        /// Address family.
        family: Family,
        /// The public port.
        port: u16,
    },
    /// Open a UDP socket bound to this port of the uplink address (a port forward); it then
    /// behaves like any UDP mapping's socket. Answer with `SocketEvent::Opened` or
    /// `SocketEvent::ListenFailed`.
    UdpListen {
        /// Socket to create.
        id: SocketId,
        /// Address family.
        family: Family,
        /// The public port.
        port: u16,
    },
    /// Open an unprivileged ICMP echo socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) on the uplink.
    IcmpOpen {
        /// Socket to create.
        id: SocketId,
        /// Address family.
        family: Family,
    },
    /// Send an echo request; the kernel replaces the identifier with the socket's own.
    IcmpEchoSend {
        /// Socket to send from.
        id: SocketId,
        /// Destination host.
        dst: IpAddr,
        /// Echo sequence number.
        seq: u16,
        /// IP TTL / hop limit.
        ttl: u8,
        /// Echo payload.
        payload: Vec<u8>,
    },
    /// Send an ICMP error out of the uplink: a hidden host's error about a datagram a remote
    /// sent it through the mapping `id`, translated back to what the remote sent (RFC 5508
    /// REQ-5), so the remote learns of a closed port or a smaller MTU as if masq were not
    /// there. Needs a raw socket (root); a shell without one drops it.
    IcmpErrorSend {
        /// The mapping whose datagram the error quotes (the error itself leaves from a raw
        /// socket, not from this one).
        id: SocketId,
        /// The uplink address the mapping's socket is bound to: the error's source, which the
        /// remote matches against the quoted destination.
        from: IpAddr,
        /// The remote that sent the quoted datagram.
        to: IpAddr,
        /// The ICMP or ICMPv6 message: header with its checksum (over the IPv6 pseudo header
        /// from `from` to `to`), then the quote.
        message: Vec<u8>,
    },
    /// Close a socket of any kind (graceful for TCP when both directions are finished).
    Close {
        /// Socket to close.
        id: SocketId,
    },
}

impl SocketCommand {
    /// The socket the command is for.
    pub fn socket(&self) -> SocketId {
        match self {
            SocketCommand::TcpConnect { id, .. }
            | SocketCommand::TcpSend { id, .. }
            | SocketCommand::TcpReadCredit { id, .. }
            | SocketCommand::TcpShutdownWrite { id }
            | SocketCommand::TcpAbort { id }
            | SocketCommand::UdpOpen { id, .. }
            | SocketCommand::TcpListen { id, .. }
            | SocketCommand::UdpListen { id, .. }
            | SocketCommand::UdpSend { id, .. }
            | SocketCommand::IcmpOpen { id, .. }
            | SocketCommand::IcmpEchoSend { id, .. }
            | SocketCommand::IcmpErrorSend { id, .. }
            | SocketCommand::Close { id } => *id,
        }
    }
}
