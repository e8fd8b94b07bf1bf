//! The one error type of the platform layer's setup, teardown and discovery calls.
//!
//! Every variant says what failed, on which interface, address or file, and what the user can
//! do about it, because the CLI shows these messages as they are. Socket-level calls return
//! `io::Error` instead (the runtime matches on `ErrorKind` and raw OS codes); where those are
//! unsupported, the inner error is a [`PlatformError::Unsupported`].

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Why a platform operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// This OS has no backend for the operation yet.
    #[error("masq cannot {what} on {os} yet: {missing}")]
    Unsupported {
        /// The operating system, as users name it.
        os: &'static str,
        /// What was asked, as a verb phrase ("share a connection").
        what: &'static str,
        /// What is missing (which backend is not built).
        missing: &'static str,
    },

    /// An interface name that the OS could never accept.
    #[error("`{name}` is not a valid interface name: {reason}")]
    InvalidInterfaceName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A named interface does not exist.
    #[error(
        "{role} `{name}` was not found ({source}); pass an existing name (`ip link`, `ifconfig` or `Get-NetAdapter` lists them)"
    )]
    InterfaceNotFound {
        /// Which interface it was meant to be ("uplink interface", "LAN interface", ...).
        role: &'static str,
        /// The name looked up.
        name: String,
        /// The OS error.
        source: io::Error,
    },

    /// An interface exists but its addresses or MTU could not be read.
    #[error("could not read the settings of interface `{name}`: {source}")]
    InterfaceQuery {
        /// The interface.
        name: String,
        /// The OS error.
        source: io::Error,
    },

    /// The uplink and the LAN were given as the same interface.
    #[error(
        "the uplink and the LAN are both `{name}`: the LAN must be the interface your hidden hosts are plugged into, the uplink the one with internet access"
    )]
    SameInterface {
        /// The interface named twice.
        name: String,
    },

    /// The TUN name collides with another interface.
    #[error(
        "an interface named `{name}` already exists: is another masq running? Otherwise choose another TUN name"
    )]
    TunNameTaken {
        /// The requested TUN name.
        name: String,
    },

    /// The LAN interface has no IPv4 address and none was given.
    #[error(
        "LAN interface `{lan}` has no IPv4 address: pass --lan-addr with the gateway address and prefix for the LAN, e.g. 192.168.137.1/24"
    )]
    NoLanAddress {
        /// The LAN interface.
        lan: String,
    },

    /// The requested gateway address cannot be a host address on the LAN.
    #[error(
        "{addr} cannot be the gateway's LAN address: {reason}; pass --lan-addr with a host address and prefix, e.g. 192.168.137.1/24"
    )]
    InvalidLanAddress {
        /// The address and prefix as given.
        addr: ipnet::Ipv4Net,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The virtual adapter could not be created or used.
    #[error(
        "could not create the TUN adapter `{name}`: {source}; check that /dev/net/tun exists (`modprobe tun`) and that masq runs as root"
    )]
    Tun {
        /// The adapter name.
        name: String,
        /// The OS error.
        source: io::Error,
    },

    /// A netlink request failed.
    #[error("could not {action}: {source}")]
    Netlink {
        /// What was being done, e.g. "add rule `iif lan0 lookup 28017`".
        action: String,
        /// The kernel's answer.
        source: io::Error,
    },

    /// Something masq wants to create already exists and belongs to someone else.
    #[error("{what} already exists: {advice}")]
    Conflict {
        /// The clashing object.
        what: String,
        /// How to avoid the clash.
        advice: &'static str,
    },

    /// A kernel setting under /proc/sys could not be read or written.
    #[error("could not {action} {}: {source}", path.display())]
    Sysctl {
        /// "read" or "write".
        action: &'static str,
        /// The /proc/sys file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },

    /// The state journal could not be read, written or removed.
    #[error("could not {action} the state journal {}: {source}; check that its directory is writable by root", path.display())]
    Journal {
        /// "write", "read", "remove".
        action: &'static str,
        /// The journal file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },

    /// The state journal exists but is not a journal masq can read.
    #[error("the state journal {} is unreadable ({source}); inspect it, undo what it lists by hand, and delete it", path.display())]
    JournalCorrupt {
        /// The journal file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },

    /// A journal from an earlier run is still there, so that run's changes may still be in place.
    #[error("a previous masq (pid {pid}) left its changes recorded in {}; run `masq down` to undo them, then start again", path.display())]
    StaleJournal {
        /// The journal file.
        path: PathBuf,
        /// The process that wrote it.
        pid: u32,
    },

    /// `cleanup_stale` was asked to clean up after an instance that is still running.
    #[error("masq (pid {pid}) is still running and owns {}; stop it instead of cleaning up behind it", path.display())]
    StillRunning {
        /// The running instance.
        pid: u32,
        /// Its journal.
        path: PathBuf,
    },

    /// An async call was made outside a tokio runtime (netlink needs one).
    #[error("{what} must be called from inside a tokio runtime")]
    NoRuntime {
        /// The function called.
        what: &'static str,
    },

    /// Some recorded changes could not be undone; they stay in the journal for another try.
    #[error("could not undo {}; they are still recorded in {}: fix the cause and run `masq down` again", failures.join("; "), path.display())]
    CleanupIncomplete {
        /// The journal that still lists them.
        path: PathBuf,
        /// One line per change that is still in place, with its error.
        failures: Vec<String>,
    },

    /// Start failed, and undoing its partial setup failed too.
    #[error("{cause}; undoing the partial setup also failed ({}): run `masq down` to retry (journal {})", leftovers.join("; "), path.display())]
    StartFailed {
        /// Why start failed.
        cause: Box<PlatformError>,
        /// Changes still in place.
        leftovers: Vec<String>,
        /// The journal that lists them.
        path: PathBuf,
    },

    /// A macOS utun could not be opened or configured.
    #[error(
        "could not set up the utun adapter ({what}): {source}; masq must run as root, and a requested `utunN` must not be in use"
    )]
    Utun {
        /// What was being done ("connect to com.apple.net.utun_control", "set the MTU of utun4").
        what: String,
        /// The OS error.
        source: io::Error,
    },

    /// An nftables operation (through `nft`) failed.
    #[error("could not {action} with nft: {detail}")]
    Nft {
        /// What was being done ("add table inet masq_masq0").
        action: String,
        /// nft's exit status and error output, or why it could not run.
        detail: String,
    },

    /// A pf operation (through /sbin/pfctl) failed.
    #[error("could not {action} with pfctl: {detail}")]
    Pf {
        /// What was being done ("load rules into anchor com.apple/masq").
        action: String,
        /// pfctl's exit status and error output, or why it could not run.
        detail: String,
    },

    /// A kernel setting reached through sysctl(3) by name could not be read or written.
    #[error("could not {action} sysctl {name}: {source}")]
    SysctlByName {
        /// "read" or "write".
        action: &'static str,
        /// The setting, e.g. `net.inet.ip.forwarding`.
        name: &'static str,
        /// The OS error.
        source: io::Error,
    },

    /// The routing socket (`PF_ROUTE`) could not answer a lookup.
    #[error("could not {action} through the routing socket: {source}")]
    RoutingSocket {
        /// What was being done ("look up the default route").
        action: &'static str,
        /// The OS error or the kernel's answer.
        source: io::Error,
    },
}

