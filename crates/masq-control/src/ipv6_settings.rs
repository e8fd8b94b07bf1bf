//! The `[ipv6]` section of the settings: whether the LAN is offered IPv6 and with which prefix.
//!
//! By default (`auto`) IPv6 is offered when the uplink carries it, under a unique local
//! prefix (RFC 4193) that masq makes up once and keeps, so LAN hosts keep their addresses
//! across restarts. `on` makes a missing IPv6 uplink an error; `off` never offers it.

use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};

use crate::settings_error::SettingsError;

/// When the LAN is offered IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Ipv6Mode {
    /// Offer IPv6 when the uplink has it; otherwise stay IPv4-only and say why.
    #[default]
    Auto,
    /// Offer IPv6; sharing fails to start when the uplink cannot carry it.
    On,
    /// Never offer IPv6.
    Off,
}

/// IPv6 on the LAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Ipv6Settings {
    /// When to offer IPv6.
    pub enabled: Ipv6Mode,
    /// The LAN's /64, e.g. `fd12:3456:789a:1::/64`; the gateway takes `::1` in it. `None`: a
    /// unique local prefix made up once and kept in masq's data directory.
    pub prefix: Option<String>,
}

impl Ipv6Settings {
    /// Checks the section.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if let Some(text) = &self.prefix {
            parse_prefix(text).map_err(|expected| {
                SettingsError::new("ipv6.prefix", format!("{text:?}"), expected)
            })?;
        }
        Ok(())
    }

    /// The configured prefix's network address, if one is set and valid.
    pub fn prefix_network(&self) -> Option<Ipv6Addr> {
        self.prefix.as_deref().and_then(|t| parse_prefix(t).ok())
    }
}

/// Parses `addr/64` into its network address; the error is the accepted form in words.
pub fn parse_prefix(text: &str) -> Result<Ipv6Addr, &'static str> {
    const EXPECTED: &str = "a unicast IPv6 /64 with zero host bits, e.g. fd12:3456:789a:1::/64";
    let (addr, len) = text.split_once('/').ok_or(EXPECTED)?;
    let addr: Ipv6Addr = addr.parse().map_err(|_| EXPECTED)?;
    if len != "64" {
        return Err("a /64 (SLAAC needs 64-bit interface identifiers)");
    }
    let bits = u128::from(addr);
    if bits & u128::from(u64::MAX) != 0
        || addr.is_multicast()
        || addr.is_unicast_link_local()
        || addr.is_loopback()
        || addr.is_unspecified()
    {
        return Err(EXPECTED);
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_auto_with_a_made_up_prefix() {
        let s = Ipv6Settings::default();
        assert_eq!(s.enabled, Ipv6Mode::Auto);
        assert_eq!(s.prefix, None);
        s.validate().unwrap();
    }

    #[test]
    fn prefixes_are_checked() {
        for (text, ok) in [
            ("fd12:3456:789a:1::/64", true),
            ("2001:db8:1:2::/64", true),
            ("fd12:3456:789a:1::/48", false),
            ("fd12:3456:789a:1::5/64", false),
            ("fe80::/64", false),
            ("ff02::/64", false),
            ("fd12::", false),
            ("nonsense/64", false),
        ] {
            let s = Ipv6Settings {
                prefix: Some(text.to_owned()),
                ..Ipv6Settings::default()
            };
            let r = s.validate();
            assert_eq!(r.is_ok(), ok, "{text}: {r:?}");
            if let Err(e) = r {
                assert_eq!(e.key, "ipv6.prefix");
            }
        }
    }

    #[test]
    fn modes_read_as_words() {
        let s: Ipv6Settings = serde_json::from_str(r#"{"enabled":"off"}"#).unwrap();
        assert_eq!(s.enabled, Ipv6Mode::Off);
        assert!(serde_json::from_str::<Ipv6Settings>(r#"{"enabled":"maybe"}"#).is_err());
    }
}
