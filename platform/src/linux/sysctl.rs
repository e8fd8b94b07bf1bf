//! The kernel settings masq changes, written through `/proc/sys` files.
//!
//! Only settings of the LAN and TUN interfaces are touched, never `net.ipv4.ip_forward` or
//! `conf.all`: IPv4 forwarding is decided by the *receiving* interface's `forwarding` flag,
//! so enabling it on the LAN and the TUN lets the LAN reach the TUN and replies reach the LAN,
//! while the uplink keeps forwarding off and nothing is ever routed inward from it. IPv6 has
//! no such per-interface switch except `force_forwarding` (Linux 6.17+); without it IPv6 is
//! not offered rather than turning on `conf.all.forwarding`.
//!
//! `/proc/sys/net` resolves to the network namespace of the calling thread, which the tests
//! rely on. Interface names keep their dots in these paths (`conf/eth0.100/forwarding`).

use std::fmt;
use std::fs;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ifname::IfName;
use crate::PlatformError;

/// A setting masq may change; each maps to exactly one file under `/proc/sys/net`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub(crate) enum SysctlKey {
    /// `conf.<iface>.forwarding`: route packets that arrive on `iface`.
    Forwarding {
        /// The receiving interface.
        iface: IfName,
    },
    /// `conf.<iface>.rp_filter`: reverse-path filtering of packets arriving on `iface`.
    RpFilter {
        /// The receiving interface.
        iface: IfName,
    },
    /// `conf.<iface>.accept_local`: accept packets from a local source address on `iface`.
    AcceptLocal {
        /// The receiving interface.
        iface: IfName,
    },
    /// `ping_group_range`: groups allowed to open unprivileged ICMP echo sockets.
    PingGroupRange,
    /// `net.ipv6.conf.<iface>.force_forwarding` (Linux 6.17+): forward IPv6 packets arriving
    /// on `iface` without the global `conf.all.forwarding`, which would turn every interface,
    /// the uplink included, into a router that ignores router advertisements.
    Ipv6ForceForwarding {
        /// The receiving interface.
        iface: IfName,
    },
    /// `net.ipv6.conf.<iface>.forwarding`: router behaviour on `iface` (the Router flag in
    /// neighbour advertisements, no autoconfiguration from others' advertisements). Without
    /// it hosts that learned the gateway from its router advertisement drop it again at the
    /// first neighbour advertisement lacking the flag (RFC 4861 section 7.2.5). Forwarding
    /// itself is `force_forwarding`'s job; this flag alone forwards nothing.
    Ipv6Forwarding {
        /// The LAN interface.
        iface: IfName,
    },
}

impl SysctlKey {
    /// The file under `/proc/sys` that holds the setting.
    pub(crate) fn path(&self) -> PathBuf {
        let base = PathBuf::from("/proc/sys/net/ipv4");
        match self {
            SysctlKey::Forwarding { iface } => {
                base.join("conf").join(iface.as_str()).join("forwarding")
            }
            SysctlKey::RpFilter { iface } => {
                base.join("conf").join(iface.as_str()).join("rp_filter")
            }
            SysctlKey::AcceptLocal { iface } => {
                base.join("conf").join(iface.as_str()).join("accept_local")
            }
            SysctlKey::PingGroupRange => base.join("ping_group_range"),
            SysctlKey::Ipv6ForceForwarding { iface } => PathBuf::from("/proc/sys/net/ipv6/conf")
                .join(iface.as_str())
                .join("force_forwarding"),
            SysctlKey::Ipv6Forwarding { iface } => PathBuf::from("/proc/sys/net/ipv6/conf")
                .join(iface.as_str())
                .join("forwarding"),
        }
    }

    /// Reads the current value, trimmed.
    pub(crate) fn read(&self) -> Result<String, PlatformError> {
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(value) => Ok(value.trim().to_owned()),
            Err(source) => Err(PlatformError::Sysctl {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Writes a new value.
    pub(crate) fn write(&self, value: &str) -> Result<(), PlatformError> {
        self.write_raw(value)
            .map_err(|source| PlatformError::Sysctl {
                action: "write",
                path: self.path(),
                source,
            })
    }

    /// Writes a new value, returning the bare OS error (for "already gone" checks).
    pub(crate) fn write_raw(&self, value: &str) -> io::Result<()> {
        fs::write(self.path(), format!("{value}\n"))
    }
}

impl fmt::Display for SysctlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path().display())
    }
}

