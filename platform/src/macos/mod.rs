//! The macOS backend: a utun via the kernel control socket, steering with a pf `route-to`
//! anchor and `net.inet.ip.forwarding`, uplink sockets pinned with `IP_BOUND_IF`, the default
//! route from the routing socket. The design and the alternatives weighed are in
//! docs/platform-macos.md.
//!
//! The modules split in two. The pure ones (address-family framing, ioctl numbers, pf anchor
//! text, routing messages, journal steps, undo decisions, start-up choices) are also compiled
//! for tests on every OS, so CI on Linux runs their unit tests; the rest call macOS APIs and
//! are only compiled for macOS (and linted there by CI's clippy for both Apple targets).
//!
//! Exports the names listed in the crate documentation.

#![cfg_attr(
    not(target_os = "macos"),
    allow(
        dead_code,
        reason = "on other OSes only the unit tests of the pure modules use them"
    )
)]

mod af_header;
mod choices;
// Interface names follow the same rules as on Linux (IFNAMSIZ 16); the Linux test build
// already has the module, which may be loaded only once.
#[cfg(not(target_os = "linux"))]
#[path = "../linux/ifname.rs"]
mod ifname;
#[cfg(target_os = "linux")]
use crate::imp::ifname;
mod ioccom;
mod pf_anchor;
mod route_msg;
mod setup;
mod steps;
mod undo;

#[cfg(target_os = "macos")]
mod cleanup;
#[cfg(target_os = "macos")]
mod gateway;
#[cfg(target_os = "macos")]
mod ifconfig;
#[cfg(target_os = "macos")]
mod inbound;
#[cfg(target_os = "macos")]
mod interfaces;
#[cfg(target_os = "macos")]
mod pfctl;
#[cfg(target_os = "macos")]
pub(crate) mod processes;
#[cfg(target_os = "macos")]
mod route_socket;
#[cfg(target_os = "macos")]
pub(crate) mod sockets;
#[cfg(target_os = "macos")]
mod sysctl;
#[cfg(target_os = "macos")]
mod system;
#[cfg(target_os = "macos")]
pub(crate) mod uplink_watch;
#[cfg(target_os = "macos")]
mod utun;

#[cfg(target_os = "macos")]
pub use cleanup::cleanup_stale;
#[cfg(target_os = "macos")]
pub use gateway::{Steering, start};
#[cfg(target_os = "macos")]
pub use inbound::InboundObserver;
#[cfg(target_os = "macos")]
pub use interfaces::{default_uplink, interface_info, list_interfaces};
#[cfg(target_os = "macos")]
pub use utun::TunDevice;
