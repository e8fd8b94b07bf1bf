//! What the port-mapping server asks of the gateway's forward table, as a trait.
//!
//! Mappings become port forwards inside the engine, which the runtime's event loop owns. The
//! server decides (policy, quota, lifetimes, which port) and the runtime carries decisions
//! out through [`MappingTable`]; keeping the server behind this trait keeps it synchronous
//! and testable with an in-memory table.

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use thiserror::Error;

/// Transport protocol of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapProtocol {
    /// TCP (NAT-PMP opcode 2, IP protocol 6).
    Tcp,
    /// UDP (NAT-PMP opcode 1, IP protocol 17).
    Udp,
}

impl fmt::Display for MapProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapProtocol::Tcp => "tcp",
            MapProtocol::Udp => "udp",
        })
    }
}

/// Which protocol a client used to ask for a mapping; shown as the forward's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestedVia {
    /// NAT-PMP (RFC 6886).
    NatPmp,
    /// PCP (RFC 6887), with the nonce that authenticates later renewals and deletions.
    Pcp {
        /// The client's mapping nonce.
        nonce: [u8; 12],
    },
}

/// One mapping a LAN client holds: `external_port` on the uplink leads to
/// `client:internal_port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientMapping {
    /// The LAN host that asked, and that the mapping leads to (third parties are refused).
    pub client: Ipv4Addr,
    /// TCP or UDP.
    pub protocol: MapProtocol,
    /// The client's own port.
    pub internal_port: u16,
    /// The port on the gateway's external address.
    pub external_port: u16,
    /// NAT-PMP or PCP (with nonce).
    pub via: RequestedVia,
}

/// Why the table would not open or renew a mapping.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MapRefusal {
    /// Another forward took the port after [`MappingTable::port_taken`] said it was free.
    #[error("external {protocol} port {port} is already forwarded")]
    PortTaken {
        /// TCP or UDP.
        protocol: MapProtocol,
        /// The port.
        port: u16,
    },
    /// The gateway cannot add it (a limit, or no uplink); the text says which.
    #[error("cannot add the forward: {0}")]
    Unavailable(String),
}

/// The forward table as the server sees it; the runtime implements it over the engine.
pub trait MappingTable {
    /// The live mappings `client` made through NAT-PMP or PCP (not the user's forwards).
    fn mappings_of(&self, client: Ipv4Addr) -> Vec<ClientMapping>;
    /// Whether any forward (the user's or a client's) already uses this external port.
    fn port_taken(&self, protocol: MapProtocol, external_port: u16) -> bool;
    /// Adds the mapping as a forward that expires after `lifetime`.
    fn open(&mut self, mapping: &ClientMapping, lifetime: Duration) -> Result<(), MapRefusal>;
    /// Moves an existing mapping's expiry to `lifetime` from now.
    fn renew(&mut self, mapping: &ClientMapping, lifetime: Duration) -> Result<(), MapRefusal>;
    /// Removes the mapping (gone already is fine).
    fn close(&mut self, mapping: &ClientMapping);
}
