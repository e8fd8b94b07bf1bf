//! What a user can change about sharing: interfaces, the LAN address and the engine's knobs.
//!
//! [`Settings`] is the one editable document: the config file holds it, `masq up` builds it
//! from flags, the GUI edits it through `set_settings`. It is plain data; [`Settings::validate`]
//! is the single place that decides whether it is usable, and its errors name the key and the
//! accepted range so that every front end can show them unchanged.

use serde::{Deserialize, Serialize};

use masq_vocab::ForwardSpec;

use crate::engine_settings::EngineSettings;
use crate::lan_cidr::LanCidr;
use crate::lan_settings::{DhcpSettings, DnsSettings};
use crate::port_mapping_settings::PortMappingSettings;
use crate::settings_error::SettingsError;

/// Longest interface name: Linux and macOS accept 15 bytes (IFNAMSIZ is 16 with the NUL);
/// Windows names adapters by friendly names ("Ethernet 2", "Wi-Fi") of up to 256 characters.
const MAX_IFACE_NAME: usize = if cfg!(windows) { 256 } else { 15 };
/// Windows friendly names may contain spaces; Unix interface names never do.
const SPACES_ALLOWED: bool = cfg!(windows);

/// Everything the daemon needs to start sharing, as the user sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Interface with the internet connection; `None` picks the default-route interface when
    /// sharing starts, so a laptop that moves between networks needs no edit.
    pub uplink: Option<String>,
    /// Interface of the LAN to share with; sharing cannot start without it.
    pub lan: Option<String>,
    /// Gateway address and prefix on the LAN (e.g. `192.168.137.1/24`), added to the LAN
    /// interface if missing; `None` uses the interface's first IPv4 address.
    pub lan_addr: Option<String>,
    /// Name of the virtual adapter masq creates.
    pub tun: String,
    /// Watch the uplink for refused inbound attempts, so users can see why they fail.
    pub observe_inbound: bool,
    /// Engine limits and timeouts.
    pub engine: EngineSettings,
    /// The DHCPv4 server on the LAN.
    pub dhcp: DhcpSettings,
    /// The DNS forwarder at the gateway address.
    pub dns: DnsSettings,
    /// IPv6 on the LAN (router advertisements and IPv6 masquerading).
    pub ipv6: crate::Ipv6Settings,
    /// The NAT-PMP/PCP server through which LAN apps open inbound ports (off by default).
    pub port_mapping: PortMappingSettings,
    /// Port forwards: the only way connections from outside reach hidden hosts. In the config
    /// file each is a `[[forward]]` table.
    #[serde(rename = "forward")]
    pub forwards: Vec<ForwardSpec>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            uplink: None,
            lan: None,
            lan_addr: None,
            tun: "masq0".to_owned(),
            observe_inbound: true,
            engine: EngineSettings::default(),
            dhcp: DhcpSettings::default(),
            dns: DnsSettings::default(),
            ipv6: crate::Ipv6Settings::default(),
            port_mapping: PortMappingSettings::default(),
            forwards: Vec::new(),
        }
    }
}

impl Settings {
    /// Checks every field; the first offender is reported with its key and accepted range.
    ///
    /// The `[engine]` section is checked by `engine_check`, which the daemon supplies from
    /// the engine's own rules (this crate does not know the engine, so its clients do not
    /// either); its errors are expected under `engine.…` keys.
    pub fn validate(
        &self,
        engine_check: impl FnOnce(&EngineSettings) -> Result<(), SettingsError>,
    ) -> Result<(), SettingsError> {
        if let Some(uplink) = &self.uplink {
            check_iface_name("uplink", uplink)?;
        }
        if let Some(lan) = &self.lan {
            check_iface_name("lan", lan)?;
        }
        check_iface_name("tun", &self.tun)?;
        if self.lan.is_some() && self.lan == self.uplink {
            return Err(SettingsError::new(
                "lan",
                quoted(self.lan.as_deref().unwrap_or_default()),
                "an interface other than the uplink (sharing a connection with itself is a loop)",
            ));
        }
        for (key, other) in [("uplink", &self.uplink), ("lan", &self.lan)] {
            if other.as_deref() == Some(self.tun.as_str()) {
                return Err(SettingsError::new(
                    "tun",
                    quoted(&self.tun),
                    &format!(
                        "a name other than the {key} interface's: masq creates this adapter itself"
                    ),
                ));
            }
        }
        if let Some(cidr) = &self.lan_addr {
            cidr.parse::<LanCidr>().map_err(|reason| {
                SettingsError::new("lan_addr", quoted(cidr), &reason.to_string())
            })?;
        }
        engine_check(&self.engine)?;
        self.dhcp.validate(self.lan_cidr())?;
        self.ipv6.validate()?;
        self.dns.validate()?;
        self.port_mapping.validate()?;
        self.validate_forwards()
    }

