//! Windows (compiled, not yet run): PowerShell's `Start-Process -Verb RunAs` shows the UAC
//! prompt and starts the daemon hidden; the GUI then finds it on the control API's named pipe.

use std::path::Path;
use std::process::{Command, ExitStatus};

/// Windows has an elevation path.
pub const SUPPORTED: bool = true;
/// Start-Process returns once the elevated process is started.
pub const HELPER_RETURNS_AT_ONCE: bool = true;

/// The command that prompts for administrator rights and runs the daemon.
pub fn elevated_daemon(masq: &Path, args: &[String]) -> Command {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let arg_list = args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(",");
    let mut c = Command::new("powershell.exe");
    c.args(["-NoProfile", "-NonInteractive", "-Command"])
        .arg(format!(
            "Start-Process -FilePath {} -ArgumentList {} -Verb RunAs -WindowStyle Hidden",
            quote(&masq.to_string_lossy()),
            arg_list
        ));
    c
}

/// PowerShell exits 1 when the UAC prompt is declined (Start-Process throws).
pub fn describe_exit(status: ExitStatus) -> String {
    match status.code() {
        Some(1) => "the administrator prompt was declined".to_owned(),
        Some(code) => format!("powershell failed (exit code {code})"),
        None => "powershell ended without an exit code".to_owned(),
    }
}

/// Windows grants control-API access by account: the daemon started elevated runs as this
/// user, and its own user administers; nothing to pass.
pub fn control_access() -> Vec<String> {
    Vec::new()
}
