//! A started gateway, the same on every OS: the open adapter, the interfaces as they were at
//! start, the LAN's prefix, and the OS's [`Steering`] that undoes what start changed.

use crate::imp::{Steering, TunDevice};
use crate::{InterfaceInfo, Ipv4Net, PlatformError};

/// A running gateway: the open adapter plus the steering around it, recorded in the journal.
///
/// Call [`Gateway::stop`] to undo everything, or split it with [`Gateway::into_parts`] when the
/// runtime needs to own the adapter. Dropping it without `stop` closes the adapter but leaves
/// the rest of the steering in place until `masq down` ([`crate::cleanup_stale`]) removes it
/// from the journal (on macOS pf then steers the LAN into an interface that no longer exists:
/// the LAN is cut off). Always `stop` a gateway that is done.
#[derive(Debug)]
pub struct Gateway {
    /// The virtual adapter the LAN's packets arrive on.
    pub tun: TunDevice,
    /// The uplink as it was at start.
    pub uplink: InterfaceInfo,
    /// The LAN interface, including the address masq may have added.
    pub lan: InterfaceInfo,
    /// The gateway's address and prefix on the LAN.
    pub lan_net: Ipv4Net,
    steering: Steering,
}

impl Gateway {
    /// What an OS's `start` hands over once everything is set up and journaled.
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "macos", target_os = "windows")),
        allow(dead_code, reason = "no backend starts a gateway on this OS")
    )]
    pub(crate) fn new(
        tun: TunDevice,
        uplink: InterfaceInfo,
        lan: InterfaceInfo,
        lan_net: Ipv4Net,
        steering: Steering,
    ) -> Gateway {
        Gateway {
            tun,
            uplink,
            lan,
            lan_net,
            steering,
        }
    }

    /// Undoes every change (newest first), closes the adapter and deletes the journal.
    ///
    /// If some change cannot be undone, the others still are, and the journal keeps the
    /// failures for `masq down` to retry.
    pub async fn stop(self) -> Result<(), PlatformError> {
        let Gateway { tun, steering, .. } = self;
        steering.stop_closing(tun).await
    }

    /// Splits off the adapter so the runtime's data path can own it while the [`Steering`]
    /// half is kept to undo everything later.
    pub fn into_parts(self) -> (TunDevice, Steering) {
        (self.tun, self.steering)
    }
}
