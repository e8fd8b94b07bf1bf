//! Where masq keeps its control socket, crash-cleanup journal and config file by default.
//!
//! A crate of its own so that the CLI, the daemon and the GUI follow one rule: the GUI must
//! look for the daemon exactly where `masq status` would.
//!
//! Root (the usual way to run masq, since it changes routing) uses system locations:
//! `/run/masq/control.sock`, `/run/masq/state.json` (tmpfs: after a reboot there is nothing
//! left to clean) and `/etc/masq/masq.toml`, the conventional place for a service's config.
//! Other users get per-user locations from the `directories` crate: the XDG runtime dir
//! (`$XDG_RUNTIME_DIR/masq/`) for the socket and journal, `~/.config/masq/masq.toml` for the
//! config (the platform's equivalents elsewhere). `MASQ_CONTROL`, `MASQ_STATE_FILE` and
//! `MASQ_CONFIG` override them (clap reads those as flag defaults).
//!
//! A client looks for a daemon where a server run by the same user would listen, and falls
//! back to the system socket, so `masq status` as a normal user finds a daemon started by root.
//!
//! Windows has no socket file: the control API is the named pipe `\\.\pipe\masq-control`
//! for every user (it is machine-wide, and its ACL decides who may use it), and only the
//! journal and config follow the per-user rule above.
//!
//! **Portable mode:** a file named `portable` next to the running executable (the portable
//! zip ships one) keeps the config, the journal and the DHCP leases in that folder, so masq
//! runs from a USB stick without writing to the user's profile or the system. The control
//! socket or pipe is not moved: clients must find the daemon without knowing where it runs.

use std::path::{Path, PathBuf};

pub mod private_file;

use directories::ProjectDirs;

#[cfg(not(windows))]
const SOCKET_NAME: &str = "control.sock";
/// The control pipe on Windows.
#[cfg(windows)]
const PIPE: &str = r"\\.\pipe\masq-control";
const JOURNAL_NAME: &str = "state.json";
const CONFIG_NAME: &str = "masq.toml";
const LEASES_NAME: &str = "leases.json";
/// The marker file that turns on portable mode (see the module docs).
pub const PORTABLE_MARKER: &str = "portable";

/// The control socket a daemon run by this user listens on.
#[cfg(not(windows))]
pub fn server_control_socket() -> PathBuf {
    runtime_dir().join(SOCKET_NAME)
}

/// The control pipe a daemon listens on: one per machine.
#[cfg(windows)]
pub fn server_control_socket() -> PathBuf {
    PathBuf::from(PIPE)
}

/// The control pipe a client should try: the machine's one.
#[cfg(windows)]
pub fn client_control_socket() -> PathBuf {
    PathBuf::from(PIPE)
}

/// The control socket a client should try: its own user's daemon first, then the system one.
#[cfg(not(windows))]
pub fn client_control_socket() -> PathBuf {
    let own = server_control_socket();
    let system = system_runtime_dir().join(SOCKET_NAME);
    if own.exists() || !system.exists() {
        own
    } else {
        system
    }
}

/// The crash-cleanup journal of a daemon run by this user.
pub fn state_file() -> PathBuf {
    if let Some(dir) = portable_dir() {
        return dir.join(JOURNAL_NAME);
    }
    runtime_dir().join(JOURNAL_NAME)
}

/// The config file read when no `--config` is given.
pub fn config_file() -> PathBuf {
    if let Some(dir) = portable_dir() {
        return dir.join(CONFIG_NAME);
    }
    if is_root() && cfg!(unix) {
        return PathBuf::from("/etc/masq").join(CONFIG_NAME);
    }
    match project_dirs() {
        Some(dirs) => dirs.config_dir().join(CONFIG_NAME),
        None => PathBuf::from(CONFIG_NAME),
    }
}

