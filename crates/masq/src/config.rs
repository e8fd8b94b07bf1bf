//! The TOML config file, and how it combines with command-line flags.
//!
//! The file holds the [`Settings`] fields at top level (engine knobs under `[engine]`,
//! `[engine.tcp]`, …) plus three daemon options, `autostart`, `control_group` and `observer_group`:
//!
//! ```toml
//! lan = "eth1"
//! lan_addr = "192.168.137.1/24"
//! autostart = true
//! [engine.udp]
//! mapping_timeout = 300
//! ```
//!
//! Precedence is defaults < file < flags. A missing file at the default location means
//! "all defaults"; a file named explicitly (`--config`, `MASQ_CONFIG`) must exist. Errors say
//! which file, and either toml's own message (line, column, key) or the setting's key and
//! accepted range from [`Settings::validate`].

use std::io;
use std::path::{Path, PathBuf};

use masq_control::{Settings, SettingsError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Exactly what a config file may contain; every field optional so flags can tell "unset"
/// from "set to the default".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// See [`Settings::uplink`].
    pub uplink: Option<String>,
    /// See [`Settings::lan`].
    pub lan: Option<String>,
    /// See [`Settings::lan_addr`].
    pub lan_addr: Option<String>,
    /// See [`Settings::tun`].
    pub tun: Option<String>,
    /// See [`Settings::observe_inbound`].
    pub observe_inbound: Option<bool>,
    /// See [`Settings::engine`]; missing keys take the engine's defaults.
    pub engine: Option<masq_control::EngineSettings>,
    /// See [`Settings::dhcp`]; missing keys take their defaults.
    pub dhcp: Option<masq_control::DhcpSettings>,
    /// See [`Settings::dns`]; missing keys take their defaults.
    pub dns: Option<masq_control::DnsSettings>,
    /// See [`Settings::ipv6`]; missing keys take their defaults.
    pub ipv6: Option<masq_control::Ipv6Settings>,
    /// See [`Settings::port_mapping`]; missing keys take their defaults.
    pub port_mapping: Option<masq_control::PortMappingSettings>,
    /// See [`Settings::forwards`]: one `[[forward]]` table per port forward.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forward: Vec<masq_control::ForwardSpec>,
    /// `masq daemon` starts sharing at once instead of waiting for `masq start`.
    pub autostart: Option<bool>,
    /// Group whose members may use the control socket besides root and the daemon's user.
    pub control_group: Option<String>,
    /// Group whose members may watch through the control socket (read-only; unix only).
    pub observer_group: Option<String>,
}

/// Where the config file comes from, which decides whether its absence is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// Named by the user: must exist.
    Explicit(PathBuf),
    /// The default location: may be absent.
    Default(PathBuf),
}

impl ConfigSource {
    /// The explicit path if given, else the default location.
    pub fn new(explicit: Option<PathBuf>, default: PathBuf) -> Self {
        explicit.map_or(ConfigSource::Default(default), ConfigSource::Explicit)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        match self {
            ConfigSource::Explicit(p) | ConfigSource::Default(p) => p,
        }
    }
}

/// Values given on the command line, each overriding the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--uplink`.
    pub uplink: Option<String>,
    /// `--lan`.
    pub lan: Option<String>,
    /// `--lan-addr`.
    pub lan_addr: Option<String>,
    /// `--tun`.
    pub tun: Option<String>,
    /// `--observe-inbound` / `--no-observe-inbound`.
    pub observe_inbound: Option<bool>,
    /// `--control-group`.
    pub control_group: Option<String>,
    /// `--observer-group`.
    pub observer_group: Option<String>,
}

/// The result of file + flags, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    /// What sharing runs with.
    pub settings: Settings,
    /// Whether `masq daemon` starts sharing at once.
    pub autostart: bool,
    /// Group allowed on the control socket (operators).
    pub control_group: Option<String>,
    /// Group allowed to watch (observers).
    pub observer_group: Option<String>,
    /// Whether a file was read (false: default location absent).
    pub file_found: bool,
}

/// Why the configuration cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// `--config FILE` names a file that does not exist.
    #[error("config file {} does not exist (given with --config or MASQ_CONFIG)", path.display())]
    Missing {
        /// The file named.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// Not valid TOML, or keys and types that do not match.
    #[error("config file {}: {}", path.display(), message.trim_end())]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with line, column and the offending key.
        message: String,
    },
    /// Parsed, but a value is out of range.
    #[error("{origin}: {error}")]
    Invalid {
        /// Which file and/or the command line.
        origin: String,
        /// The offending key and accepted range.
        error: SettingsError,
    },
}

/// Reads the config file; a missing default file gives `None`.
pub fn load(source: &ConfigSource) -> Result<Option<ConfigFile>, ConfigError> {
    let path = source.path();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return match source {
                ConfigSource::Explicit(_) => Err(ConfigError::Missing {
                    path: path.to_owned(),
                }),
                ConfigSource::Default(_) => {
                    tracing::debug!(path = %path.display(), "no config file; using defaults");
                    Ok(None)
                }
            };
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse(&text, path).map(Some)
}

