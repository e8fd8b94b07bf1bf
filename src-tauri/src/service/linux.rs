//! Linux: `pkexec masq daemon …`. pkexec asks through the desktop's polkit agent and then runs
//! the daemon in the foreground, so it keeps running while the daemon does.

use std::path::Path;
use std::process::{Command, ExitStatus};

/// Linux has an elevation path.
pub const SUPPORTED: bool = true;
/// pkexec stays until the daemon exits, so any exit means the daemon is gone.
pub const HELPER_RETURNS_AT_ONCE: bool = false;

/// The command that prompts for administrator rights and runs the daemon.
pub fn elevated_daemon(masq: &Path, args: &[String]) -> Command {
    let mut c = Command::new("pkexec");
    c.arg(masq).args(args);
    c
}

/// pkexec's exit codes in words (see pkexec(1)).
pub fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(126) => "the administrator prompt was dismissed".to_owned(),
        Some(127) => "not authorized, or no polkit authentication agent is running in this session"
            .to_owned(),
        Some(code) => format!("masq daemon stopped at once (exit code {code})"),
        None => "masq daemon was killed by a signal".to_owned(),
    }
}

/// The daemon's access arguments: this user administers, by uid.
pub fn control_access() -> Vec<String> {
    vec![
        "--control-user".to_owned(),
        nix::unistd::getuid().to_string(),
    ]
}
