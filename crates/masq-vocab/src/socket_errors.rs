//! What the OS says went wrong on an uplink socket: a failed connect, an ICMP error. The OS
//! layer reads them in its own terms and the engine acts on them in these.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

/// Why an outbound TCP connect failed, as the OS reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectError {
    /// The remote answered with RST (ECONNREFUSED).
    Refused,
    /// No route to the host, or a router said the host is unreachable (EHOSTUNREACH).
    HostUnreachable,
    /// The network is unreachable (ENETUNREACH).
    NetUnreachable,
    /// Nobody answered in time (ETIMEDOUT).
    TimedOut,
    /// Local policy forbade it (EACCES, EPERM).
    Prohibited,
    /// Anything else; the shell logs the OS error.
    Other,
}

/// What an ICMP error received on an uplink socket said, independent of IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcmpErrorKind {
    /// TTL / hop limit exceeded in transit (what traceroute provokes).
    TimeExceeded,
    /// Destination network unreachable.
    NetUnreachable,
    /// Destination host (or, for IPv6, address) unreachable.
    HostUnreachable,
    /// Protocol unreachable (IPv4 only).
    ProtocolUnreachable,
    /// Port unreachable.
    PortUnreachable,
    /// Administratively prohibited.
    AdminProhibited,
    /// IPv4 fragmentation needed / IPv6 packet too big, with the next-hop MTU.
    PacketTooBig {
        /// MTU of the next hop.
        mtu: u32,
    },
    /// Parameter problem.
    ParameterProblem,
}

/// An ICMP error that the OS queued on an uplink socket (Linux IP_RECVERR / IPV6_RECVERR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpErrorReport {
    /// The router or host that sent the ICMP error; unspecified when the gateway's own stack
    /// raised it (a datagram with DF larger than the uplink's path MTU), and the engine then
    /// names its LAN address as the offender.
    pub offender: IpAddr,
    /// What it said.
    pub kind: IcmpErrorKind,
    /// Destination of the datagram the error is about (for TCP/ICMP sockets the connected peer).
    pub original_dst: SocketAddr,
    /// Leading bytes of the original payload as the OS returned them (may be empty).
    pub payload: Vec<u8>,
}
