//! Names for the two sides of a translation.
//!
//! A masqueraded connection has three endpoints: the hidden host on the LAN, the remote peer
//! on the internet, and the gateway endpoint (uplink address and port) that the remote peer
//! believes it talks to. Each gets its own type so that a LAN address can never be passed
//! where a remote one is expected.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

pub use masq_vocab::Protocol;
use serde::{Deserialize, Serialize};

/// An endpoint of a hidden host on the LAN (for ICMP echo the port is the echo identifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LanEndpoint(pub SocketAddr);

/// An endpoint on the uplink side that a hidden host talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoteEndpoint(pub SocketAddr);

/// The gateway's own uplink endpoint that remote peers see instead of the hidden host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GatewayEndpoint(pub SocketAddr);

macro_rules! endpoint_impls {
    ($t:ty) => {
        impl $t {
            /// The IP address part.
            pub fn ip(&self) -> IpAddr {
                self.0.ip()
            }
            /// The port (or ICMP echo identifier) part.
            pub fn port(&self) -> u16 {
                self.0.port()
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}
endpoint_impls!(LanEndpoint);
endpoint_impls!(RemoteEndpoint);
endpoint_impls!(GatewayEndpoint);

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

/// Engine-wide unique name of a flow, stable for its lifetime; shown to users as `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowId(pub u64);

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
