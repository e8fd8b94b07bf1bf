//! What the runtime asks the platform to set up: the input of [`crate::start`].
//!
//! The CLI fills it from flags and the config file; the defaults here are the ones documented
//! to users (routing table `0x6d71`, "mq" in ASCII, and rule priority 5210, both picked to be
//! unlikely to clash with distribution or VPN defaults, which use tables 253-255 and
//! priorities 0, 32766, 32767 and the low thousands).

use std::path::PathBuf;

use ipnet::{Ipv4Net, Ipv6Net};

/// Routing table that holds masq's routes by default ("mq" in ASCII).
pub const DEFAULT_ROUTE_TABLE: u32 = 0x6d71;

/// Priority of masq's policy rule by default: before `main` (32766), after `local` (0).
pub const DEFAULT_RULE_PRIORITY: u32 = 5210;

/// Everything [`crate::start`] needs to steer a LAN's traffic through masq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySpec {
    /// The interface with internet access, e.g. `wlan0`; uplink sockets are pinned to it.
    pub uplink: String,
    /// The interface the hidden hosts are on.
    pub lan: String,
    /// The gateway's address and prefix on the LAN, e.g. `192.168.137.1/24`. It is added to the
    /// LAN interface if missing (and removed on stop only if masq added it). `None` uses the
    /// LAN interface's first IPv4 address.
    pub lan_addr: Option<Ipv4Net>,
    /// The gateway's IPv6 address and prefix on the LAN (e.g. `fd00:6d71::1/64`) when IPv6 is
    /// offered: added to the LAN interface if missing, routed and forwarded like IPv4. `None`
    /// leaves IPv6 alone (the uplink has none, or [`crate::check_ipv6_uplink`] said no).
    /// Linux only for now; other backends ignore it and the check says so.
    pub lan_v6: Option<Ipv6Net>,
    /// Name of the virtual adapter to create, e.g. `masq0`.
    pub tun_name: String,
    /// MTU of the virtual adapter.
    pub tun_mtu: u16,
    /// Ask for segmentation offload on the adapter where the OS has it (Linux TSO); the
    /// adapter reports whether it got it (`TunDevice::offload`).
    pub tun_offload: bool,
    /// Routing table for the LAN's traffic.
    pub route_table: u32,
    /// Priority of the `iif <lan> lookup <table>` rule.
    pub rule_priority: u32,
    /// Journal of every change made, so a crash can be cleaned up by `masq down`.
    pub state_file: PathBuf,
}

impl GatewaySpec {
    /// A spec with the documented defaults for everything but the interfaces and the journal.
    pub fn new(
        uplink: impl Into<String>,
        lan: impl Into<String>,
        state_file: impl Into<PathBuf>,
    ) -> Self {
        GatewaySpec {
            uplink: uplink.into(),
            lan: lan.into(),
            lan_addr: None,
            lan_v6: None,
            tun_name: "masq0".to_owned(),
            tun_mtu: 1500,
            tun_offload: true,
            route_table: DEFAULT_ROUTE_TABLE,
            rule_priority: DEFAULT_RULE_PRIORITY,
            state_file: state_file.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_spells_mq() {
        assert_eq!(DEFAULT_ROUTE_TABLE.to_be_bytes()[2..], *b"mq");
        let spec = GatewaySpec::new("wlan0", "eth0", "/run/masq/state.json");
        assert_eq!(spec.route_table, 28017);
        assert_eq!(spec.rule_priority, 5210);
        assert_eq!(spec.lan_addr, None);
    }
}
