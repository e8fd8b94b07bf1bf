//! Stop requests that arrive from outside the console on Windows: the service control
//! manager's SERVICE_CONTROL_STOP and SHUTDOWN, delivered on the SCM's own thread.
//!
//! The supervisor waits for them alongside Ctrl-C (see `signals.rs`) and stops sharing cleanly
//! before `masq daemon` returns. A request made before anyone waits is kept, not lost.

use tokio::sync::Notify;

static STOP: Notify = Notify::const_new();

/// Asks the running daemon to stop sharing and exit; callable from any thread.
pub fn request_stop() {
    STOP.notify_one();
}

/// Waits for [`request_stop`].
pub(super) async fn requested() {
    STOP.notified().await;
}
