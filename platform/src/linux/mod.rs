//! The Linux backend: TUN via `/dev/net/tun`, steering via a policy rule and a routing table
//! (rtnetlink), per-interface settings via `/proc/sys`, uplink sockets pinned with
//! `SO_BINDTODEVICE`, and the inbound observer on an `AF_PACKET` socket.
//!
//! Every kernel object it touches is namespaced (links, routes, rules, `/proc/sys/net`,
//! sockets, the TUN), and each is created from the calling thread, so running the whole
//! backend on a thread that entered another network namespace confines it there.
//!
//! Exports the names listed in the crate documentation.

mod bpf;
mod cleanup;
mod gateway;
mod icmp_queue;
pub(crate) mod ifname;
mod ifreq;
mod inbound;
mod inbound_guard;
mod interfaces;
mod ipv6_check;
mod lan_addr;
mod netlink;
pub(crate) mod sockets;
mod steps;
mod sysctl;
mod tun;
mod undo;
pub(crate) mod uplink_watch;
mod vnet;

pub use cleanup::cleanup_stale;
pub use gateway::{Gateway, Steering, start};
pub use inbound::InboundObserver;
pub use interfaces::{default_uplink, interface_info};
pub use ipv6_check::check_ipv6_uplink;
pub use tun::TunDevice;
