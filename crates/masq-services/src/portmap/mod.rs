//! The NAT-PMP (RFC 6886) and PCP (RFC 6887) server: LAN apps ask for an inbound port
//! themselves, and each granted mapping becomes a port forward owned by that app's host.
//!
//! Pure parts — the two wire formats ([`natpmp_wire`], [`pcp_wire`]), the limits
//! ([`policy`]) and the decisions ([`server`]) — work against the [`table::MappingTable`]
//! trait, which the runtime implements over the engine's forward table. [`listen`] is the
//! thin socket shell at the gateway's LAN address that hands each request to whoever owns
//! that table (the runtime's event loop) and sends the answer back.

pub mod listen;
pub mod natpmp_wire;
pub mod pcp_wire;
pub mod policy;
pub mod server;
pub mod table;

use std::net::Ipv4Addr;

/// UDP port the server listens on (both protocols; RFC 6887 §19).
pub const SERVER_PORT: u16 = 5351;
/// UDP port clients listen on for announcements.
pub const CLIENT_PORT: u16 = 5350;
/// Where restart announcements go: all hosts on the LAN.
pub const ANNOUNCE_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);
