//! `masq service install|uninstall|start|stop` on macOS: a launchd system daemon.
//!
//! `install` writes `/Library/LaunchDaemons/org.masq.daemon.plist` (root:wheel, 0644, as
//! launchd requires of system daemons) and bootstraps it into the system domain, which starts
//! it (`RunAtLoad`) and at every boot after. `uninstall` boots it out and deletes the file.
//! `stop` boots it out without deleting the file (so it comes back at the next boot or with
//! `start`); `start` bootstraps the installed file again. Every launchctl call has fixed
//! arguments and its exit status checked.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::launchd_plist::{LABEL, PlistSpec, plist};
use crate::cli::ServiceInstallArgs;
use crate::output;

/// Absolute path, so no `PATH` lookup can substitute another program.
const LAUNCHCTL: &str = "/bin/launchctl";

fn plist_path() -> PathBuf {
    PathBuf::from("/Library/LaunchDaemons").join(format!("{LABEL}.plist"))
}

fn service_target() -> String {
    format!("system/{LABEL}")
}

/// Writes the plist and loads the daemon.
pub(crate) fn install(args: &ServiceInstallArgs) -> Result<()> {
    require_root()?;
    let program = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the path of the running masq binary")?;
    let text = plist(&PlistSpec {
        program: &program,
        config: args.config.as_deref(),
    });
    let path = plist_path();
    if is_loaded() {
        launchctl(&["bootout", &service_target()])?;
    }
    write_plist(&path, &text)?;
    launchctl(&["bootstrap", "system", &path.to_string_lossy()])?;
    output::emit(&format!(
        "installed {} and started {LABEL} (running {})\n",
        path.display(),
        program.display()
    ))?;
    Ok(())
}

/// Unloads the daemon and deletes the plist.
pub(crate) fn uninstall() -> Result<()> {
    require_root()?;
    if is_loaded() {
        launchctl(&["bootout", &service_target()])?;
    }
    let path = plist_path();
    match fs::remove_file(&path) {
        Ok(()) => output::emit(&format!("stopped {LABEL} and removed {}\n", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => output::emit(&format!(
            "{LABEL} was not installed ({} is absent)\n",
            path.display()
        ))?,
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    Ok(())
}

/// Loads the installed daemon, which starts it.
pub(crate) fn start() -> Result<()> {
    require_root()?;
    let path = plist_path();
    if !path.exists() {
        bail!("{LABEL} is not installed: run `sudo masq service install` first");
    }
    if is_loaded() {
        launchctl(&["kickstart", &service_target()])?;
    } else {
        launchctl(&["bootstrap", "system", &path.to_string_lossy()])?;
    }
    output::emit(&format!("started {LABEL}\n"))?;
    Ok(())
}

/// Unloads the daemon (it stops sharing and undoes its changes on SIGTERM) until the next
/// boot or `masq service start`.
pub(crate) fn stop() -> Result<()> {
    require_root()?;
    if !is_loaded() {
        output::emit(&format!("{LABEL} is not running\n"))?;
        return Ok(());
    }
    launchctl(&["bootout", &service_target()])?;
    output::emit(&format!("stopped {LABEL}\n"))?;
    Ok(())
}

/// Whether launchd has the daemon loaded (`launchctl print` succeeds only then).
fn is_loaded() -> bool {
    Command::new(LAUNCHCTL)
        .args(["print", &service_target()])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn launchctl(args: &[&str]) -> Result<()> {
    let output = Command::new(LAUNCHCTL)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {LAUNCHCTL}"))?;
    if !output.status.success() {
        bail!(
            "`launchctl {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Writes the plist through a temp file and a rename, mode 0644 (launchd refuses system
/// daemons whose plist is writable by others).
fn write_plist(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("plist.tmp");
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.set_permissions(fs::Permissions::from_mode(0o644))?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

fn require_root() -> Result<()> {
    if !nix::unistd::geteuid().is_root() {
        bail!("managing the launchd daemon needs root: run it with sudo");
    }
    Ok(())
}
