//! Port forwards as the API lists them: what the user asked for, and how it is doing.

use masq_vocab::{ForwardKey, ForwardSpec};
use serde::{Deserialize, Serialize};

/// One forward's listening state, as the user sees it. In JSON the unit states are plain
/// strings (`"listening"`) and a failure is `{"failed": {"reason": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerState {
    /// Switched off: kept in the list, not listening.
    Disabled,
    /// Sharing is off, so nothing listens; the forward applies when it starts.
    Stopped,
    /// The daemon is opening the listening socket.
    Opening,
    /// Listening on the uplink.
    Listening,
    /// The OS refused the port (e.g. another program uses it).
    Failed {
        /// What the OS said, in plain words.
        reason: String,
    },
}

/// A forward as listed to users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardView {
    /// Its name (`tcp/8080`).
    pub key: ForwardKey,
    /// What it forwards where, and who asked.
    pub spec: ForwardSpec,
    /// Overall state: `disabled`, `opening`, `listening`, or `failed` with the first reason.
    pub state: ListenerState,
    /// Whether the forward is switched on (a disabled forward has no listeners).
    pub enabled: bool,
    /// Seconds until a port mapping expires; `None` for the user's own forwards.
    pub expires_in_s: Option<f64>,
    /// Connections (TCP) or remote peers' first datagrams (UDP) forwarded so far.
    pub connections: u64,
}