/// Parses config text; `path` only labels errors.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Loads the file, applies the flags, validates the result.
pub fn resolve(source: &ConfigSource, overrides: Overrides) -> Result<Effective, ConfigError> {
    let file = load(source)?;
    let file_found = file.is_some();
    let flags_given = overrides != Overrides::default();
    let effective = merge(file.unwrap_or_default(), overrides, file_found);
    effective
        .settings
        .validate(crate::engine_api::check_engine_settings)
        .map_err(|error| ConfigError::Invalid {
            origin: match (file_found, flags_given) {
                (true, false) => format!("config file {}", source.path().display()),
                (true, true) => format!(
                    "config file {} with the command-line flags",
                    source.path().display()
                ),
                (false, _) => "command line".to_owned(),
            },
            error,
        })?;
    Ok(effective)
}

/// Defaults < file < flags, without validation.
pub fn merge(file: ConfigFile, flags: Overrides, file_found: bool) -> Effective {
    let defaults = Settings::default();
    let settings = Settings {
        uplink: flags.uplink.or(file.uplink),
        lan: flags.lan.or(file.lan),
        lan_addr: flags.lan_addr.or(file.lan_addr),
        tun: flags.tun.or(file.tun).unwrap_or(defaults.tun),
        observe_inbound: flags
            .observe_inbound
            .or(file.observe_inbound)
            .unwrap_or(defaults.observe_inbound),
        engine: file.engine.unwrap_or(defaults.engine),
        dhcp: file.dhcp.unwrap_or(defaults.dhcp),
        dns: file.dns.unwrap_or(defaults.dns),
        ipv6: file.ipv6.unwrap_or(defaults.ipv6),
        port_mapping: file.port_mapping.unwrap_or(defaults.port_mapping),
        forwards: file.forward,
    };
    Effective {
        settings,
        autostart: file.autostart.unwrap_or(false),
        control_group: flags.control_group.or(file.control_group),
        observer_group: flags.observer_group.or(file.observer_group),
        file_found,
    }
}

