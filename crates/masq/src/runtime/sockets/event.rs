//! What a socket shell reports to the event loop, which hands it to the engine
//! (`loop_parts::handle_event`).

use std::net::{IpAddr, SocketAddr};

use masq_engine::{ConnectError, IcmpErrorReport, SocketId};

/// A connection a port forward's listener accepted, in the form the OS's shell keeps
/// sockets in.
#[cfg(unix)]
pub(crate) type Accepted = socket2::Socket;
/// A connection a port forward's listener accepted, in the form the OS's shell keeps
/// sockets in.
#[cfg(windows)]
pub(crate) type Accepted = tokio::net::TcpStream;

/// One report of a socket shell.
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
        stream: Accepted,
        peer: SocketAddr,
        local: SocketAddr,
    },
    /// A port forward's socket could not be opened; `reason` is shown to the user.
    ListenFailed {
        id: SocketId,
        reason: String,
    },
}
