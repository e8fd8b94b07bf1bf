//! The backend for operating systems masq has no plan for yet (BSDs, ...): it compiles, and
//! every call says that this OS is unsupported (see `unsupported.rs`).

pub(crate) const OS: &str = std::env::consts::OS;
pub(crate) const MISSING: &str = "masq has no backend for this operating system";

pub(crate) use crate::unsupported::sockets;
pub use crate::unsupported::{
    InboundObserver, Steering, TunDevice, cleanup_stale, default_uplink, interface_info,
    list_interfaces, start,
};

/// The uplink watch: this OS has no change notifications wired up.
pub(crate) mod uplink_watch {
    use crate::{PlatformError, UplinkWatch};

    /// Nothing runs without a backend.
    #[derive(Debug)]
    pub(crate) struct Backend;

    /// Fails: following the uplink is part of the missing backend.
    pub(crate) fn start() -> Result<UplinkWatch, PlatformError> {
        Err(PlatformError::Unsupported {
            os: super::OS,
            what: "follow the uplink when it changes",
            missing: super::MISSING,
        })
    }
}
