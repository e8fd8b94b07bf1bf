//! The state the app shares between commands, the subscription task and the tray: the last
//! known daemon connection state and the app's log buffer.

use std::sync::{Arc, Mutex, PoisonError};

use crate::daemon_state::DaemonState;
use crate::logs::LogBuffer;

/// Managed by Tauri (`app.manage`); commands receive it as `State<Backend>`.
pub struct Backend {
    /// This app's own log lines, for the Logs screen.
    pub logs: Arc<LogBuffer>,
    daemon: Mutex<DaemonState>,
}

impl Backend {
    /// A backend that has not reached the daemon yet.
    pub fn new(logs: Arc<LogBuffer>) -> Backend {
        Backend {
            logs,
            daemon: Mutex::new(DaemonState::searching()),
        }
    }

    /// The daemon connection state last reported by the subscription.
    pub fn daemon_state(&self) -> DaemonState {
        self.daemon
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records a new connection state; returns whether it differs from the previous one.
    pub fn set_daemon_state(&self, state: DaemonState) -> bool {
        let mut current = self.daemon.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = *current != state;
        *current = state;
        changed
    }
}