    /// Each forward must be well formed, lead into the LAN (when its prefix is known) and
    /// own its public ports alone.
    fn validate_forwards(&self) -> Result<(), SettingsError> {
        for (i, f) in self.forwards.iter().enumerate() {
            let key = format!("forward[{i}]");
            let what = format!("{} {} -> {}", f.protocol, f.public, f.target);
            f.validate()
                .map_err(|e| SettingsError::new(&key, &what, &e.to_string()))?;
            if let Some(lan) = self.lan_cidr()
                && !lan.contains(*f.target.ip())
            {
                return Err(SettingsError::new(
                    &format!("{key}.target"),
                    f.target,
                    &format!(
                        "a host on the shared LAN {}/{}",
                        lan.addr(),
                        lan.prefix_len()
                    ),
                ));
            }
            if let Some(other) = self.forwards[..i]
                .iter()
                .find(|o| o.protocol == f.protocol && o.public.overlaps(f.public))
            {
                return Err(SettingsError::new(
                    &key,
                    &what,
                    &format!(
                        "public ports not already forwarded ({} {} is forwarded to {})",
                        other.protocol, other.public, other.target
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The parsed LAN address, if one is set and valid.
    pub fn lan_cidr(&self) -> Option<LanCidr> {
        self.lan_addr.as_deref().and_then(|s| s.parse().ok())
    }
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// Checks one interface name by the rules of [`Settings::validate`], reporting it under `key`;
/// lets front ends reject a bad name where it is typed (e.g. as a command-line flag).
pub fn check_iface_name(key: &str, name: &str) -> Result<(), SettingsError> {
    let ok = (1..=MAX_IFACE_NAME).contains(&name.len())
        && name != "."
        && name != ".."
        && name.trim() == name
        && !name.chars().any(|c| {
            c == '/' || c.is_control() || (c.is_whitespace() && !(SPACES_ALLOWED && c == ' '))
        });
    if ok {
        Ok(())
    } else {
        Err(SettingsError::new(
            key,
            quoted(name),
            if SPACES_ALLOWED {
                "an adapter name of 1 to 256 bytes, such as \"Ethernet 2\" (no '/', control characters or spaces at the ends)"
            } else {
                "an interface name of 1 to 15 bytes without '/', whitespace or NUL"
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    /// Accepts every engine section: these tests are about the other keys.
    fn engine_ok(_: &EngineSettings) -> Result<(), SettingsError> {
        Ok(())
    }

    fn sharing(uplink: &str, lan: &str) -> Settings {
        Settings {
            uplink: Some(uplink.into()),
            lan: Some(lan.into()),
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate(engine_ok).unwrap();
        sharing("wlan0", "eth1").validate(engine_ok).unwrap();
    }

    #[test]
    #[cfg(windows)]
    fn windows_adapter_names_may_have_spaces() {
        sharing("Ethernet 2", "Wi-Fi").validate(engine_ok).unwrap();
        for bad in ["", " Ethernet", "a/b", "tab\tname", ".."] {
            let e = sharing(bad, "eth1").validate(engine_ok).unwrap_err();
            assert_eq!(e.key, "uplink", "{bad:?}");
            assert!(e.to_string().contains("Ethernet 2"), "{e}");
        }
    }

    #[test]
    #[cfg(not(windows))]
    fn bad_interface_names_name_key_and_rule() {
        for bad in ["", "a/b", "eth 0", "nul\0x", "sixteen-chars-xx", ".."] {
            let e = sharing(bad, "eth1").validate(engine_ok).unwrap_err();
            assert_eq!(e.key, "uplink", "{bad:?}");
            assert!(e.to_string().contains("1 to 15 bytes"), "{e}");
        }
        let e = Settings {
            tun: "bad name".into(),
            ..Settings::default()
        }
        .validate(engine_ok)
        .unwrap_err();
        assert_eq!(e.key, "tun");
        sharing("exactly15chars_", "eth1")
            .validate(engine_ok)
            .unwrap();
    }

    #[test]
    fn interfaces_must_differ() {
        assert_eq!(
            sharing("eth0", "eth0").validate(engine_ok).unwrap_err().key,
            "lan"
        );
        let mut s = sharing("eth0", "eth1");
        s.tun = "eth1".into();
        let e = s.validate(engine_ok).unwrap_err();
        assert_eq!(e.key, "tun");
        assert!(e.expected.contains("lan"), "{e}");
    }

    #[test]
    fn lan_addr_is_checked() {
        let with = |cidr: &str| {
            Settings {
                lan_addr: Some(cidr.into()),
                ..Settings::default()
            }
            .validate(engine_ok)
        };
        with("192.168.137.1/24").unwrap();
        with("10.0.0.1/30").unwrap();
        for (bad, expected) in [
            ("192.168.137.1", "such as 192.168.137.1/24"),
            ("192.168.137.1/", "such as"),
            ("192.168.137.1/+4", "such as"),
            ("300.1.1.1/24", "such as"),
            ("192.168.137.1/31", "1 to 30"),
            ("192.168.137.1/0", "1 to 30"),
            ("192.168.137.1/99999", "1 to 30"),
            ("127.0.0.1/8", "unicast"),
            ("224.0.0.1/8", "unicast"),
            ("192.168.137.0/24", "host address"),
            ("192.168.137.255/24", "host address"),
        ] {
            let e = with(bad).unwrap_err();
            assert_eq!(e.key, "lan_addr", "{bad}");
            assert!(e.to_string().contains(expected), "{bad}: {e}");
            assert!(e.to_string().contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn the_lan_address_is_read_as_a_lan_cidr() {
        let s = Settings {
            lan_addr: Some("10.1.2.3/8".into()),
            ..Settings::default()
        };
        assert_eq!(s.lan_cidr().map(|c| c.prefix_len()), Some(8));
    }

    #[test]
    fn the_engine_section_is_judged_by_the_check_given() {
        let mut s = Settings::default();
        s.engine.udp.mapping_timeout = Duration::from_secs(30);
        let e = s
            .validate(|e| {
                Err(SettingsError::new(
                    "engine.udp.mapping_timeout",
                    e.udp.mapping_timeout.as_secs(),
                    "120 to 86400 seconds",
                ))
            })
            .unwrap_err();
        assert_eq!(e.key, "engine.udp.mapping_timeout");
        assert_eq!(e.value, "30");
    }

    #[test]
    fn lan_service_sections_are_validated_against_lan_addr() {
        let mut s = Settings {
            lan_addr: Some("10.9.0.1/24".into()),
            ..Settings::default()
        };
        s.validate(engine_ok).unwrap();
        s.dhcp.pool_start = Some(Ipv4Addr::new(192, 168, 137, 10));
        let e = s.validate(engine_ok).unwrap_err();
        assert_eq!(e.key, "dhcp.pool_start");
        assert!(e.to_string().contains("10.9.0.0/24"), "{e}");
        s.dhcp.pool_start = None;
        s.dns.max_in_flight = 0;
        assert_eq!(s.validate(engine_ok).unwrap_err().key, "dns.max_in_flight");
    }

    #[test]
    fn unknown_fields_are_rejected_and_defaults_fill_in() {
        let s: Settings = serde_json::from_str(r#"{"lan":"eth1"}"#).unwrap();
        assert_eq!(s.tun, "masq0");
        assert!(s.observe_inbound);
        let e = serde_json::from_str::<Settings>(r#"{"lan":"eth1","lna":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("lna"), "{e}");
    }
}
