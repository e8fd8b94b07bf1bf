//! Why a client could not get an answer, in words that tell the user what to do.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::framing::MAX_RESPONSE_LINE;
use crate::response::ApiError;

/// A failed exchange with the daemon, from the client's side.
#[derive(Debug, Error)]
pub enum ClientError {
    /// Nothing listens at the control path.
    #[error("masq is not running (no control socket at {}); start it with `masq up …` or `masq daemon`", path.display())]
    NotRunning {
        /// The control socket path tried.
        path: PathBuf,
    },
    /// The socket exists but this user may not use it.
    #[error("permission denied on the control socket {}: {who}", path.display())]
    PermissionDenied {
        /// The control socket path.
        path: PathBuf,
        /// Who may connect, and how to become one of them.
        who: String,
    },
    /// Reading or writing the socket failed.
    #[error("cannot talk to masq at {}", path.display())]
    Io {
        /// The control socket path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The daemon did not answer in time.
    #[error("masq at {} did not answer within {} s", path.display(), after.as_secs())]
    Timeout {
        /// The control socket path.
        path: PathBuf,
        /// How long the client waited.
        after: Duration,
    },
    /// The daemon closed the connection before answering (it probably stopped).
    #[error("masq at {} closed the connection before answering (did it stop?)", path.display())]
    Closed {
        /// The control socket path.
        path: PathBuf,
    },
    /// The daemon speaks another control API version.
    #[error("masq at {} cannot be used by this client: {}", path.display(), error.message)]
    Version {
        /// The control socket path.
        path: PathBuf,
        /// The version error, naming both versions.
        error: ApiError,
    },
    /// An answer that is not valid for the protocol.
    #[error("unexpected answer from masq at {}: {detail}", path.display())]
    Protocol {
        /// The control socket path.
        path: PathBuf,
        /// What was wrong with it.
        detail: String,
    },
    /// An answer longer than a client accepts.
    #[error("masq at {} sent an answer longer than {MAX_RESPONSE_LINE} bytes", path.display())]
    TooLarge {
        /// The control socket path.
        path: PathBuf,
    },
    /// The daemon refused the request; its message says why.
    #[error("masq refused the request: {0}")]
    Api(ApiError),
    /// A request that needs another method (e.g. `subscribe` through `request`).
    #[error("{0}")]
    Usage(&'static str),
}
