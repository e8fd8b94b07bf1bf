//! The commands that run on this machine rather than talk to a daemon: `up`, `daemon`,
//! `down` and `config check`.
//!
//! `up` and `daemon` merge the config file with the flags (see `config.rs`), fill in default
//! paths (see `paths.rs`) and hand over to the runtime, which owns the engine, the adapter and
//! the control socket. `down` replays the crash-cleanup journal through masq-platform.

use std::path::PathBuf;

use anyhow::{Context, Result};
use masq_control::Settings;
use thiserror::Error;

use crate::cli::{DaemonArgs, DownArgs, UpArgs};
use crate::config::{self, ConfigSource, Overrides};
use crate::output;
use crate::paths;
use crate::runtime::{self, ControlOptions};

/// A command line that parsed but cannot work (e.g. no LAN interface anywhere); `main`
/// reports it the way clap reports usage errors, with exit code 2.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `masq up`.
pub fn up(args: UpArgs) -> Result<()> {
    let source = ConfigSource::new(args.config.clone(), paths::config_file());
    let overrides = Overrides {
        uplink: args.uplink.clone(),
        lan: args.lan.clone(),
        lan_addr: args.lan_addr.clone(),
        tun: args.tun.clone(),
        observe_inbound: args.observe_inbound(),
        control_group: None,
        observer_group: None,
    };
    let effective = config::resolve(&source, overrides)?;
    if effective.settings.lan.is_none() {
        return Err(UsageError(format!(
            "masq up needs the LAN interface to share with: pass --lan IFACE or set `lan` in {}",
            source.path().display()
        ))
        .into());
    }
    let control = ControlOptions {
        path: args.control.unwrap_or_else(paths::server_control_socket),
        group: effective.control_group,
        observers: effective.observer_group,
        user: None,
        files: state_files(args.state_file),
    };
    runtime::run_up(effective.settings, control)
}

/// `masq daemon`.
pub fn daemon(args: DaemonArgs) -> Result<()> {
    #[cfg(windows)]
    if args.service {
        // Enter the service dispatcher before anything can fail: the SCM gives up on a service
        // that does not check in, and a bad config is then reported as the service's failure.
        return crate::service::run_windows_service(Box::new(move || daemon_setup(args)));
    }
    let (settings, autostart, control) = daemon_setup(args)?;
    runtime::run_daemon(settings, autostart, control)
}

/// The daemon's settings, autostart choice and control options, from its config and flags.
fn daemon_setup(args: DaemonArgs) -> Result<(Settings, bool, ControlOptions)> {
    let source = ConfigSource::new(args.config.clone(), paths::config_file());
    let overrides = Overrides {
        control_group: args.control_group.clone(),
        observer_group: args.observer_group.clone(),
        ..Overrides::default()
    };
    let effective = config::resolve(&source, overrides)?;
    let control = ControlOptions {
        path: args.control.unwrap_or_else(paths::server_control_socket),
        group: effective.control_group,
        observers: effective.observer_group,
        user: args.control_user,
        files: state_files(args.state_file),
    };
    Ok((effective.settings, effective.autostart, control))
}

/// `masq down`.
pub fn down(args: DownArgs) -> Result<()> {
    let journal = args.state_file.unwrap_or_else(paths::state_file);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = rt
        .block_on(masq_platform::cleanup_stale(&journal))
        .with_context(|| {
            format!(
                "cannot clean up after the masq that journaled to {}",
                journal.display()
            )
        })?;
    output::emit(&format!("{report}\n"))?;
    Ok(())
}

/// `masq config check [FILE]`.
pub fn config_check(file: Option<PathBuf>) -> Result<()> {
    let source = ConfigSource::new(file, paths::config_file());
    let effective = config::resolve(&source, Overrides::default())?;
    let path = source.path().display();
    let header = if effective.file_found {
        format!("# {path} is valid; the effective settings are:\n")
    } else {
        format!("# no config file at {path}; the defaults are:\n")
    };
    output::emit(&format!("{header}{}", config::render(&effective)))?;
    Ok(())
}

/// Every file the daemon keeps, `journal` as given on the command line or the default.
fn state_files(journal: Option<std::path::PathBuf>) -> runtime::StateFiles {
    let leases = paths::lease_file();
    runtime::StateFiles {
        journal: journal.unwrap_or_else(paths::state_file),
        forwards: paths::forwards_file(),
        ipv6_prefix: leases.with_file_name("ipv6-prefix"),
        leases,
    }
}