/// An inclusive group-id range as in `ping_group_range`; `low > high` means "nobody" (the
/// kernel's default is `1 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupRange {
    pub(crate) low: u32,
    pub(crate) high: u32,
}

impl GroupRange {
    /// Parses the file's `low<TAB>high` form.
    pub(crate) fn parse(text: &str) -> Option<GroupRange> {
        let mut parts = text.split_whitespace();
        let low = parts.next()?.parse().ok()?;
        let high = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(GroupRange { low, high })
    }

    /// Whether `gid` may open ping sockets.
    pub(crate) fn contains(self, gid: u32) -> bool {
        self.low <= gid && gid <= self.high
    }

    /// The smallest widening of this range that admits `gid`, or `None` if it already does.
    pub(crate) fn widened_to(self, gid: u32) -> Option<GroupRange> {
        if self.contains(gid) {
            None
        } else if self.low > self.high {
            Some(GroupRange {
                low: gid,
                high: gid,
            })
        } else {
            Some(GroupRange {
                low: self.low.min(gid),
                high: self.high.max(gid),
            })
        }
    }
}

impl fmt::Display for GroupRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\t{}", self.low, self.high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str) -> IfName {
        IfName::new(name).unwrap()
    }

    #[test]
    fn paths_are_built_from_validated_names() {
        assert_eq!(
            SysctlKey::Forwarding {
                iface: iface("eth0")
            }
            .path(),
            PathBuf::from("/proc/sys/net/ipv4/conf/eth0/forwarding")
        );
        assert_eq!(
            SysctlKey::RpFilter {
                iface: iface("eth0.100")
            }
            .path(),
            PathBuf::from("/proc/sys/net/ipv4/conf/eth0.100/rp_filter")
        );
        assert_eq!(
            SysctlKey::AcceptLocal {
                iface: iface("masq0")
            }
            .path(),
            PathBuf::from("/proc/sys/net/ipv4/conf/masq0/accept_local")
        );
        assert_eq!(
            SysctlKey::PingGroupRange.path(),
            PathBuf::from("/proc/sys/net/ipv4/ping_group_range")
        );
        assert_eq!(
            SysctlKey::Ipv6ForceForwarding {
                iface: iface("eth1")
            }
            .path(),
            PathBuf::from("/proc/sys/net/ipv6/conf/eth1/force_forwarding")
        );
        assert_eq!(
            SysctlKey::Ipv6Forwarding {
                iface: iface("eth1")
            }
            .path(),
            PathBuf::from("/proc/sys/net/ipv6/conf/eth1/forwarding")
        );
    }

    #[test]
    fn keys_roundtrip_through_json_and_reject_bad_names() {
        let key = SysctlKey::RpFilter {
            iface: iface("masq0"),
        };
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<SysctlKey>(&json).unwrap(), key);
        let evil = r#"{"setting":"forwarding","iface":"../../../kernel"}"#;
        assert!(serde_json::from_str::<SysctlKey>(evil).is_err());
    }

    #[test]
    fn ping_group_range_parsing() {
        assert_eq!(
            GroupRange::parse("1\t0\n"),
            Some(GroupRange { low: 1, high: 0 })
        );
        assert_eq!(
            GroupRange::parse("0 2147483647"),
            Some(GroupRange {
                low: 0,
                high: 2147483647
            })
        );
        assert_eq!(GroupRange::parse("0"), None);
        assert_eq!(GroupRange::parse("a b"), None);
        assert_eq!(GroupRange::parse("1 2 3"), None);
        assert_eq!(
            GroupRange {
                low: 100,
                high: 200
            }
            .to_string(),
            "100\t200"
        );
    }

    #[test]
    fn ping_group_range_widening() {
        let default = GroupRange { low: 1, high: 0 };
        assert!(!default.contains(0));
        assert_eq!(default.widened_to(0), Some(GroupRange { low: 0, high: 0 }));
        assert_eq!(
            default.widened_to(1000),
            Some(GroupRange {
                low: 1000,
                high: 1000
            })
        );

        let users = GroupRange {
            low: 100,
            high: 200,
        };
        assert_eq!(users.widened_to(150), None);
        assert_eq!(users.widened_to(0), Some(GroupRange { low: 0, high: 200 }));
        assert_eq!(
            users.widened_to(300),
            Some(GroupRange {
                low: 100,
                high: 300
            })
        );
        assert_eq!(
            GroupRange {
                low: 0,
                high: 2147483647
            }
            .widened_to(0),
            None
        );
    }
}
