//! The `[dhcp]` and `[dns]` sections of the settings: the LAN services masq runs at the
//! gateway address so that a device joining the LAN needs no manual set-up.
//!
//! Both are on by default, like Windows Internet Connection Sharing. Addresses that depend on
//! the LAN prefix (the pool) default to `None` and are derived from the prefix when sharing
//! starts (host .10 to the last host address); when `lan_addr` is set they are validated
//! against it here, otherwise against the interface's address at start.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::lan_cidr::LanCidr;
use crate::mac::MacAddr;
use crate::settings_error::SettingsError;

/// Shortest lease masq hands out: below two minutes clients spend their time renewing.
pub const MIN_LEASE_SECS: u32 = 120;
/// Longest lease: one week, after which a departed device's address returns to the pool.
pub const MAX_LEASE_SECS: u32 = 604_800;
/// Most DNS answers the forwarder caches (each a few hundred bytes).
pub const MAX_DNS_CACHE_ENTRIES: u32 = 65_536;
/// Most DNS queries forwarded at once; more are answered with SERVFAIL.
pub const MAX_DNS_IN_FLIGHT: u32 = 4_096;

/// The DHCPv4 server on the LAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DhcpSettings {
    /// Serve DHCP on the LAN; off when another server already does.
    pub enabled: bool,
    /// First address of the pool; `None`: host 10 of the LAN prefix (192.168.137.10).
    pub pool_start: Option<Ipv4Addr>,
    /// Last address of the pool; `None`: the last host address (192.168.137.254).
    pub pool_end: Option<Ipv4Addr>,
    /// Lease length in seconds.
    pub lease_time: u32,
    /// Fixed addresses for chosen devices, by MAC.
    pub reservations: Vec<Reservation>,
    /// Where leases are kept across restarts; `None`: `leases.json` in masq's data directory.
    pub lease_file: Option<PathBuf>,
}

impl Default for DhcpSettings {
    fn default() -> Self {
        DhcpSettings {
            enabled: true,
            pool_start: None,
            pool_end: None,
            lease_time: 3600,
            reservations: Vec::new(),
            lease_file: None,
        }
    }
}

/// One device that always gets the same address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// The device's Ethernet address.
    pub mac: MacAddr,
    /// The address it gets (inside the LAN prefix, not the gateway's).
    pub ip: Ipv4Addr,
    /// Name served by the DNS forwarder, overriding the one the device sends.
    #[serde(default)]
    pub hostname: Option<String>,
}

/// The DNS forwarder at the gateway address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsSettings {
    /// Answer DNS at the gateway address (UDP and TCP port 53).
    pub enabled: bool,
    /// Domain of LAN hosts' names: a DHCP client called `laptop` is `laptop.<domain>`.
    pub domain: String,
    /// Where the host's resolvers are listed; re-read when it changes.
    pub resolv_conf: PathBuf,
    /// Answers kept in the cache (0 turns the cache off).
    pub cache_entries: u32,
    /// Queries forwarded at once; beyond it clients get SERVFAIL and retry.
    pub max_in_flight: u32,
}

impl Default for DnsSettings {
    fn default() -> Self {
        DnsSettings {
            enabled: true,
            domain: "lan".to_owned(),
            resolv_conf: PathBuf::from("/etc/resolv.conf"),
            cache_entries: 1024,
            max_in_flight: 256,
        }
    }
}

