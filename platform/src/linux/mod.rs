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
mod interface_list;
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
pub use gateway::{Steering, start};
pub use inbound::InboundObserver;
pub use interface_list::list_interfaces;
pub use interfaces::{default_uplink, interface_info};
pub use ipv6_check::check_ipv6_uplink;
pub use tun::TunDevice;

/// Makes `public` the address whose LAN traffic is hairpinned through the adapter of `tun`
/// (see `inbound_guard.rs`); `None` stops hairpinning (an uplink without IPv4).
pub fn set_hairpin_public(
    tun: &str,
    public: Option<std::net::Ipv4Addr>,
) -> Result<(), crate::PlatformError> {
    let table = inbound_guard::table_name(&ifname::IfName::new(tun)?);
    inbound_guard::set_public(&table, public)
}

/// Where hairpinned LAN packets arrive in the adapter.
pub const HAIRPIN_ALIAS_V4: Option<std::net::Ipv4Addr> = Some(inbound_guard::HAIRPIN_ALIAS_V4);
