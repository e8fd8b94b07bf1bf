//! Whether the window can reach the daemon, as the window shows it (`masq://daemon`).

use masq_control::ClientError;
use serde::Serialize;

use crate::control_socket::control_socket;

/// Whether the daemon is reachable, and if not why and what the user can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaemonState {
    /// A subscription is running.
    pub connected: bool,
    /// No attempt has finished yet (the window says "looking for" rather than "not running").
    pub searching: bool,
    /// The control socket tried.
    pub socket: String,
    /// Why it is not reachable (empty when connected).
    pub message: String,
    /// Whether the "start the service" action can work here.
    pub can_start_service: bool,
}

impl DaemonState {
    /// Before the first attempt.
    pub fn searching() -> DaemonState {
        DaemonState {
            connected: false,
            searching: true,
            socket: control_socket().display().to_string(),
            message: "Looking for the masq service…".to_owned(),
            can_start_service: false,
        }
    }

    /// A subscription to the daemon runs.
    pub fn connected() -> DaemonState {
        DaemonState {
            connected: true,
            searching: false,
            socket: control_socket().display().to_string(),
            message: String::new(),
            can_start_service: false,
        }
    }

    /// The daemon could not be reached; the message and the "start the service" offer say
    /// what the user can do about `error`.
    pub fn unreachable(error: &ClientError) -> DaemonState {
        DaemonState {
            connected: false,
            searching: false,
            socket: control_socket().display().to_string(),
            message: error.to_string(),
            can_start_service: matches!(error, ClientError::NotRunning { .. })
                && crate::service::available(),
        }
    }
}
