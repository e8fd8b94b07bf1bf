//! What the Windows service looks like to the service control manager: its names, its
//! description, the command line it runs and what happens when it fails. Plain data, so it is
//! tested on every OS; `windows_scm.rs` hands it to the SCM.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// The service's key name (`sc query masq`, `Get-Service masq`).
pub(crate) const SERVICE_NAME: &str = "masq";
/// The name shown in the Services console.
pub(crate) const DISPLAY_NAME: &str = "masq internet sharing";
/// The description shown in the Services console.
pub(crate) const DESCRIPTION: &str = "Shares this computer's internet connection with a LAN by IP masquerading. Runs `masq daemon`; control it with `masq start`, `masq stop`, `masq status` or the masq app.";
/// Restarts after a crash: the daemon undoes a dead run's system changes when it starts, so a
/// restart also repairs the network. After three failures within a day the SCM gives up.
pub(crate) const RESTART_DELAYS: [Duration; 3] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
];
/// After how long without failures the SCM counts failures from zero again.
pub(crate) const FAILURE_RESET: Duration = Duration::from_secs(24 * 60 * 60);
/// The hidden `masq daemon` flag that makes it enter the service dispatcher.
pub(crate) const SERVICE_FLAG: &str = "--service";

/// What `masq service install` was asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServiceSpec<'a> {
    /// The config file the service reads, if any (else the daemon's defaults).
    pub(crate) config: Option<&'a Path>,
    /// The journal of system changes, if not the service account's default: the installer
    /// puts it where its uninstaller's `masq down --state-file` looks.
    pub(crate) state_file: Option<&'a Path>,
    /// SID of the user installing the service: the one account besides SYSTEM and
    /// Administrators that may use the control pipe.
    pub(crate) control_user: &'a str,
}

/// The arguments the SCM starts `masq.exe` with: `daemon --service`, the control account,
/// the config file and the journal.
pub(crate) fn launch_arguments(spec: &ServiceSpec<'_>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "daemon".into(),
        SERVICE_FLAG.into(),
        "--control-group".into(),
        spec.control_user.into(),
    ];
    if let Some(config) = spec.config {
        args.extend(["--config".into(), config.as_os_str().to_owned()]);
    }
    if let Some(state_file) = spec.state_file {
        args.extend(["--state-file".into(), state_file.as_os_str().to_owned()]);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_runs_the_daemon_for_the_installing_user_and_config() {
        let mut spec = ServiceSpec {
            config: Some(Path::new(
                r"C:\Users\ann\AppData\Roaming\masq\config\masq.toml",
            )),
            state_file: None,
            control_user: "S-1-5-21-1-2-3-1001",
        };
        let args = launch_arguments(&spec);
        assert_eq!(
            args,
            [
                "daemon",
                "--service",
                "--control-group",
                "S-1-5-21-1-2-3-1001",
                "--config",
                r"C:\Users\ann\AppData\Roaming\masq\config\masq.toml",
            ]
        );
        spec.config = None;
        assert_eq!(
            launch_arguments(&spec),
            [
                "daemon",
                "--service",
                "--control-group",
                "S-1-5-21-1-2-3-1001"
            ]
        );
        spec.state_file = Some(Path::new(r"C:\ProgramData\masq\state.json"));
        assert_eq!(
            launch_arguments(&spec)[4..],
            ["--state-file", r"C:\ProgramData\masq\state.json"]
        );
    }

    #[test]
    fn names_and_restart_policy_are_sane() {
        assert!(!SERVICE_NAME.contains(' ') && SERVICE_NAME.len() <= 256);
        assert!(DISPLAY_NAME.len() <= 256);
        assert!(DESCRIPTION.contains("masq daemon"));
        assert!(RESTART_DELAYS.windows(2).all(|d| d[0] < d[1]));
        assert!(RESTART_DELAYS.iter().all(|d| *d < FAILURE_RESET));
    }
}
