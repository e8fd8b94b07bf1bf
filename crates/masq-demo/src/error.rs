//! What can go wrong in `masq demo`, each case naming the step, the command or path involved,
//! and what the user can do about it.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// A failed demo step. The bench guard has already cleaned up (or will, when it drops) by the
/// time this reaches the user.
#[derive(Debug, Error)]
pub enum DemoError {
    /// Namespaces, veth pairs and TUN devices need root.
    #[error("masq demo builds network namespaces and must run as root (try: sudo masq demo)")]
    NotRoot,
    /// Tools the bench shells out to are not installed.
    #[error(
        "masq demo needs tools that are not installed: {missing}; on Debian/Ubuntu: sudo apt-get install {packages}"
    )]
    MissingTools {
        /// The missing programs.
        missing: String,
        /// The Debian packages that provide them.
        packages: String,
    },
    /// A command could not be started at all.
    #[error("cannot run `{command}` ({what})")]
    Spawn {
        /// The step it belongs to.
        what: String,
        /// The command line.
        command: String,
        /// Why the OS refused.
        #[source]
        source: std::io::Error,
    },
    /// A command ran but failed.
    #[error("{what} failed: `{command}` exited with {status}{detail}")]
    Failed {
        /// The step it belongs to.
        what: String,
        /// The command line.
        command: String,
        /// Its exit status, in words.
        status: String,
        /// Its stderr (or stdout), prefixed with ": ", or empty.
        detail: String,
    },
    /// A command or a wait did not finish in time.
    #[error("{what} did not finish within {} s", .limit.as_secs())]
    Timeout {
        /// The step that timed out.
        what: String,
        /// The limit that passed.
        limit: Duration,
    },
    /// masq exited before it was ready, or while the demo ran.
    #[error("masq stopped unexpectedly ({status}); the end of its log ({log}):\n{tail}", log = .log.display())]
    MasqExited {
        /// Its exit status, in words.
        status: String,
        /// Where its full log is.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },
    /// Reading or writing a demo file failed.
    #[error("cannot {what} {}", .path.display())]
    Io {
        /// What was being done, e.g. "write the demo page".
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The user pressed Ctrl-C (or the demo got SIGTERM).
    #[error("interrupted; the demo network has been removed")]
    Interrupted,
    /// After stopping, masq left something in the gateway namespace.
    #[error("masq left changes behind after it stopped: {0}")]
    LeftBehind(String),
    /// An observation did not match what masquerading promises (e.g. the server saw the
    /// hidden host's own address).
    #[error("unexpected result: {0}")]
    Unexpected(String),
}
