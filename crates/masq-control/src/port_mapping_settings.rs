//! The `[port_mapping]` section: the NAT-PMP (RFC 6886) and PCP (RFC 6887) server that lets
//! games and peer-to-peer apps on the LAN ask for an inbound port themselves.
//!
//! Off by default: every mapping opens the LAN to the internet, so the user turns it on
//! knowingly. The limits bound what one device can open (how many ports, for how long, which
//! external ports) so that a misbehaving app cannot take the whole port space.

use serde::{Deserialize, Serialize};

use crate::settings_error::SettingsError;

/// Shortest lifetime the settings accept for `min_lifetime_secs` (short ones are for tests).
pub const MIN_PORT_MAPPING_LIFETIME_SECS: u32 = 1;
/// Longest lifetime the settings accept for `max_lifetime_secs`: one week.
pub const MAX_PORT_MAPPING_LIFETIME_SECS: u32 = 604_800;
/// Most mappings one device may hold that the settings accept.
pub const MAX_PORT_MAPPINGS_PER_CLIENT: u32 = 1024;

/// The port-mapping server at the gateway's LAN address, UDP port 5351.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortMappingSettings {
    /// Grant mappings; when off, requests are answered "not authorized".
    pub enabled: bool,
    /// Mappings one LAN device may hold at once.
    pub max_per_client: u32,
    /// Shortest lifetime granted (shorter requests are raised to it), in seconds.
    pub min_lifetime_secs: u32,
    /// Longest lifetime granted (longer requests are cut to it), in seconds.
    pub max_lifetime_secs: u32,
    /// Lowest external port handed out; below 1024 only if the user chooses so.
    pub external_port_min: u16,
    /// Highest external port handed out.
    pub external_port_max: u16,
}

impl Default for PortMappingSettings {
    fn default() -> Self {
        PortMappingSettings {
            enabled: false,
            max_per_client: 16,
            min_lifetime_secs: 120,
            max_lifetime_secs: 86_400,
            external_port_min: 1024,
            external_port_max: 65_535,
        }
    }
}

impl PortMappingSettings {
    /// Checks the section; errors name the key and the accepted range.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=MAX_PORT_MAPPINGS_PER_CLIENT).contains(&self.max_per_client) {
            return Err(SettingsError::new(
                "port_mapping.max_per_client",
                self.max_per_client,
                &format!("1 to {MAX_PORT_MAPPINGS_PER_CLIENT}"),
            ));
        }
        let lifetimes = MIN_PORT_MAPPING_LIFETIME_SECS..=MAX_PORT_MAPPING_LIFETIME_SECS;
        if !lifetimes.contains(&self.min_lifetime_secs) {
            return Err(SettingsError::new(
                "port_mapping.min_lifetime_secs",
                self.min_lifetime_secs,
                &format!(
                    "{MIN_PORT_MAPPING_LIFETIME_SECS} to {MAX_PORT_MAPPING_LIFETIME_SECS} seconds"
                ),
            ));
        }
        if !(self.min_lifetime_secs..=MAX_PORT_MAPPING_LIFETIME_SECS)
            .contains(&self.max_lifetime_secs)
        {
            return Err(SettingsError::new(
                "port_mapping.max_lifetime_secs",
                self.max_lifetime_secs,
                &format!(
                    "port_mapping.min_lifetime_secs ({}) to {MAX_PORT_MAPPING_LIFETIME_SECS} seconds",
                    self.min_lifetime_secs
                ),
            ));
        }
        if self.external_port_min == 0 {
            return Err(SettingsError::new(
                "port_mapping.external_port_min",
                self.external_port_min,
                "1 to 65535 (1024 or more keeps the well-known ports closed)",
            ));
        }
        if self.external_port_max < self.external_port_min {
            return Err(SettingsError::new(
                "port_mapping.external_port_max",
                self.external_port_max,
                &format!(
                    "port_mapping.external_port_min ({}) to 65535",
                    self.external_port_min
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_off() {
        let s = PortMappingSettings::default();
        assert!(!s.enabled);
        s.validate().unwrap();
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            (
                PortMappingSettings {
                    max_per_client: 0,
                    ..Default::default()
                },
                "port_mapping.max_per_client",
            ),
            (
                PortMappingSettings {
                    min_lifetime_secs: 0,
                    ..Default::default()
                },
                "port_mapping.min_lifetime_secs",
            ),
            (
                PortMappingSettings {
                    min_lifetime_secs: 600,
                    max_lifetime_secs: 300,
                    ..Default::default()
                },
                "port_mapping.max_lifetime_secs",
            ),
            (
                PortMappingSettings {
                    external_port_min: 0,
                    ..Default::default()
                },
                "port_mapping.external_port_min",
            ),
            (
                PortMappingSettings {
                    external_port_min: 5000,
                    external_port_max: 4000,
                    ..Default::default()
                },
                "port_mapping.external_port_max",
            ),
        ];
        for (s, key) in cases {
            assert_eq!(s.validate().unwrap_err().key, key);
        }
    }

    #[test]
    fn low_ports_and_short_lifetimes_can_be_chosen() {
        PortMappingSettings {
            enabled: true,
            min_lifetime_secs: 2,
            max_lifetime_secs: 2,
            external_port_min: 80,
            external_port_max: 80,
            ..Default::default()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn reads_a_partial_section() {
        let s: PortMappingSettings = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
        assert!(s.enabled);
        assert_eq!(s.max_per_client, 16);
        assert!(serde_json::from_str::<PortMappingSettings>(r#"{"nope":1}"#).is_err());
    }
}
