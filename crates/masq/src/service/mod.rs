//! `masq service …`: install, remove, start and stop masq as the OS's own service running
//! `masq daemon`. One module per OS; on an OS without one, every command says so.
//!
//! macOS: a launchd system daemon (`launchd.rs`, its plist in `launchd_plist.rs`).

#[cfg(target_os = "macos")]
mod launchd;
#[cfg(any(test, target_os = "macos"))]
mod launchd_plist;

use anyhow::Result;

use crate::cli::{ServiceCommand, ServiceInstallArgs};

/// Runs one `masq service` command.
pub fn run(command: ServiceCommand) -> Result<()> {
    match command {
        ServiceCommand::Install(args) => install(&args),
        ServiceCommand::Uninstall => uninstall(),
        ServiceCommand::Start => start(),
        ServiceCommand::Stop => stop(),
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

#[cfg(not(target_os = "macos"))]
fn install(_args: &ServiceInstallArgs) -> Result<()> {
    unsupported()
}

#[cfg(not(target_os = "macos"))]
fn uninstall() -> Result<()> {
    unsupported()
}

#[cfg(not(target_os = "macos"))]
fn start() -> Result<()> {
    unsupported()
}

#[cfg(not(target_os = "macos"))]
fn stop() -> Result<()> {
    unsupported()
}

#[cfg(not(target_os = "macos"))]
fn unsupported() -> Result<()> {
    anyhow::bail!(
        "`masq service` is not built for {} yet; run `masq daemon` under your service manager (e.g. a systemd unit) instead",
        std::env::consts::OS
    )
}
