//! The Windows backend: a Wintun adapter, steering by two /1 routes on it, per-interface
//! forwarding and addresses through the IP Helper API, uplink sockets pinned with
//! `IP_UNICAST_IF`, ICMP echo through `IcmpSendEcho2Ex`, an `SIO_RCVALL` inbound observer, and
//! a journal of every change for cleanup after a crash. No netsh or PowerShell is run.
//!
//! The decisions (routes, addresses, ring size, conflicts, cleanup) live in
//! `crate::win_logic`, which is tested on every OS; this module carries them out. The design
//! and its trade-offs are in docs/platform-windows.md.
//!
//! Exports the names listed in the crate documentation, plus [`NetworkWatch`] and, in
//! `sockets`, [`sockets::IcmpEcho`].

mod adapter;
mod cleanup;
mod dll;
pub mod event_log;
pub(crate) mod file_owner;
mod gateway;
mod icmp_echo;
mod inbound;
mod interfaces;
mod iphelper;
pub(crate) mod probes;
mod roaming;
pub(crate) mod sockets;
mod system;
mod threads;
pub(crate) mod uplink_watch;

pub use adapter::TunDevice;
pub use cleanup::cleanup_stale;
pub use gateway::{Steering, start};
pub use inbound::InboundObserver;
pub use interfaces::{default_uplink, interface_info, list_interfaces};
pub use roaming::{NetworkChange, NetworkWatch};
pub use threads::{ObserverThread, TunReader};
