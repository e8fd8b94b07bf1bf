//! Starting the masq daemon with the OS's own administrator prompt.
//!
//! The GUI never runs privileged. When no daemon answers, the user can ask it to start one:
//! the per-OS file builds the command that asks for elevation and runs `masq daemon` (pkexec
//! on Linux, `osascript … with administrator privileges` on macOS, `Start-Process -Verb RunAs`
//! on Windows); this module runs it and waits until the daemon answers on its control socket,
//! or until the prompt was refused, or a time limit passed.
//!
//! Only the Linux path has been run. The Windows command compiles (CI runs clippy for
//! x86_64-pc-windows-msvc) but has not been run. The macOS one is written to the same interface
//! but is not compiled here: Tauri's macOS dependencies build Objective-C against the Apple SDK,
//! which this Linux CI does not have.
//!
//! The daemon started this way is not a system service: it runs until it is stopped or the
//! machine restarts. Installing it as a service (systemd unit, launchd plist, Windows service)
//! is packaging work outside this app.

#[cfg_attr(target_os = "linux", path = "linux.rs")]
#[cfg_attr(target_os = "macos", path = "macos.rs")]
#[cfg_attr(windows, path = "windows.rs")]
#[cfg_attr(
    not(any(target_os = "linux", target_os = "macos", windows)),
    path = "other.rs"
)]
mod imp;

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use masq_control::{AsyncClient, Request};
use thiserror::Error;

use crate::control_socket::control_socket;

/// How long the user may take to answer the administrator prompt and the daemon to come up.
const START_LIMIT: Duration = Duration::from_secs(180);
/// How often readiness is checked while waiting.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Why the daemon could not be started.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// No `masq` program was found to start.
    #[error(
        "cannot find the masq program: looked for {looked} next to this app and on PATH; set MASQ_BIN to its full path"
    )]
    NoBinary {
        /// What was looked for.
        looked: String,
    },
    /// The elevation helper itself could not be run.
    #[error("cannot run {helper} to ask for administrator rights")]
    Spawn {
        /// The helper program (pkexec, osascript, powershell).
        helper: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The helper ended without the daemon coming up: refused, cancelled or failed.
    #[error("{what}{}", if output.is_empty() { String::new() } else { format!(": {output}") })]
    Ended {
        /// What the exit status means, in words.
        what: String,
        /// The last lines the helper or daemon printed.
        output: String,
    },
    /// Nothing answered on the control socket in time.
    #[error("the masq service did not answer on {} within {} s", socket.display(), limit.as_secs())]
    NoAnswer {
        /// The socket waited on.
        socket: PathBuf,
        /// How long.
        limit: Duration,
    },
    /// The OS has no elevation path in this app.
    #[error("starting the masq service from this app is not supported on this system")]
    Unsupported,
}

/// Whether this OS has an elevation path and a masq program to start.
pub fn available() -> bool {
    imp::SUPPORTED && find_masq().is_ok()
}

/// Starts `masq daemon` elevated and returns once it answers a status request.
pub async fn start_daemon() -> Result<(), ServiceError> {
    if !imp::SUPPORTED {
        return Err(ServiceError::Unsupported);
    }
    let masq = find_masq()?;
    let log_path = std::env::temp_dir().join(format!("masq-gui-daemon-{}.log", std::process::id()));
    let log = File::create(&log_path).map_err(|source| ServiceError::Spawn {
        helper: format!("a log file at {}", log_path.display()),
        source,
    })?;
    let err_log = log.try_clone().map_err(|source| ServiceError::Spawn {
        helper: "a log file handle".to_owned(),
        source,
    })?;
    let mut command = imp::elevated_daemon(&masq, &daemon_args());
    let helper = command.get_program().to_string_lossy().into_owned();
    tracing::info!(helper = %helper, masq = %masq.display(), "asking for administrator rights to start masq daemon");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log)
        .spawn()
        .map_err(|source| ServiceError::Spawn {
            helper: helper.clone(),
            source,
        })?;
    wait_until_ready(&mut child, &log_path).await
}

