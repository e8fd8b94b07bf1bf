//! macOS (written, not yet compiled or run; see the parent module): `osascript` shows the system's administrator prompt and runs
//! the daemon in the background with `do shell script … with administrator privileges`.

use std::path::Path;
use std::process::{Command, ExitStatus};

/// macOS has an elevation path.
pub const SUPPORTED: bool = true;
/// osascript returns once the background daemon is started.
pub const HELPER_RETURNS_AT_ONCE: bool = true;

/// The command that prompts for administrator rights and runs the daemon.
pub fn elevated_daemon(masq: &Path, args: &[String]) -> Command {
    let mut line = shell_quote(&masq.to_string_lossy());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    line.push_str(" >/dev/null 2>&1 &");
    let script = format!(
        "do shell script \"{}\" with administrator privileges",
        line.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let mut c = Command::new("/usr/bin/osascript");
    c.arg("-e").arg(script);
    c
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// osascript exits 1 when the prompt is cancelled.
pub fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(1) => "the administrator prompt was cancelled".to_owned(),
        Some(code) => format!("osascript failed (exit code {code})"),
        None => "osascript was killed by a signal".to_owned(),
    }
}

/// The daemon's access arguments: this user administers, by uid.
pub fn control_access() -> Vec<String> {
    vec![
        "--control-user".to_owned(),
        nix::unistd::getuid().to_string(),
    ]
}