/// Where the DHCP server keeps its leases across restarts: `/var/lib/masq/leases.json` for
/// root (state that must survive a reboot, unlike the journal), else the user's data dir.
pub fn lease_file() -> PathBuf {
    if let Some(dir) = portable_dir() {
        return dir.join(LEASES_NAME);
    }
    if is_root() && cfg!(unix) {
        return PathBuf::from("/var/lib/masq").join(LEASES_NAME);
    }
    match project_dirs() {
        Some(dirs) => dirs.data_dir().join(LEASES_NAME),
        None => std::env::temp_dir()
            .join(format!("masq-{}", user_id()))
            .join(LEASES_NAME),
    }
}

/// The folder of the running executable when it holds the portable marker, else `None`
/// (also when the executable's path cannot be found: then the usual locations apply).
pub fn portable_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    portable_dir_of(&exe)
}

/// The portable rule for a given executable path, apart so tests need no marker beside the
/// test binary.
fn portable_dir_of(exe: &Path) -> Option<PathBuf> {
    let dir = exe.parent()?;
    dir.join(PORTABLE_MARKER).is_file().then(|| dir.to_owned())
}

fn runtime_dir() -> PathBuf {
    if is_root() {
        return system_runtime_dir();
    }
    let Some(dirs) = project_dirs() else {
        return std::env::temp_dir().join(format!("masq-{}", user_id()));
    };
    dirs.runtime_dir()
        .unwrap_or_else(|| dirs.cache_dir())
        .to_owned()
}

fn system_runtime_dir() -> PathBuf {
    if cfg!(target_os = "linux") {
        PathBuf::from("/run/masq")
    } else if cfg!(unix) {
        PathBuf::from("/var/run/masq")
    } else {
        std::env::temp_dir().join("masq")
    }
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "masq")
}

#[cfg(unix)]
fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

#[cfg(unix)]
fn user_id() -> String {
    nix::unistd::geteuid().to_string()
}

#[cfg(not(unix))]
fn user_id() -> String {
    std::env::var("USERNAME").unwrap_or_else(|_| "user".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(windows)]
    #[test]
    fn the_control_api_is_the_machine_wide_pipe() {
        assert_eq!(
            server_control_socket(),
            PathBuf::from(r"\\.\pipe\masq-control")
        );
        assert_eq!(client_control_socket(), server_control_socket());
    }

    #[test]
    fn defaults_have_the_expected_names_and_are_absolute() {
        #[cfg(not(windows))]
        let control = [
            (server_control_socket(), SOCKET_NAME),
            (client_control_socket(), SOCKET_NAME),
        ];
        #[cfg(windows)]
        let control = [];
        for (path, name) in control
            .into_iter()
            .chain([(state_file(), JOURNAL_NAME), (config_file(), CONFIG_NAME)])
        {
            assert!(path.ends_with(name), "{}", path.display());
            assert!(path.is_absolute(), "{}", path.display());
        }
    }

    #[test]
    fn a_portable_marker_next_to_the_executable_keeps_state_in_its_folder() {
        let dir = std::env::temp_dir().join(format!("masq-paths-portable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("masq.exe");
        assert_eq!(portable_dir_of(&exe), None, "no marker yet");
        std::fs::create_dir_all(dir.join(PORTABLE_MARKER)).unwrap();
        assert_eq!(portable_dir_of(&exe), None, "a directory is not the marker");
        std::fs::remove_dir(dir.join(PORTABLE_MARKER)).unwrap();
        std::fs::write(dir.join(PORTABLE_MARKER), b"").unwrap();
        assert_eq!(portable_dir_of(&exe), Some(dir.clone()));
        assert_eq!(portable_dir_of(Path::new("masq")), None, "no parent folder");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_test_binary_is_not_portable() {
        assert_eq!(portable_dir(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "needs root"]
    fn root_uses_system_locations() {
        assert!(is_root(), "run as root: `cargo test -- --ignored`");
        assert_eq!(
            server_control_socket(),
            PathBuf::from("/run/masq/control.sock")
        );
        assert_eq!(state_file(), PathBuf::from("/run/masq/state.json"));
        assert_eq!(config_file(), PathBuf::from("/etc/masq/masq.toml"));
    }
}