async fn wait_until_ready(child: &mut Child, log_path: &Path) -> Result<(), ServiceError> {
    let deadline = Instant::now() + START_LIMIT;
    loop {
        if answers().await {
            tracing::info!("masq service is up");
            return Ok(());
        }
        match child.try_wait() {
            Ok(Some(status)) if !imp::HELPER_RETURNS_AT_ONCE || !status.success() => {
                let output = tail(log_path);
                return Err(ServiceError::Ended {
                    what: imp::describe_exit(status),
                    output,
                });
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check the elevation helper"),
        }
        if Instant::now() >= deadline {
            return Err(ServiceError::NoAnswer {
                socket: control_socket(),
                limit: START_LIMIT,
            });
        }
        tokio::time::sleep(CHECK_EVERY).await;
    }
}

async fn answers() -> bool {
    let Ok(mut client) = AsyncClient::connect(control_socket()).await else {
        return false;
    };
    client.request(Request::Status).await.is_ok()
}

/// The daemon's arguments: let this user administer through the control socket, since the
/// daemon runs as root and the GUI as this user (by uid, not by the user's primary group,
/// which on macOS is `staff`, every user's); with `MASQ_CONTROL` set, listen where this app
/// will look.
fn daemon_args() -> Vec<String> {
    let mut args = vec!["daemon".to_owned()];
    if let Some(path) = std::env::var_os("MASQ_CONTROL").filter(|p| !p.is_empty()) {
        args.push("--control".to_owned());
        args.push(path.to_string_lossy().into_owned());
    }
    args.extend(imp::control_access());
    args
}

/// `MASQ_BIN`, else `masq` next to this executable, else `masq` on `PATH`.
fn find_masq() -> Result<PathBuf, ServiceError> {
    find_masq_in(std::env::var_os("MASQ_BIN"), std::env::var_os("PATH"))
}

fn find_masq_in(
    masq_bin: Option<OsString>,
    path: Option<OsString>,
) -> Result<PathBuf, ServiceError> {
    let name = format!("masq{}", std::env::consts::EXE_SUFFIX);
    if let Some(p) = masq_bin.filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(&name)));
    if let Some(p) = beside.filter(|p| p.is_file()) {
        return Ok(p);
    }
    path.into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
        .ok_or(ServiceError::NoBinary { looked: name })
}

/// The last few lines of the helper's output, for the error message.
fn tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masq_bin_overrides_the_search_and_path_is_searched() {
        let p = find_masq_in(Some("/opt/masq/bin/masq".into()), None).unwrap();
        assert_eq!(p, PathBuf::from("/opt/masq/bin/masq"));
        let dir = std::env::temp_dir().join(format!("masq-gui-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join(format!("masq{}", std::env::consts::EXE_SUFFIX));
        std::fs::write(&exe, "").unwrap();
        let found = find_masq_in(Some("".into()), Some(dir.clone().into_os_string())).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        // Next to the test binary there is no `masq`, so PATH decides.
        assert_eq!(found, exe);
        let none = find_masq_in(None, Some("/nonexistent-masq-dir".into()));
        assert!(
            matches!(none, Err(ServiceError::NoBinary { .. })),
            "{none:?}"
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = std::env::temp_dir().join(format!("masq-gui-tail-{}", std::process::id()));
        std::fs::write(&dir, "a\n\nb\nc\nd\n").unwrap();
        assert_eq!(tail(&dir), "b / c / d");
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn daemon_args_start_with_daemon() {
        let args = daemon_args();
        assert_eq!(args[0], "daemon");
        assert!(!args.iter().any(|a| a == "--control-group"), "{args:?}");
        #[cfg(unix)]
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--control-user" && w[1] == nix::unistd::getuid().to_string()),
            "{args:?}"
        );
    }
}
