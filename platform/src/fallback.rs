//! The backend for operating systems masq has no plan for yet (BSDs, ...): it compiles, and
//! every call says that this OS is unsupported (see `unsupported.rs`).

pub(crate) const OS: &str = std::env::consts::OS;
pub(crate) const MISSING: &str = "masq has no backend for this operating system";

pub(crate) use crate::unsupported::sockets;
pub use crate::unsupported::{
    Gateway, InboundObserver, Steering, TunDevice, cleanup_stale, default_uplink, interface_info,
    start,
};