impl PlatformError {
    /// What a failed start reports once its partial setup was rolled back (`undo`, the result
    /// of undoing the journal at `path`): the cause alone when everything was undone, else the
    /// cause together with what is still in place, so the user knows to run `masq down`.
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "macos", target_os = "windows", test)),
        allow(dead_code, reason = "only the OS backends set up and roll back")
    )]
    pub(crate) fn after_rollback<T>(
        cause: PlatformError,
        undo: Result<T, PlatformError>,
        path: PathBuf,
    ) -> PlatformError {
        match undo {
            Ok(_) => cause,
            Err(PlatformError::CleanupIncomplete { failures, path }) => {
                PlatformError::StartFailed {
                    cause: Box::new(cause),
                    leftovers: failures,
                    path,
                }
            }
            Err(other) => PlatformError::StartFailed {
                cause: Box::new(cause),
                leftovers: vec![other.to_string()],
                path,
            },
        }
    }

    /// Wraps this error in an `io::Error` for the socket-level API, keeping it as the source.
    pub fn into_io(self) -> io::Error {
        let kind = match &self {
            PlatformError::Unsupported { .. } => io::ErrorKind::Unsupported,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_message_names_os_and_backend() {
        let err = PlatformError::Unsupported {
            os: "macOS",
            what: "share a connection",
            missing: "the utun backend is not built",
        };
        assert_eq!(
            err.to_string(),
            "masq cannot share a connection on macOS yet: the utun backend is not built"
        );
        let io = err.into_io();
        assert_eq!(io.kind(), io::ErrorKind::Unsupported);
        assert!(io.to_string().contains("macOS"));
    }

    #[test]
    fn a_rollback_that_left_changes_names_them_with_the_cause() {
        let cause = || PlatformError::NoLanAddress { lan: "eth1".into() };
        let path = PathBuf::from("/run/masq/state.json");
        let clean = PlatformError::after_rollback(cause(), Ok(()), path.clone());
        assert!(
            matches!(clean, PlatformError::NoLanAddress { .. }),
            "{clean}"
        );
        let left = PlatformError::after_rollback::<()>(
            cause(),
            Err(PlatformError::CleanupIncomplete {
                path: path.clone(),
                failures: vec!["route table 100".into()],
            }),
            path.clone(),
        );
        let msg = left.to_string();
        assert!(
            msg.contains("eth1") && msg.contains("route table 100") && msg.contains("masq down"),
            "{msg}"
        );
        let other = PlatformError::after_rollback::<()>(cause(), Err(cause()), path);
        assert!(
            matches!(other, PlatformError::StartFailed { leftovers, .. } if leftovers.len() == 1)
        );
    }

    #[test]
    fn no_lan_address_tells_the_user_the_flag() {
        let err = PlatformError::NoLanAddress { lan: "eth1".into() };
        let msg = err.to_string();
        assert!(msg.contains("eth1") && msg.contains("--lan-addr"), "{msg}");
    }
}
