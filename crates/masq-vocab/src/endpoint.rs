//! Names for the three endpoints of a translation, and the id of one.
//!
//! A masqueraded connection has three endpoints: the hidden host on the LAN, the remote peer
//! on the internet, and the gateway endpoint (uplink address and port) that the remote peer
//! believes it talks to. Each gets its own type so that a LAN address can never be passed
//! where a remote one is expected; the engine, the control API and its clients share them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

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

/// Engine-wide unique name of a flow, stable for its lifetime; shown to users as `id`, and
/// what a watcher diffs snapshots by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowId(pub u64);
