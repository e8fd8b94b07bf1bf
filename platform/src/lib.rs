//! # masq-platform: everything masq asks of the operating system
//!
//! masq shares a connection by steering the LAN's packets into a virtual adapter (TUN) and
//! re-originating every conversation from ordinary sockets pinned to the uplink. This crate owns
//! the OS side of that: creating the adapter, steering the LAN into it, uplink sockets, the
//! observer of refused inbound attempts, and undoing all of it, also after a crash.
//!
//! ## The contract every OS backend provides
//! One backend is compiled per target and mounted as `imp` (the quinn-udp / Firezone pattern),
//! so no `#[cfg(target_os)]` is needed outside this crate. Each backend exports the same names:
//! - [`start`] / [`Gateway::stop`]: set up and tear down steering, journaling every change to
//!   [`GatewaySpec::state_file`] *before* it is made ([`Gateway::into_parts`] splits off the TUN
//!   and leaves a [`Steering`] to stop);
//! - [`cleanup_stale`]: undo what a killed instance left behind, from its journal;
//! - [`TunDevice`]: the open adapter (non-blocking packet read/write);
//! - [`interface_info`], [`default_uplink`], [`list_interfaces`]: interface discovery (the
//!   last with each interface's kind, for the first-run screen);
//! - [`InboundObserver`]: a read-only tap of inbound connection attempts on the uplink;
//! - [`uplink_watch`]: hints that routes, links or addresses changed, so the runtime can
//!   follow the uplink when it roams (docs/roaming.md);
//! - [`sockets`]: uplink sockets and their ICMP error queue.
//!
//! Linux is complete (netlink, `/proc/sys`, TUN). macOS has utun, pf steering, pinned
//! sockets and cleanup (its inbound observer answers `Unsupported`; see `macos/mod.rs`).
//! Windows has Wintun, route steering, pinned sockets and cleanup (see `windows/mod.rs`;
//! its OS-independent decisions are in `win_logic/`). Other targets use `fallback.rs`, which
//! answers every call with [`PlatformError::Unsupported`] (or an `io::Error` of kind
//! `Unsupported`), saying which backend is missing.

#![warn(missing_docs)]

#[cfg(target_os = "linux")]
#[path = "linux/mod.rs"]
mod imp;

#[cfg(target_os = "windows")]
#[path = "windows/mod.rs"]
mod imp;

#[cfg(target_os = "macos")]
#[path = "macos/mod.rs"]
mod imp;

// The macOS backend's pure modules, so their unit tests run on every OS.
#[cfg(all(test, not(target_os = "macos")))]
#[path = "macos/mod.rs"]
mod macos;

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
#[path = "fallback.rs"]
mod imp;

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod unsupported;

// The Windows backend's decisions, so their unit tests run on every OS.
#[cfg(any(target_os = "windows", test))]
mod win_logic;

// Reading a descriptor-less packet source on a thread (Wintun), tested on every OS.
#[cfg(any(target_os = "windows", test))]
mod batch_reader;
mod cleanup_report;
mod connect_error;

/// The alias LAN packets for the gateway's public address arrive with in the adapter, when
/// this OS's steering hairpins them (Linux); `None` where hairpinning is not built yet.
#[cfg(target_os = "linux")]
pub use imp::HAIRPIN_ALIAS_V4;
/// No hairpinning steering on this OS yet (docs/design.md says how it would go).
#[cfg(not(target_os = "linux"))]
pub const HAIRPIN_ALIAS_V4: Option<std::net::Ipv4Addr> = None;

/// Points hairpinning at the uplink's IPv4 address `public` (after a start or an uplink
/// change); only meaningful where [`HAIRPIN_ALIAS_V4`] is `Some`.
#[cfg(target_os = "linux")]
pub use imp::set_hairpin_public;
/// No hairpinning steering on this OS yet: nothing to point.
#[cfg(not(target_os = "linux"))]
pub fn set_hairpin_public(
    _tun: &str,
    _public: Option<std::net::Ipv4Addr>,
) -> Result<(), PlatformError> {
    Ok(())
}

