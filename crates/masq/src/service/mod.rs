//! `masq service …`: install, remove, start and stop masq as the OS's own service running
//! `masq daemon`. One module per OS; on an OS without one, every command says so.
//!
//! macOS: a launchd system daemon (`launchd.rs`, its plist in `launchd_plist.rs`).
//! Windows: a service of the service control manager (`windows_scm.rs`, its registration in
//! `windows_spec.rs`, the process the SCM starts in `windows_main.rs`).
//! Linux: no `install` yet; `masq service definition systemd` prints the unit the Debian
//! package ships (`systemd_unit.rs`), as `definition.rs` prints any OS's definition.

mod definition;
#[cfg(windows)]
pub(crate) mod event_log_layer;
#[cfg(target_os = "macos")]
mod launchd;
mod launchd_plist;
mod systemd_unit;
#[cfg(windows)]
mod windows_main;
#[cfg(windows)]
mod windows_scm;
#[cfg(any(test, windows))]
mod windows_spec;

#[cfg(windows)]
pub(crate) use windows_main::run as run_windows_service;

use anyhow::Result;

use crate::cli::{ServiceCommand, ServiceInstallArgs};

/// Runs one `masq service` command.
pub fn run(command: ServiceCommand) -> Result<()> {
    match command {
        ServiceCommand::Install(args) => install(&args),
        ServiceCommand::Uninstall => uninstall(),
        ServiceCommand::Start => start(),
        ServiceCommand::Stop => stop(),
        ServiceCommand::Definition(args) => definition::print(&args),
    }
}

#[cfg(target_os = "macos")]
fn install(args: &ServiceInstallArgs) -> Result<()> {
    launchd::install(args)
}

#[cfg(target_os = "macos")]
fn uninstall() -> Result<()> {
    launchd::uninstall()
}

#[cfg(target_os = "macos")]
fn start() -> Result<()> {
    launchd::start()
}

#[cfg(target_os = "macos")]
fn stop() -> Result<()> {
    launchd::stop()
}

#[cfg(windows)]
fn install(args: &ServiceInstallArgs) -> Result<()> {
    windows_scm::install(args)
}

#[cfg(windows)]
fn uninstall() -> Result<()> {
    windows_scm::uninstall()
}

#[cfg(windows)]
fn start() -> Result<()> {
    windows_scm::start()
}

#[cfg(windows)]
fn stop() -> Result<()> {
    windows_scm::stop()
}

#[cfg(not(any(target_os = "macos", windows)))]
fn install(_args: &ServiceInstallArgs) -> Result<()> {
    unsupported()
}

#[cfg(not(any(target_os = "macos", windows)))]
fn uninstall() -> Result<()> {
    unsupported()
}

#[cfg(not(any(target_os = "macos", windows)))]
fn start() -> Result<()> {
    unsupported()
}

#[cfg(not(any(target_os = "macos", windows)))]
fn stop() -> Result<()> {
    unsupported()
}

#[cfg(not(any(target_os = "macos", windows)))]
fn unsupported() -> Result<()> {
    anyhow::bail!(
        "`masq service install|uninstall|start|stop` is not built for {} yet: install the .deb (it runs masq.service), or run `masq daemon` under your service manager; `masq service definition systemd --program /usr/bin/masq` prints a systemd unit",
        std::env::consts::OS
    )
}
