//! When masq must refuse to start on Windows because something else already forwards or
//! shares on the interfaces it would use.
//!
//! - **Internet Connection Sharing** (the SharedAccess service, also behind Mobile Hotspot)
//!   runs its own kernel NAT from a public to a private connection and gives the private side
//!   192.168.137.1/24. Two NATs on the same LAN fight over it: masq refuses and says how to
//!   turn ICS off.
//! - **Forwarding or weak-host send on the uplink** (ICS's public side, WSL's mirrored mode,
//!   Hyper-V switches): then packets of masq's own uplink sockets can be routed back into its
//!   adapter and loop. masq refuses rather than storm.
//! - **Weak-host receive on the uplink**: the uplink would accept packets for the gateway's
//!   LAN address, and the LAN services (bound to that address on Windows) would answer the
//!   uplink side. masq refuses.

use std::net::Ipv4Addr;

use crate::PlatformError;

/// The address ICS always gives the private connection.
pub(crate) const ICS_PRIVATE_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 1);

/// What masq read about the system before starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Observed {
    /// The SharedAccess (ICS) service is running.
    pub ics_running: bool,
    /// The uplink's IPv4 ForwardingEnabled.
    pub uplink_forwarding: bool,
    /// The uplink's IPv4 WeakHostSend.
    pub uplink_weak_host_send: bool,
    /// The uplink's IPv4 WeakHostReceive.
    pub uplink_weak_host_receive: bool,
    /// The LAN interface already holds 192.168.137.1.
    pub lan_has_ics_address: bool,
}

/// Refuses with a clear error when ICS or a forwarding uplink is in the way.
pub(crate) fn check(seen: Observed, uplink: &str, lan: &str) -> Result<(), PlatformError> {
    if seen.ics_running && (seen.lan_has_ics_address || seen.uplink_forwarding) {
        return Err(PlatformError::Conflict {
            what: format!(
                "Windows Internet Connection Sharing (or Mobile Hotspot) is sharing `{uplink}` with `{lan}`"
            ),
            advice: "two NATs cannot serve one LAN: turn it off (Settings > Network > Mobile hotspot, or the Sharing tab of the uplink's adapter properties) and start masq again",
        });
    }
    if seen.uplink_forwarding || seen.uplink_weak_host_send {
        let which = if seen.uplink_forwarding {
            "IP forwarding"
        } else {
            "weak-host send"
        };
        return Err(PlatformError::Conflict {
            what: format!("{which} on the uplink `{uplink}`"),
            advice: "masq's own packets could be routed back into its adapter and loop; this is set by Internet Connection Sharing, WSL mirrored networking or a Hyper-V switch: turn that off (or run `Set-NetIPInterface -Forwarding Disabled -WeakHostSend Disabled` on the uplink) and start again",
        });
    }
    if seen.uplink_weak_host_receive {
        return Err(PlatformError::Conflict {
            what: format!("weak-host receive on the uplink `{uplink}`"),
            advice: "the uplink would accept packets for the gateway's LAN address, so hosts on the uplink side could reach masq's DHCP and DNS, which answer the LAN only; this is set by Hyper-V or WSL networking: turn it off (`Set-NetIPInterface -WeakHostReceive Disabled` on the uplink) and start again",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_system_passes() {
        assert!(check(Observed::default(), "Wi-Fi", "Ethernet").is_ok());
        let ics_idle = Observed {
            ics_running: true,
            ..Observed::default()
        };
        assert!(
            check(ics_idle, "Wi-Fi", "Ethernet").is_ok(),
            "the service runs on many machines without sharing anything"
        );
    }

    #[test]
    fn ics_on_the_lan_is_named() {
        let seen = Observed {
            ics_running: true,
            lan_has_ics_address: true,
            ..Observed::default()
        };
        let msg = check(seen, "Wi-Fi", "Ethernet").unwrap_err().to_string();
        assert!(msg.contains("Internet Connection Sharing"), "{msg}");
        assert!(msg.contains("Wi-Fi") && msg.contains("Ethernet"), "{msg}");
    }

    #[test]
    fn loop_prone_uplinks_are_refused() {
        let fwd = Observed {
            uplink_forwarding: true,
            ..Observed::default()
        };
        let msg = check(fwd, "Wi-Fi", "Ethernet").unwrap_err().to_string();
        assert!(msg.contains("IP forwarding on the uplink `Wi-Fi`"), "{msg}");
        let weak = Observed {
            uplink_weak_host_send: true,
            ..Observed::default()
        };
        let msg = check(weak, "Wi-Fi", "Ethernet").unwrap_err().to_string();
        assert!(msg.contains("weak-host send"), "{msg}");
    }

    #[test]
    fn an_uplink_that_accepts_the_lans_addresses_is_refused() {
        let weak = Observed {
            uplink_weak_host_receive: true,
            ..Observed::default()
        };
        let msg = check(weak, "Wi-Fi", "Ethernet").unwrap_err().to_string();
        assert!(
            msg.contains("weak-host receive on the uplink `Wi-Fi`"),
            "{msg}"
        );
    }
}
