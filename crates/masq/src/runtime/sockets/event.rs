//! What a socket shell reports to the event loop: the engine's [`SocketEvent`]s, passed on as
//! they are, and the one report the engine answers (an accepted connection, whose OS stream
//! the shell adopts under the socket id the engine names).

use std::net::SocketAddr;

pub(crate) use masq_engine::SocketEvent;
use masq_engine::SocketId;

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
pub(crate) enum ShellEvent {
    /// An event the engine takes as it is.
    Socket(SocketEvent),
    /// A port forward's listener took a connection; the engine names its socket id.
    Accepted {
        listener: SocketId,
        stream: Accepted,
        peer: SocketAddr,
        local: SocketAddr,
    },
}

impl From<SocketEvent> for ShellEvent {
    fn from(event: SocketEvent) -> Self {
        ShellEvent::Socket(event)
    }
}
