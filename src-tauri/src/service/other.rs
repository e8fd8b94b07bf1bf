//! Other systems: no elevation path; the action reports that it is unsupported.

use std::path::Path;
use std::process::{Command, ExitStatus};

/// No elevation path here.
pub const SUPPORTED: bool = false;
/// Unused: nothing is ever started.
pub const HELPER_RETURNS_AT_ONCE: bool = true;

/// Never run ([`SUPPORTED`] is false): the plain, unelevated command, for the shared interface.
pub fn elevated_daemon(masq: &Path, args: &[String]) -> Command {
    let mut c = Command::new(masq);
    c.args(args);
    c
}

/// The exit status as a number.
pub fn describe_exit(status: ExitStatus) -> String {
    format!("exit status {status}")
}

/// Nothing to pass.
pub fn control_access() -> Vec<String> {
    Vec::new()
}