impl DhcpSettings {
    /// Checks the section; `lan` is the LAN prefix when known.
    pub fn validate(&self, lan: Option<LanCidr>) -> Result<(), SettingsError> {
        if !(MIN_LEASE_SECS..=MAX_LEASE_SECS).contains(&self.lease_time) {
            return Err(SettingsError::new(
                "dhcp.lease_time",
                self.lease_time,
                &format!("{MIN_LEASE_SECS} to {MAX_LEASE_SECS} seconds"),
            ));
        }
        for (key, addr) in [
            ("dhcp.pool_start", self.pool_start),
            ("dhcp.pool_end", self.pool_end),
        ] {
            let Some(addr) = addr else { continue };
            check_host(key, addr, lan)?;
        }
        if let (Some(start), Some(end)) = (self.pool_start, self.pool_end) {
            if start > end {
                return Err(SettingsError::new(
                    "dhcp.pool_end",
                    end,
                    &format!("an address not below dhcp.pool_start ({start})"),
                ));
            }
        }
        let mut macs = BTreeSet::new();
        let mut ips = BTreeSet::new();
        for (i, r) in self.reservations.iter().enumerate() {
            let key = format!("dhcp.reservations[{i}]");
            check_host(&format!("{key}.ip"), r.ip, lan)?;
            if lan.is_some_and(|l| l.addr() == r.ip) {
                return Err(SettingsError::new(
                    &format!("{key}.ip"),
                    r.ip,
                    "an address other than the gateway's own",
                ));
            }
            if !macs.insert(r.mac) {
                return Err(SettingsError::new(
                    &format!("{key}.mac"),
                    r.mac,
                    "a MAC not reserved twice",
                ));
            }
            if !ips.insert(r.ip) {
                return Err(SettingsError::new(
                    &format!("{key}.ip"),
                    r.ip,
                    "an address not reserved twice",
                ));
            }
            if let Some(name) = &r.hostname {
                if !is_dns_label(name) {
                    return Err(SettingsError::new(
                        &format!("{key}.hostname"),
                        format!("{name:?}"),
                        "a host name of 1 to 63 letters, digits and inner hyphens",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl DnsSettings {
    /// Checks the section.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let domain_ok = !self.domain.is_empty()
            && self.domain.len() <= 200
            && self.domain.split('.').all(is_dns_label);
        if !domain_ok {
            return Err(SettingsError::new(
                "dns.domain",
                format!("{:?}", self.domain),
                "a domain such as lan or home.arpa (labels of letters, digits and inner hyphens)",
            ));
        }
        if self.cache_entries > MAX_DNS_CACHE_ENTRIES {
            return Err(SettingsError::new(
                "dns.cache_entries",
                self.cache_entries,
                &format!("0 to {MAX_DNS_CACHE_ENTRIES}"),
            ));
        }
        if !(1..=MAX_DNS_IN_FLIGHT).contains(&self.max_in_flight) {
            return Err(SettingsError::new(
                "dns.max_in_flight",
                self.max_in_flight,
                &format!("1 to {MAX_DNS_IN_FLIGHT}"),
            ));
        }
        if self.resolv_conf.as_os_str().is_empty() {
            return Err(SettingsError::new(
                "dns.resolv_conf",
                "\"\"",
                "the path of a resolv.conf file, such as /etc/resolv.conf",
            ));
        }
        Ok(())
    }
}

/// Whether `label` is one DNS label by the host-name rules (RFC 1123 §2.1).
pub fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

fn check_host(key: &str, addr: Ipv4Addr, lan: Option<LanCidr>) -> Result<(), SettingsError> {
    if addr.is_loopback() || addr.is_multicast() || addr.is_broadcast() || addr.is_unspecified() {
        return Err(SettingsError::new(key, addr, "a unicast IPv4 address"));
    }
    if let Some(lan) = lan {
        if !lan.is_host(addr) {
            return Err(SettingsError::new(
                key,
                addr,
                &format!(
                    "a host address inside the LAN {}/{} (lan_addr)",
                    lan.network(),
                    lan.prefix_len()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lan() -> Option<LanCidr> {
        Some("192.168.137.1/24".parse().unwrap())
    }

    fn reservation(mac: &str, ip: [u8; 4]) -> Reservation {
        Reservation {
            mac: mac.parse().unwrap(),
            ip: ip.into(),
            hostname: None,
        }
    }

    #[test]
    fn defaults_are_valid_and_on() {
        let d = DhcpSettings::default();
        d.validate(lan()).unwrap();
        d.validate(None).unwrap();
        assert!(d.enabled && DnsSettings::default().enabled);
        DnsSettings::default().validate().unwrap();
    }

    #[test]
    fn dhcp_errors_name_key_and_range() {
        let check = |s: DhcpSettings, key: &str, expected: &str| {
            let e = s.validate(lan()).unwrap_err();
            assert_eq!(e.key, key, "{e}");
            assert!(e.to_string().contains(expected), "{e}");
        };
        let base = DhcpSettings::default;
        check(
            DhcpSettings {
                lease_time: 60,
                ..base()
            },
            "dhcp.lease_time",
            "120 to 604800 seconds",
        );
        check(
            DhcpSettings {
                pool_start: Some([10, 0, 0, 5].into()),
                ..base()
            },
            "dhcp.pool_start",
            "inside the LAN 192.168.137.0/24",
        );
        check(
            DhcpSettings {
                pool_end: Some([192, 168, 137, 255].into()),
                ..base()
            },
            "dhcp.pool_end",
            "host address",
        );
        check(
            DhcpSettings {
                pool_start: Some([192, 168, 137, 100].into()),
                pool_end: Some([192, 168, 137, 50].into()),
                ..base()
            },
            "dhcp.pool_end",
            "not below dhcp.pool_start",
        );
        check(
            DhcpSettings {
                reservations: vec![reservation("02:00:00:00:00:01", [192, 168, 137, 1])],
                ..base()
            },
            "dhcp.reservations[0].ip",
            "other than the gateway",
        );
        check(
            DhcpSettings {
                reservations: vec![
                    reservation("02:00:00:00:00:01", [192, 168, 137, 20]),
                    reservation("02:00:00:00:00:01", [192, 168, 137, 21]),
                ],
                ..base()
            },
            "dhcp.reservations[1].mac",
            "not reserved twice",
        );
        let mut named = reservation("02:00:00:00:00:01", [192, 168, 137, 20]);
        named.hostname = Some("bad name".into());
        check(
            DhcpSettings {
                reservations: vec![named],
                ..base()
            },
            "dhcp.reservations[0].hostname",
            "host name",
        );
    }

    #[test]
    fn dns_errors_name_key_and_range() {
        for (s, key) in [
            (
                DnsSettings {
                    domain: "-x".into(),
                    ..DnsSettings::default()
                },
                "dns.domain",
            ),
            (
                DnsSettings {
                    domain: "a..b".into(),
                    ..DnsSettings::default()
                },
                "dns.domain",
            ),
            (
                DnsSettings {
                    cache_entries: 70_000,
                    ..DnsSettings::default()
                },
                "dns.cache_entries",
            ),
            (
                DnsSettings {
                    max_in_flight: 0,
                    ..DnsSettings::default()
                },
                "dns.max_in_flight",
            ),
            (
                DnsSettings {
                    resolv_conf: PathBuf::new(),
                    ..DnsSettings::default()
                },
                "dns.resolv_conf",
            ),
        ] {
            assert_eq!(s.validate().unwrap_err().key, key);
        }
        DnsSettings {
            domain: "home.arpa".into(),
            cache_entries: 0,
            ..DnsSettings::default()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn partial_sections_fill_defaults() {
        let d: DhcpSettings = serde_json::from_str(
            r#"{"lease_time":600,"reservations":[{"mac":"02:00:00:00:00:07","ip":"192.168.137.7"}]}"#,
        )
        .unwrap();
        assert!(d.enabled);
        assert_eq!(d.lease_time, 600);
        assert_eq!(d.reservations[0].hostname, None);
        assert!(serde_json::from_str::<DnsSettings>(r#"{"domian":"x"}"#).is_err());
    }
}
