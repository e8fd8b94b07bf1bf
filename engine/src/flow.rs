//! How the engine names flows and the sockets it owns.
//!
//! The endpoint types (LAN, remote, gateway) and [`FlowId`] are shared with the control API
//! and live in `masq-vocab`; the flow key and socket ids are the engine's own.

use std::fmt;

pub use masq_vocab::{FlowId, GatewayEndpoint, LanEndpoint, Protocol, RemoteEndpoint};
use serde::{Deserialize, Serialize};

/// Identifies one translated conversation as the LAN host sees it.
///
/// UDP flows are keyed by the LAN endpoint alone (endpoint-independent mapping, RFC 4787
/// REQ-1), so their key carries no remote; TCP flows are full 5-tuples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowKey {
    /// Transport protocol.
    pub protocol: Protocol,
    /// The hidden host's endpoint.
    pub lan: LanEndpoint,
    /// The remote endpoint; `None` for endpoint-independent (UDP, ICMP echo) mappings.
    pub remote: Option<RemoteEndpoint>,
}

/// Names one OS socket that the shell owns on the engine's behalf.
///
/// Allocated by the engine, never reused within an engine's lifetime, so a late event for a
/// socket that was already closed can never be mistaken for a newer socket's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SocketId(pub u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}
