//! The live view: one subscription to the daemon, forwarded to the window as events.
//!
//! The daemon pushes an update every second with the full status, the translations added,
//! changed or removed, and new inbound attempts (see `masq_control::Event`); they go to the
//! window unchanged as `masq://update`, tagged `first` when a (re)connected subscription sends
//! its first update, which carries everything. When the daemon cannot be reached the window
//! gets `masq://daemon` with the reason, and the task tries again every second, so a daemon
//! started later (by the user, by systemd, by the "start service" action) is picked up.

use std::time::Duration;

use masq_control::InboundAttempt;
use masq_control::{AsyncClient, ClientError, Event, StatusReport, TranslationDelta};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::backend::Backend;
use crate::control_socket::control_socket;
use crate::daemon_state::DaemonState;
use crate::tray;

/// Event carrying one update.
pub const EVENT_UPDATE: &str = "masq://update";
/// Event carrying a change of [`DaemonState`].
pub const EVENT_DAEMON: &str = "masq://daemon";
/// How often the daemon pushes updates (the issue asks for at most one second).
const UPDATE_INTERVAL: Duration = Duration::from_secs(1);
/// Pause before trying to reach the daemon again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// One update as the window receives it.
#[derive(Debug, Serialize)]
struct UpdatePayload {
    first: bool,
    status: StatusReport,
    translations: TranslationDelta,
    inbound: Vec<InboundAttempt>,
}

/// Starts the subscription task; it runs for the life of the app.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let error = follow(&app).await;
            report(&app, DaemonState::unreachable(&error));
            tokio::time::sleep(RETRY_AFTER).await;
        }
    });
}

/// Subscribes and forwards updates until the subscription fails; returns why.
async fn follow(app: &AppHandle) -> ClientError {
    let client = match AsyncClient::connect(control_socket()).await {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut updates = match client.subscribe(UPDATE_INTERVAL).await {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut first = true;
    loop {
        let event = match updates.next().await {
            Some(Ok(event)) => event,
            Some(Err(e)) => return e,
            None => {
                return ClientError::Closed {
                    path: control_socket(),
                };
            }
        };
        if first {
            tracing::info!(socket = %control_socket().display(), "connected to masq");
            report(app, DaemonState::connected());
        }
        let Event::Update {
            status,
            translations,
            inbound,
        } = event;
        tray::show_status(app, &status);
        let payload = UpdatePayload {
            first,
            status,
            translations,
            inbound,
        };
        if let Err(e) = app.emit(EVENT_UPDATE, &payload) {
            tracing::warn!(error = %e, "cannot pass an update to the window");
        }
        first = false;
    }
}

/// Stores and announces a connection state, logging only changes.
fn report(app: &AppHandle, state: DaemonState) {
    let backend = app.state::<Backend>();
    if !backend.set_daemon_state(state.clone()) {
        return;
    }
    if !state.connected {
        tracing::warn!(reason = %state.message, "masq service not reachable");
        tray::show_unreachable(app);
    }
    if let Err(e) = app.emit(EVENT_DAEMON, &state) {
        tracing::warn!(error = %e, "cannot pass the service state to the window");
    }
}
