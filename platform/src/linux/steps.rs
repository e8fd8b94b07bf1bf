//! The changes the Linux backend makes, as recorded in the crash journal.
//!
//! Each step holds exactly what is needed to undo it later without the process that made it:
//! names rather than indexes (an index dies with its interface), the routing table and
//! priority, and a setting's previous value. Display gives the line shown by `masq down`.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ifname::IfName;
use super::sysctl::SysctlKey;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum Step {
    /// The TUN adapter was created (it vanishes when its fd closes; recorded for cleanup
    /// reports and in case another process still holds it open).
    TunCreated {
        /// Adapter name.
        name: IfName,
    },
    /// An IPv4 or IPv6 address was added to an interface (masq only records addresses it
    /// added). Journals written before IPv6 hold IPv4 text, which still reads as `IpAddr`.
    AddressAdded {
        /// The interface.
        iface: IfName,
        /// The address.
        address: IpAddr,
        /// Its prefix length.
        prefix: u8,
    },
    /// A route was added to masq's routing table.
    RouteAdded {
        /// Routing table.
        table: u32,
        /// Destination network address (IPv4 or IPv6).
        destination: IpAddr,
        /// Destination prefix length.
        prefix: u8,
        /// Outgoing interface.
        iface: IfName,
    },
    /// The `iif <lan> lookup <table>` policy rule was added.
    RuleAdded {
        /// Incoming interface matched.
        iif: IfName,
        /// Table looked up.
        table: u32,
        /// Rule priority.
        priority: u32,
        /// An IPv6 rule (absent in journals written before IPv6, which only had IPv4 rules).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        v6: bool,
    },
    /// masq's nftables table that keeps the LAN closed to forwarded traffic was added.
    GuardAdded {
        /// Table name (family `inet`).
        table: String,
    },
    /// A kernel setting was changed from `old`.
    SysctlChanged {
        /// The setting.
        key: SysctlKey,
        /// Its value before masq changed it.
        old: String,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::TunCreated { name } => write!(f, "TUN adapter {name}"),
            Step::AddressAdded {
                iface,
                address,
                prefix,
            } => write!(f, "address {address}/{prefix} on {iface}"),
            Step::RouteAdded {
                table,
                destination,
                prefix,
                iface,
            } => {
                write!(f, "route {destination}/{prefix} dev {iface} table {table}")
            }
            Step::RuleAdded {
                iif,
                table,
                priority,
                v6,
            } => {
                let family = if *v6 { "-6 " } else { "" };
                write!(
                    f,
                    "rule {family}iif {iif} lookup {table} priority {priority}"
                )
            }
            Step::GuardAdded { table } => write!(f, "nftables table inet {table}"),
            Step::SysctlChanged { key, old } => write!(f, "setting {key} (restored to {old:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use std::net::Ipv4Addr;

    fn name(n: &str) -> IfName {
        IfName::new(n).unwrap()
    }

    fn all_steps() -> Vec<Step> {
        vec![
            Step::TunCreated {
                name: name("masq0"),
            },
            Step::AddressAdded {
                iface: name("eth1"),
                address: Ipv4Addr::new(192, 168, 137, 1).into(),
                prefix: 24,
            },
            Step::RouteAdded {
                table: 28017,
                destination: Ipv4Addr::UNSPECIFIED.into(),
                prefix: 0,
                iface: name("masq0"),
            },
            Step::RuleAdded {
                iif: name("eth1"),
                table: 28017,
                priority: 5210,
                v6: false,
            },
            Step::SysctlChanged {
                key: SysctlKey::Forwarding {
                    iface: name("eth1"),
                },
                old: "0".into(),
            },
            Step::SysctlChanged {
                key: SysctlKey::PingGroupRange,
                old: "1\t0".into(),
            },
            Step::AddressAdded {
                iface: name("eth1"),
                address: "fd00:6d71::1".parse().unwrap(),
                prefix: 64,
            },
            Step::RouteAdded {
                table: 28017,
                destination: "::".parse().unwrap(),
                prefix: 0,
                iface: name("masq0"),
            },
            Step::RuleAdded {
                iif: name("eth1"),
                table: 28017,
                priority: 5210,
                v6: true,
            },
            Step::SysctlChanged {
                key: SysctlKey::Ipv6ForceForwarding {
                    iface: name("eth1"),
                },
                old: "0".into(),
            },
            Step::GuardAdded {
                table: "masq_masq0".into(),
            },
        ]
    }

    #[test]
    fn every_step_roundtrips_through_json() {
        for step in all_steps() {
            let json = serde_json::to_string(&step).unwrap();
            assert_eq!(serde_json::from_str::<Step>(&json).unwrap(), step, "{json}");
        }
    }

    #[test]
    fn json_is_readable_by_humans() {
        let json = serde_json::to_string(&Step::RuleAdded {
            iif: name("eth1"),
            table: 28017,
            priority: 5210,
            v6: false,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"step":"rule_added","iif":"eth1","table":28017,"priority":5210}"#
        );
    }

    #[test]
    fn journal_of_steps_roundtrips_on_disk() {
        let dir = std::env::temp_dir().join(format!("masq-steps-test-{}", std::process::id()));
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
    fn display_lines() {
        let lines: Vec<String> = all_steps().iter().map(ToString::to_string).collect();
        assert_eq!(lines[0], "TUN adapter masq0");
        assert_eq!(lines[1], "address 192.168.137.1/24 on eth1");
        assert_eq!(lines[2], "route 0.0.0.0/0 dev masq0 table 28017");
        assert_eq!(lines[3], "rule iif eth1 lookup 28017 priority 5210");
        assert_eq!(
            lines[4],
            "setting /proc/sys/net/ipv4/conf/eth1/forwarding (restored to \"0\")"
        );
        assert_eq!(lines[6], "address fd00:6d71::1/64 on eth1");
        assert_eq!(lines[7], "route ::/0 dev masq0 table 28017");
        assert_eq!(lines[8], "rule -6 iif eth1 lookup 28017 priority 5210");
        assert_eq!(
            lines[9],
            "setting /proc/sys/net/ipv6/conf/eth1/force_forwarding (restored to \"0\")"
        );
        assert_eq!(lines[10], "nftables table inet masq_masq0");
    }

    #[test]
    fn journals_written_before_ipv6_still_load() {
        let old = r#"{"step":"rule_added","iif":"eth1","table":28017,"priority":5210}"#;
        assert_eq!(
            serde_json::from_str::<Step>(old).unwrap(),
            Step::RuleAdded {
                iif: name("eth1"),
                table: 28017,
                priority: 5210,
                v6: false,
            }
        );
        let old =
            r#"{"step":"address_added","iface":"eth1","address":"192.168.137.1","prefix":24}"#;
        assert!(matches!(
            serde_json::from_str::<Step>(old).unwrap(),
            Step::AddressAdded {
                address: IpAddr::V4(_),
                ..
            }
        ));
    }
}
