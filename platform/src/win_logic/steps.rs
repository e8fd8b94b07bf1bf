//! The changes the Windows backend makes, as recorded in the crash journal.
//!
//! Interfaces are recorded by alias (the name users see, e.g. "Ethernet 2"), not by index or
//! LUID: cleanup may run after a reboot or after the adapter was recreated, and an alias is
//! what can be looked up again. Changes to masq's own adapter (its address, metric, MTU) are
//! not recorded: they die with the adapter. The routes on it are, because they are what would
//! take the host offline if they outlived masq.

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum Step {
    /// masq's Wintun adapter was created.
    AdapterCreated {
        /// Its alias.
        name: String,
    },
    /// An IPv4 address was added to an interface (only addresses masq added).
    AddressAdded {
        /// Interface alias.
        iface: String,
        /// The address.
        address: Ipv4Addr,
        /// Its on-link prefix length.
        prefix: u8,
    },
    /// A steering route was added.
    RouteAdded {
        /// Alias of the interface the route points at (masq's adapter).
        iface: String,
        /// Destination network.
        destination: Ipv4Addr,
        /// Destination prefix length.
        prefix: u8,
    },
    /// IPv4 forwarding of an interface was changed from `old`.
    ForwardingChanged {
        /// Interface alias.
        iface: String,
        /// ForwardingEnabled before masq changed it.
        old: bool,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::AdapterCreated { name } => write!(f, "Wintun adapter \"{name}\""),
            Step::AddressAdded {
                iface,
                address,
                prefix,
            } => write!(f, "address {address}/{prefix} on \"{iface}\""),
            Step::RouteAdded {
                iface,
                destination,
                prefix,
            } => write!(f, "route {destination}/{prefix} via \"{iface}\""),
            Step::ForwardingChanged { iface, old } => write!(
                f,
                "IPv4 forwarding on \"{iface}\" (restored to {})",
                if *old { "enabled" } else { "disabled" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    pub(crate) fn all_steps() -> Vec<Step> {
        vec![
            Step::AdapterCreated {
                name: "masq".into(),
            },
            Step::AddressAdded {
                iface: "Ethernet 2".into(),
                address: Ipv4Addr::new(192, 168, 137, 1),
                prefix: 24,
            },
            Step::RouteAdded {
                iface: "masq".into(),
                destination: Ipv4Addr::new(128, 0, 0, 0),
                prefix: 1,
            },
            Step::ForwardingChanged {
                iface: "Ethernet 2".into(),
                old: false,
            },
        ]
    }

    #[test]
    fn steps_roundtrip_through_a_journal_on_disk() {
        let dir = std::env::temp_dir().join(format!("masq-win-steps-{}", std::process::id()));
        let path = dir.join("state.json");
        let _ = std::fs::remove_dir_all(&dir);
        let mut journal: Journal<Step> = Journal::create(&path).unwrap();
        for step in all_steps() {
            journal.record(step).unwrap();
        }
        let loaded: Journal<Step> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(loaded.steps(), all_steps().as_slice());
        journal.remove().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn json_and_display_are_readable() {
        let json = serde_json::to_string(&all_steps()[3]).unwrap();
        assert_eq!(
            json,
            r#"{"step":"forwarding_changed","iface":"Ethernet 2","old":false}"#
        );
        let lines: Vec<String> = all_steps().iter().map(ToString::to_string).collect();
        assert_eq!(lines[0], "Wintun adapter \"masq\"");
        assert_eq!(lines[1], "address 192.168.137.1/24 on \"Ethernet 2\"");
        assert_eq!(lines[2], "route 128.0.0.0/1 via \"masq\"");
        assert_eq!(
            lines[3],
            "IPv4 forwarding on \"Ethernet 2\" (restored to disabled)"
        );
    }
}
