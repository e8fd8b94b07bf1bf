//! `masq doctor`: checks what commonly keeps sharing from working and says how to fix each
//! thing in plain words. It gathers facts here (config file, interfaces, default route,
//! daemon, crash journal) and draws conclusions in `checks.rs`, which is pure and tested.
//! It changes nothing.

mod checks;

use std::path::PathBuf;

use anyhow::{Context, Result};
use masq_control::{Client, ClientError, Request, Response};
use masq_platform::Ipv4Net;
use serde::Serialize;

use self::checks::{ConfigFact, DaemonFact, Facts, diagnose};
pub(crate) use self::checks::{
    Finding, LanFact, Level, SharingFacts, UplinkFact, sharing_findings,
};
use crate::config::{self, ConfigSource, Overrides};
use crate::{output, paths};

/// What `masq doctor` was asked to look at.
#[derive(Debug)]
pub struct DoctorOptions {
    /// The config file (default: the daemon's).
    pub config: Option<PathBuf>,
    /// The crash journal (default: the daemon's).
    pub state_file: Option<PathBuf>,
    /// The control socket (default: this user's, else the system's).
    pub control: Option<PathBuf>,
    /// Print JSON.
    pub json: bool,
}

/// Everything `--json` prints: the findings and whether sharing can work.
#[derive(Debug, Serialize)]
struct Report<'a> {
    ok: bool,
    findings: &'a [Finding],
}

/// Runs every check and prints the findings; fails (exit status 1) if any is an error.
pub fn run(options: &DoctorOptions) -> Result<()> {
    let facts = gather(options)?;
    let findings = diagnose(&facts);
    let ok = findings.iter().all(|f| f.level != Level::Error);
    let text = if options.json {
        let mut text = serde_json::to_string_pretty(&Report {
            ok,
            findings: &findings,
        })
        .context("cannot encode the findings as JSON")?;
        text.push('\n');
        text
    } else {
        render(&findings)
    };
    output::emit(&text)?;
    if ok {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "sharing cannot work until the errors above are fixed"
        ))
    }
}

fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let mark = match f.level {
            Level::Ok => "ok     ",
            Level::Warning => "warning",
            Level::Error => "error  ",
        };
        out.push_str(&format!("{mark}  {:<9} {}\n", f.check, f.message));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("{:20}fix: {fix}\n", ""));
        }
    }
    out
}

fn gather(options: &DoctorOptions) -> Result<Facts> {
    let source = ConfigSource::new(options.config.clone(), paths::config_file());
    let path = source.path().display().to_string();
    let (config_fact, settings) = match config::resolve(&source, Overrides::default()) {
        Ok(effective) => (
            ConfigFact::Valid {
                path,
                found: effective.file_found,
            },
            effective.settings,
        ),
        Err(e) => (
            ConfigFact::Invalid {
                path,
                error: e.to_string(),
            },
            masq_control::Settings::default(),
        ),
    };
    let uplink = match &settings.uplink {
        Some(name) => match masq_platform::interface_info(name) {
            Ok(info) => UplinkFact::Found {
                chosen_by: "named in the settings",
                info,
            },
            Err(e) => UplinkFact::Missing {
                name: name.clone(),
                error: e.to_string(),
            },
        },
        None => default_uplink()?,
    };
    let lan = match &settings.lan {
        None => LanFact::NotConfigured,
        Some(name) => match masq_platform::interface_info(name) {
            Ok(info) => LanFact::Found(info),
            Err(e) => LanFact::Missing {
                name: name.clone(),
                error: e.to_string(),
            },
        },
    };
    let lan_addr = settings
        .lan_addr
        .as_deref()
        .and_then(|text| text.parse::<Ipv4Net>().ok());
    let journal = options.state_file.clone().unwrap_or_else(paths::state_file);
    Ok(Facts {
        config: config_fact,
        sharing: SharingFacts {
            uplink,
            lan,
            lan_addr,
            tun: settings.tun.clone(),
        },
        journal_left: journal.is_file().then(|| journal.display().to_string()),
        daemon: daemon(options),
    })
}

fn default_uplink() -> Result<UplinkFact> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(match runtime.block_on(masq_platform::default_uplink()) {
        Ok(Some(name)) => match masq_platform::interface_info(&name) {
            Ok(info) => UplinkFact::Found {
                chosen_by: "from the default route",
                info,
            },
            Err(e) => UplinkFact::Missing {
                name,
                error: e.to_string(),
            },
        },
        Ok(None) | Err(_) => UplinkFact::NoDefaultRoute,
    })
}

fn daemon(options: &DoctorOptions) -> DaemonFact {
    let path = options
        .control
        .clone()
        .unwrap_or_else(paths::client_control_socket);
    let mut client = match Client::connect(&path) {
        Ok(c) => c,
        Err(ClientError::NotRunning { .. }) => return DaemonFact::NotRunning,
        Err(ClientError::PermissionDenied { who, .. }) => return DaemonFact::Refused { who },
        Err(e) => return DaemonFact::Failed(e.to_string()),
    };
    match client.request(Request::Status) {
        Ok(Response::Status(s)) => DaemonFact::Answers { sharing: s.running },
        Ok(_) => DaemonFact::Failed("it answered `status` with something else".into()),
        Err(e) => DaemonFact::Failed(e.to_string()),
    }
}
