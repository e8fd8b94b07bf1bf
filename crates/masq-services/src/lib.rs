//! # masq-services: what a shared LAN expects from its gateway
//!
//! Devices joining a LAN shared by masq expect to plug in and work, as with Windows Internet
//! Connection Sharing: a DHCPv4 server hands them an address with the gateway as router and
//! DNS server ([`dhcp`]); a DNS forwarder at the gateway address sends their queries to the
//! host's own resolvers and answers LAN names from the lease table ([`dns`]); and the
//! per-client view joins leases, the neighbour table and the engine's translations
//! ([`clients`]); and, when the user turns it on, a NAT-PMP/PCP server lets LAN apps open
//! inbound ports as expiring forwards ([`portmap`]). When the session offers IPv6, router
//! advertisements give hosts the LAN's prefix, the gateway as router and DNS server ([`ra`]).
//!
//! These services run next to the engine in the privileged runtime, as their own tokio tasks
//! with their own sockets on the LAN interface or the gateway's LAN address. Their traffic
//! never passes through the TUN: the kernel delivers packets for the gateway's own address
//! (and LAN broadcasts) locally. Each service is a pure, unit-tested core — functions of
//! (request, state, now) — inside a thin socket shell. [`LanServices`] starts and stops them
//! for one sharing session.
//!
//! A crate of its own so the binary stays a thin shell and the cores build and test without
//! the runtime; it depends on `masq-control` for the settings and report types and on
//! `masq-platform` for uplink sockets.

#![warn(missing_docs)]

pub mod clients;
pub mod dhcp;
pub mod dns;
mod error;
mod lan_socket;
pub mod neighbours;
pub mod portmap;
pub mod ra;
mod services;

pub use error::ServiceError;
pub use lan_socket::LanLink;
pub use services::{LanServices, LanServicesSpec};