/// The effective configuration as a complete config file, for `masq config check`.
pub fn render(effective: &Effective) -> String {
    let s = &effective.settings;
    let file = ConfigFile {
        uplink: s.uplink.clone(),
        lan: s.lan.clone(),
        lan_addr: s.lan_addr.clone(),
        tun: Some(s.tun.clone()),
        observe_inbound: Some(s.observe_inbound),
        engine: Some(s.engine.clone()),
        dhcp: Some(s.dhcp.clone()),
        dns: Some(s.dns.clone()),
        ipv6: Some(s.ipv6.clone()),
        port_mapping: Some(s.port_mapping.clone()),
        forward: s.forwards.clone(),
        autostart: Some(effective.autostart),
        control_group: effective.control_group.clone(),
        observer_group: effective.observer_group.clone(),
    };
    let mut out = String::new();
    for (key, value, meaning) in [
        (
            "uplink",
            &s.uplink,
            "automatic: the interface of the default route",
        ),
        (
            "lan",
            &s.lan,
            "not set: `masq up` needs --lan, the daemon needs it before `start`",
        ),
        (
            "lan_addr",
            &s.lan_addr,
            "not set: the LAN interface's first IPv4 address",
        ),
        (
            "control_group",
            &effective.control_group,
            "not set: only root and the daemon's user",
        ),
        (
            "observer_group",
            &effective.observer_group,
            "not set: nobody else may watch",
        ),
    ] {
        if value.is_none() {
            out.push_str(&format!("# {key}: {meaning}\n"));
        }
    }
    match toml::to_string_pretty(&file) {
        Ok(text) => out.push_str(&text),
        Err(e) => out.push_str(&format!("# cannot render the settings as TOML: {e}\n")),
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn file(text: &str) -> ConfigFile {
        parse(text, Path::new("test.toml")).unwrap()
    }

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let f = file(
            "uplink = \"wlan0\"\nlan = \"eth1\"\ntun = \"masqf\"\nobserve_inbound = false\ncontrol_group = \"adm\"\n",
        );
        let e = merge(f.clone(), Overrides::default(), true);
        assert_eq!(e.settings.uplink.as_deref(), Some("wlan0"));
        assert_eq!(e.settings.tun, "masqf");
        assert!(!e.settings.observe_inbound);
        assert_eq!(e.control_group.as_deref(), Some("adm"));

        let flags = Overrides {
            lan: Some("eth2".into()),
            observe_inbound: Some(true),
            control_group: Some("wheel".into()),
            ..Overrides::default()
        };
        let e = merge(f, flags, true);
        assert_eq!(e.settings.lan.as_deref(), Some("eth2"));
        assert_eq!(
            e.settings.uplink.as_deref(),
            Some("wlan0"),
            "untouched by flags"
        );
        assert!(e.settings.observe_inbound);
        assert_eq!(e.control_group.as_deref(), Some("wheel"));

        let e = merge(ConfigFile::default(), Overrides::default(), false);
        assert_eq!(e.settings, Settings::default());
        assert!(!e.autostart);
    }

    #[test]
    fn partial_engine_section_keeps_other_defaults() {
        let f = file("[engine.udp]\nmapping_timeout = 600\n");
        let e = merge(f, Overrides::default(), true);
        assert_eq!(
            e.settings.engine.udp.mapping_timeout,
            Duration::from_secs(600)
        );
        assert_eq!(e.settings.engine.tcp, masq_control::TcpSettings::default());
    }

    #[test]
    fn out_of_range_value_names_key_and_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("masq.toml");
        std::fs::write(
            &path,
            "lan = \"eth1\"\n[engine.udp]\nmapping_timeout = 30\n",
        )
        .unwrap();
        let e = resolve(&ConfigSource::Explicit(path.clone()), Overrides::default()).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("udp.mapping_timeout"), "{text}");
        assert!(text.contains("120 to 86400 seconds"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
    }

    #[test]
    fn toml_errors_carry_line_and_key() {
        let e = parse(
            "lan = \"eth1\"\n[engine.udp]\nmapping_timeout = \"soon\"\n",
            Path::new("x.toml"),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("x.toml") && text.contains("line 3") && text.contains("mapping_timeout"),
            "{text}"
        );

        let e = parse("lna = \"eth1\"\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("unknown field `lna`"), "{e}");
        let e = parse("lan = \n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("absent.toml");
        let e = resolve(
            &ConfigSource::Explicit(absent.clone()),
            Overrides::default(),
        )
        .unwrap_err();
        assert!(matches!(e, ConfigError::Missing { .. }), "{e}");
        assert!(e.to_string().contains("absent.toml"), "{e}");
        let e = resolve(&ConfigSource::Default(absent), Overrides::default()).unwrap();
        assert!(!e.file_found);
        assert_eq!(e.settings, Settings::default());
    }

    #[test]
    fn invalid_flag_is_blamed_on_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let flags = Overrides {
            uplink: Some("eth0".into()),
            lan: Some("eth0".into()),
            ..Overrides::default()
        };
        let e = resolve(&ConfigSource::Default(dir.path().join("none.toml")), flags).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("command line: invalid setting `lan`"),
            "{e}"
        );
    }

    #[test]
    fn lan_service_sections_are_partial_and_validated() {
        let f = file(
            "lan = \"eth1\"\n[dhcp]\nlease_time = 600\n[[dhcp.reservations]]\nmac = \"02:00:00:00:00:07\"\nip = \"192.168.137.7\"\n[dns]\ndomain = \"home.arpa\"\n",
        );
        let e = merge(f, Overrides::default(), true);
        assert_eq!(e.settings.dhcp.lease_time, 600);
        assert!(e.settings.dhcp.enabled);
        assert_eq!(e.settings.dhcp.reservations.len(), 1);
        assert_eq!(e.settings.dns.domain, "home.arpa");
        assert_eq!(
            e.settings.dns.cache_entries,
            masq_control::DnsSettings::default().cache_entries
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("masq.toml");
        std::fs::write(&path, "[dhcp]\nlease_time = 5\n").unwrap();
        let e = resolve(&ConfigSource::Explicit(path), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("dhcp.lease_time"), "{e}");
        assert!(e.to_string().contains("120 to 604800 seconds"), "{e}");
    }

    #[test]
    fn port_mapping_section_is_off_by_default_partial_and_validated() {
        let e = merge(file(""), Overrides::default(), false);
        assert!(!e.settings.port_mapping.enabled);
        let e = merge(
            file("[port_mapping]\nenabled = true\nmin_lifetime_secs = 2\n"),
            Overrides::default(),
            true,
        );
        assert!(e.settings.port_mapping.enabled);
        assert_eq!(e.settings.port_mapping.min_lifetime_secs, 2);
        assert_eq!(e.settings.port_mapping.max_per_client, 16);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("masq.toml");
        std::fs::write(&path, "[port_mapping]\nexternal_port_min = 0\n").unwrap();
        let e = resolve(&ConfigSource::Explicit(path), Overrides::default()).unwrap_err();
        assert!(
            e.to_string().contains("port_mapping.external_port_min"),
            "{e}"
        );
    }

    #[test]
    fn rendered_config_parses_back_to_the_same_settings() {
        let f = file(
            "lan = \"eth1\"\nautostart = true\n[engine.tcp]\nrto_min = 300\n[[dhcp.reservations]]\nmac = \"02:00:00:00:00:07\"\nip = \"192.168.137.7\"\nhostname = \"printer\"\n",
        );
        let e = merge(f, Overrides::default(), true);
        let text = render(&e);
        assert!(text.contains("# uplink: automatic"), "{text}");
        let back = merge(file(&text), Overrides::default(), true);
        assert_eq!(back, e);
    }
}
