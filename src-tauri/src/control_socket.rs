//! Where the daemon's control socket is, as the window, the tray, the live view and the
//! service actions all look for it.

use std::path::PathBuf;

/// The control socket to use: `MASQ_CONTROL` if set, else the CLI's own rule (this user's
/// daemon first, then the system one), evaluated each time so a daemon started later is found.
pub fn control_socket() -> PathBuf {
    match std::env::var_os("MASQ_CONTROL") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => masq_paths::client_control_socket(),
    }
}
