//! What `masq demo` needs before it touches anything: root, and the programs it shells out
//! to, each mapped to the Debian package that provides it so the error says what to install.

use std::env;
use std::path::Path;

use super::error::DemoError;

/// The programs the demo runs and the Debian packages they come from.
pub const TOOLS: &[(&str, &str)] = &[
    ("ip", "iproute2"),
    ("sysctl", "procps"),
    ("curl", "curl"),
    ("ping", "iputils-ping"),
    ("python3", "python3"),
    ("nc", "netcat-openbsd"),
];

/// Fails unless the demo runs with root rights.
pub fn require_root() -> Result<(), DemoError> {
    if nix::unistd::geteuid().is_root() {
        Ok(())
    } else {
        Err(DemoError::NotRoot)
    }
}

/// Fails naming every missing program and its package.
pub fn require_tools() -> Result<(), DemoError> {
    let path = env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<_> = env::split_paths(&path).collect();
    missing_tools(|tool| dirs.iter().any(|d| is_executable(&d.join(tool))))
}

/// The check itself, with the PATH lookup passed in (so tests need no real PATH).
fn missing_tools(found: impl Fn(&str) -> bool) -> Result<(), DemoError> {
    let missing: Vec<&(&str, &str)> = TOOLS.iter().filter(|(tool, _)| !found(tool)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|(_, p)| *p).collect();
    packages.dedup();
    Err(DemoError::MissingTools {
        missing: missing
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>()
            .join(", "),
        packages: packages.join(" "),
    })
}

/// Whether `path` is a file someone may execute.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_present_is_ok() {
        assert!(missing_tools(|_| true).is_ok());
    }

    #[test]
    fn missing_tools_name_their_packages() {
        let e = missing_tools(|t| t != "nc" && t != "ping").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("ping, nc"), "{text}");
        assert!(
            text.contains("apt-get install iputils-ping netcat-openbsd"),
            "{text}"
        );
    }

    #[test]
    fn executables_are_recognised() {
        use std::os::unix::fs::PermissionsExt;
        let file = std::env::temp_dir().join(format!("masq-prereq-test-{}", std::process::id()));
        std::fs::write(&file, b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!is_executable(&file));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(is_executable(&file));
        std::fs::remove_file(&file).unwrap();
        assert!(!is_executable(&file));
        assert!(
            !is_executable(&std::env::temp_dir()),
            "a directory is not a program"
        );
    }
}
