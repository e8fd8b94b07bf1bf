//! The macOS backend — not built yet; every call says so (see `unsupported.rs`).
//!
//! What it will be (see /work/shared/notes/platform-steering.md): a utun adapter (with its
//! 4-byte address-family header per packet), a pf `route-to` rule on `pass in on <LAN>` to
//! steer by arrival interface, and sockets pinned with IP_BOUND_IF / IPV6_BOUND_IF.

pub(crate) const OS: &str = "macOS";
pub(crate) const MISSING: &str = "its utun and pf backend is not built";

pub(crate) use crate::unsupported::sockets;
pub use crate::unsupported::{
    Gateway, InboundObserver, Steering, TunDevice, cleanup_stale, default_uplink, interface_info,
    start,
};
