//! The DHCPv4 server: pure cores ([`pool`], [`leases`], [`protocol`], [`reply`],
//! [`conflict`]) and their shells ([`store`] for the lease file, `task` for the sockets).

pub mod conflict;
pub mod decode;
pub mod leases;
pub mod pool;
pub mod protocol;
pub mod reply;
pub mod store;
mod task;

pub use task::{DhcpConfig, DhcpServer, LeaseSnapshot, unix_now};