/// Addresses of the LAN prefix that masq's own adapter holds besides the gateway's, which no
/// DHCP pool may hand out: on Windows the adapter takes the LAN's highest host address
/// (`win_logic/plan.rs`); on Linux it borrows the gateway's own address and on macOS it has
/// an address outside the LAN, so there are none.
pub fn lan_addresses_in_use(lan: Ipv4Net) -> Vec<std::net::Ipv4Addr> {
    #[cfg(target_os = "windows")]
    {
        win_logic::plan::adapter_address(lan).into_iter().collect()
    }
    #[cfg(not(target_os = "windows"))]
    {
        let _ = lan;
        Vec::new()
    }
}
/// A DHCP server of the OS's own connection sharing that runs on this host, which masq's DHCP
/// server must not answer beside: on macOS, Internet Sharing's `bootpd` (it serves
/// `bridge100`, the usual LAN there). Windows refuses to start beside Internet Connection
/// Sharing altogether, and on Linux a server holding port 67 shows when the bind fails.
pub fn os_sharing_dhcp_server() -> Option<&'static str> {
    #[cfg(target_os = "macos")]
    {
        imp::processes::running("bootpd").then_some("Internet Sharing's DHCP server (bootpd)")
    }
    #[cfg(not(target_os = "macos"))]
    {
        None
    }
}

/// The OS's own connection sharing, if its service runs, for the first-run check's warning:
/// macOS Internet Sharing's `bootpd`; on Windows the Internet Connection Sharing service
/// (SharedAccess), which Mobile Hotspot also uses. A running service is not proof that it
/// shares the LAN masq is about to use (SharedAccess often runs idle), so this only warns.
pub fn os_connection_sharing() -> Option<&'static str> {
    #[cfg(target_os = "windows")]
    {
        imp::probes::ics_running().then_some(
            "Windows' Internet Connection Sharing service (SharedAccess, also behind Mobile hotspot)",
        )
    }
    #[cfg(not(target_os = "windows"))]
    {
        os_sharing_dhcp_server()
    }
}

mod error;
mod gateway;
mod icmp_kind;
mod interface;
mod interface_kind;
mod ipv6_offer;
#[cfg_attr(
    not(any(target_os = "linux", target_os = "macos", target_os = "windows", test)),
    allow(
        dead_code,
        reason = "only the Linux, macOS and Windows backends journal changes so far"
    )
)]
mod journal;
mod link_state;
mod observed;
#[cfg(not(target_os = "linux"))]
mod plain_tun;
pub mod sockets;
#[cfg(any(unix, windows))]
mod sockopt;
mod spec;
mod tcp_congestion;
mod uplink_watch;
mod wake_timer;

pub use cleanup_report::{CleanupAction, CleanupOutcome, CleanupReport};
pub use error::PlatformError;
pub use gateway::Gateway;
/// The Windows Event Log source the service writes to.
#[cfg(target_os = "windows")]
pub use imp::event_log;
pub use imp::{
    InboundObserver, Steering, TunDevice, cleanup_stale, default_uplink, interface_info,
    list_interfaces, start,
};
#[cfg(target_os = "windows")]
pub use imp::{NetworkChange, NetworkWatch, ObserverThread, TunReader};
pub use interface::InterfaceInfo;
pub use interface_kind::{
    InterfaceKind, InterfaceSummary, LinuxClues, WindowsClues, classify_linux, classify_macos,
    classify_windows, parse_hardware_ports,
};
pub use ipnet::{Ipv4Net, Ipv6Net};
pub use ipv6_offer::{Ipv6Unavailable, check_ipv6_uplink};
pub use link_state::link_running;
pub use observed::ObservedInbound;
pub use spec::{DEFAULT_ROUTE_TABLE, DEFAULT_RULE_PRIORITY, GatewaySpec};
pub use tcp_congestion::host_tcp_congestion_control;
pub use uplink_watch::{UplinkWatch, uplink_watch};
pub use wake_timer::WakeTimer;

/// Whether the OS decrements a LAN packet's TTL when it forwards it into the adapter, so the
/// engine must not count the gateway's hop again. True on Linux (policy routing forwards
/// into the TUN). False on macOS: pf's `route-to` hands the packet to the utun from the
/// input path without `ip_forward`, which is where the TTL is decremented (to be confirmed
/// on a Mac, see docs/platform-macos.md). True on Windows: the LAN's packets are IP-forwarded
/// into the Wintun adapter (to be confirmed on hardware, see docs/platform-windows.md).
pub const FORWARDING_DECREMENTS_TTL: bool = cfg!(any(target_os = "linux", target_os = "windows"));
