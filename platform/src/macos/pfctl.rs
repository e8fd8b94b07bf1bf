//! pf through `/sbin/pfctl`, called with fixed arguments (never through a shell) and its exit
//! status and error output checked.
//!
//! macOS has no stable library interface to pf: `<net/pfvar.h>` is not in the SDK, and the
//! ioctls change between releases, which is why Apple's own components (Internet Sharing,
//! the application firewall) drive pf through anchors and `pfctl -E`/`-X` as well. Only five
//! invocations are used:
//! - `pfctl -a <anchor> -f -` loads the rules from stdin, replacing the anchor's old rules;
//! - `pfctl -a <anchor> -F rules` flushes that anchor's filter rules and nothing else;
//! - `pfctl -E` enables pf and takes a reference, printing the token;
//! - `pfctl -X <token>` releases that reference; pf is disabled only when no one holds one,
//!   so a user who runs pf for their own rules keeps it running;
//! - `pfctl -s rules` prints the main ruleset, to check it evaluates masq's anchor.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use tracing::debug;

use super::pf_anchor::parse_enable_token;
use crate::{CleanupOutcome, PlatformError};

/// Absolute path, so no `PATH` lookup can substitute another program.
const PFCTL: &str = "/sbin/pfctl";

/// Loads `rules` into `anchor`, replacing whatever it held.
pub(crate) fn load_anchor(anchor: &str, rules: &str) -> Result<(), PlatformError> {
    let action = format!("load masq's rules into pf anchor {anchor}");
    let mut child = Command::new(PFCTL)
        .args(["-a", anchor, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(&action, &e))?;
    let written = match child.stdin.take() {
        Some(mut stdin) => stdin.write_all(rules.as_bytes()),
        None => Ok(()),
    };
    let output = child
        .wait_with_output()
        .map_err(|e| spawn_error(&action, &e))?;
    if let Err(e) = written {
        return Err(PlatformError::Pf {
            action,
            detail: format!("could not write the rules to pfctl: {e}"),
        });
    }
    checked(action, &output).map(|_| ())
}

/// Removes every filter rule from `anchor`.
pub(crate) fn flush_anchor(anchor: &str) -> Result<(), PlatformError> {
    let action = format!("flush pf anchor {anchor}");
    let output = run(&action, &["-a", anchor, "-F", "rules"])?;
    checked(action, &output).map(|_| ())
}

/// The main ruleset's filter rules as pfctl prints them.
pub(crate) fn main_rules() -> Result<String, PlatformError> {
    let action = "read pf's main ruleset (pfctl -s rules)".to_owned();
    let output = run(&action, &["-s", "rules"])?;
    checked(action, &output)
}

/// Enables pf with a reference; returns the token to release it with.
pub(crate) fn enable_ref() -> Result<u64, PlatformError> {
    let action = "enable pf (pfctl -E)".to_owned();
    let output = run(&action, &["-E"])?;
    let text = checked(action.clone(), &output)?;
    parse_enable_token(&text).ok_or_else(|| PlatformError::Pf {
        action,
        detail: format!("pfctl printed no `Token :` line: {}", text.trim()),
    })
}

/// Releases the reference `token`; `AlreadyGone` if pf no longer knows it (pf was disabled
/// by force, or the machine restarted since).
pub(crate) fn release_ref(token: u64) -> Result<CleanupOutcome, PlatformError> {
    let action = format!("release pf enable reference {token} (pfctl -X)");
    let output = run(&action, &["-X", &token.to_string()])?;
    match checked(action, &output) {
        Ok(_) => Ok(CleanupOutcome::Undone),
        Err(PlatformError::Pf { detail, .. }) if unknown_token(&detail) => {
            debug!(token, %detail, "pf no longer knows the enable token");
            Ok(CleanupOutcome::AlreadyGone)
        }
        Err(e) => Err(e),
    }
}

/// Whether pfctl's complaint means the token does not exist (DIOCSTOPREF fails with ENOENT).
fn unknown_token(detail: &str) -> bool {
    detail.contains("No such file or directory") || detail.contains("ENOENT")
}

fn run(action: &str, args: &[&str]) -> Result<Output, PlatformError> {
    Command::new(PFCTL)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(action, &e))
}

/// pfctl's combined output if it exited 0, else an error carrying its status and stderr.
fn checked(action: String, output: &Output) -> Result<String, PlatformError> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(PlatformError::Pf {
            action,
            detail: format!("{} ({})", stderr.trim(), output.status),
        });
    }
    if !stderr.trim().is_empty() {
        debug!(%action, stderr = %stderr.trim(), "pfctl said");
    }
    Ok(format!("{stdout}{stderr}"))
}

fn spawn_error(action: &str, e: &std::io::Error) -> PlatformError {
    PlatformError::Pf {
        action: action.to_owned(),
        detail: format!("could not run {PFCTL}: {e}"),
    }
}
