//! What the shell reports about the sockets it owns for the engine: the input half of the
//! socket contract whose output half is [`SocketCommand`](crate::SocketCommand).
//!
//! One enum instead of a method per event, so the shell passes events through without
//! spelling each one again (quinn-proto's `ConnectionEvent`, smoltcp's socket events). The
//! byte buffer `B` is whatever the shell holds: an owned `Vec<u8>` when the event crossed a
//! channel, a slice of its read buffer otherwise; the engine takes it borrowed.
//!
//! A connection accepted by a port forward's listener is not an event here:
//! [`Engine::handle_tcp_accepted`](crate::Engine::handle_tcp_accepted) answers it with the
//! socket id the shell must adopt the stream under.

use std::net::{IpAddr, SocketAddr};

use crate::command::{ConnectError, IcmpErrorReport};
use crate::flow::SocketId;

/// One thing that happened on a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent<B = Vec<u8>> {
    /// The upstream connect of a TCP flow succeeded; `local` is the gateway endpoint.
    TcpConnected {
        /// The socket.
        id: SocketId,
        /// Its local (gateway) endpoint.
        local: SocketAddr,
    },
    /// The upstream connect failed; `icmp` is the error the OS queued, if any (it names the
    /// router that answered, which `traceroute -T` needs).
    TcpConnectFailed {
        /// The socket.
        id: SocketId,
        /// How it failed.
        error: ConnectError,
        /// The ICMP error behind it, when the OS kept one.
        icmp: Option<IcmpErrorReport>,
    },
    /// Bytes read from a TCP socket (never more than the credit granted).
    TcpData {
        /// The socket.
        id: SocketId,
        /// The bytes.
        data: B,
    },
    /// The remote closed its sending side (a read returned 0).
    TcpEof {
        /// The socket.
        id: SocketId,
    },
    /// `bytes` more bytes of earlier `TcpSend` data were written to the socket.
    TcpSent {
        /// The socket.
        id: SocketId,
        /// How many.
        bytes: usize,
    },
    /// The TCP connection failed after it was established (reset, timeout, error).
    TcpReset {
        /// The socket.
        id: SocketId,
    },
    /// A UDP or ICMP socket (or a forward's listener) was opened; `local` is its gateway
    /// endpoint (for ICMP the port is the echo identifier the kernel chose).
    Opened {
        /// The socket.
        id: SocketId,
        /// Its local endpoint.
        local: SocketAddr,
    },
    /// A UDP or ICMP socket could not be opened (e.g. no uplink address); the mapping ends.
    OpenFailed {
        /// The socket.
        id: SocketId,
    },
    /// A datagram arrived on a UDP mapping's socket.
    Datagram {
        /// The socket.
        id: SocketId,
        /// Who sent it.
        from: SocketAddr,
        /// The payload.
        data: B,
    },
    /// An echo reply arrived on an ICMP mapping's socket.
    EchoReply {
        /// The socket.
        id: SocketId,
        /// Who answered.
        from: IpAddr,
        /// The reply's sequence number.
        seq: u16,
        /// The reply's payload.
        data: B,
    },
    /// The OS reported an ICMP error on a socket (Linux: read from the error queue).
    IcmpError {
        /// The socket.
        id: SocketId,
        /// What the error said.
        report: IcmpErrorReport,
    },
    /// A port forward's listener could not be opened (typically another program has the
    /// port); `reason` is shown to the user.
    ListenFailed {
        /// The listener.
        id: SocketId,
        /// What the OS said, in plain words.
        reason: String,
    },
}

impl<B: AsRef<[u8]>> SocketEvent<B> {
    /// The same event with its payload borrowed, as the engine takes it.
    pub fn borrowed(&self) -> SocketEvent<&[u8]> {
        match self {
            SocketEvent::TcpConnected { id, local } => SocketEvent::TcpConnected {
                id: *id,
                local: *local,
            },
            SocketEvent::TcpConnectFailed { id, error, icmp } => SocketEvent::TcpConnectFailed {
                id: *id,
                error: *error,
                icmp: icmp.clone(),
            },
            SocketEvent::TcpData { id, data } => SocketEvent::TcpData {
                id: *id,
                data: data.as_ref(),
            },
            SocketEvent::TcpEof { id } => SocketEvent::TcpEof { id: *id },
            SocketEvent::TcpSent { id, bytes } => SocketEvent::TcpSent {
                id: *id,
                bytes: *bytes,
            },
            SocketEvent::TcpReset { id } => SocketEvent::TcpReset { id: *id },
            SocketEvent::Opened { id, local } => SocketEvent::Opened {
                id: *id,
                local: *local,
            },
            SocketEvent::OpenFailed { id } => SocketEvent::OpenFailed { id: *id },
            SocketEvent::Datagram { id, from, data } => SocketEvent::Datagram {
                id: *id,
                from: *from,
                data: data.as_ref(),
            },
            SocketEvent::EchoReply {
                id,
                from,
                seq,
                data,
            } => SocketEvent::EchoReply {
                id: *id,
                from: *from,
                seq: *seq,
                data: data.as_ref(),
            },
            SocketEvent::IcmpError { id, report } => SocketEvent::IcmpError {
                id: *id,
                report: report.clone(),
            },
            SocketEvent::ListenFailed { id, reason } => SocketEvent::ListenFailed {
                id: *id,
                reason: reason.clone(),
            },
        }
    }
}
