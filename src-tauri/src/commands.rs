//! The Tauri commands the window calls (`invoke("status")` …): thin wrappers that forward to
//! the daemon's control API and return its answers unchanged, so the GUI shows exactly what
//! `masq status --json` would.
//!
//! Names here must match `ui/src/api/backend.ts`.

use masq_control::{ForwardKey, ForwardSpec, ForwardView, InboundAttempt, Translation};
use masq_control::{LanClient, LogLevel, Request, Response, Settings, StatusReport};
use tauri::State;

use crate::backend::Backend;
use crate::daemon::{ask, ask_done};
use crate::daemon_state::DaemonState;
use crate::error::GuiError;
use crate::logs::LogLine;

macro_rules! expect_answer {
    ($request:expr, $variant:path) => {{
        let request = $request;
        let asked = request.kind();
        match ask(request).await? {
            $variant(data) => Ok(data),
            other => Err(GuiError::UnexpectedAnswer {
                asked,
                got: other.kind(),
            }),
        }
    }};
}

/// Whether sharing runs, on which interfaces, with which totals.
#[tauri::command]
pub async fn status() -> Result<StatusReport, GuiError> {
    expect_answer!(Request::Status, Response::Status)
}

/// Every live translation (the window normally builds its table from subscription deltas).
#[tauri::command]
pub async fn translations() -> Result<Vec<Translation>, GuiError> {
    expect_answer!(Request::Translations, Response::Translations)
}

/// The refused inbound attempts the daemon remembers.
#[tauri::command]
pub async fn inbound() -> Result<Vec<InboundAttempt>, GuiError> {
    expect_answer!(Request::Inbound, Response::Inbound)
}

/// The hosts on the LAN: DHCP leases, neighbours and their flows.
#[tauri::command]
pub async fn clients() -> Result<Vec<LanClient>, GuiError> {
    expect_answer!(Request::Clients, Response::Clients)
}

/// The settings sharing starts with.
#[tauri::command]
pub async fn get_settings() -> Result<Settings, GuiError> {
    expect_answer!(Request::GetSettings, Response::Settings)
}

/// Stores new settings. They are checked here with the API's own validation first, so a bad
/// value is reported with its key even by a daemon that words its refusal differently. The
/// `[engine]` section is the daemon's to judge (the GUI does not know the engine); its refusal
/// names the key as well.
#[tauri::command]
pub async fn set_settings(settings: Settings) -> Result<Settings, GuiError> {
    settings
        .validate(|_| Ok(()))
        .map_err(GuiError::InvalidSettings)?;
    expect_answer!(
        Request::SetSettings {
            settings: Box::new(settings)
        },
        Response::Settings
    )
}

/// Starts sharing.
#[tauri::command]
pub async fn start() -> Result<(), GuiError> {
    tracing::info!("turning sharing on");
    ask_done(Request::Start).await
}

/// Stops sharing.
#[tauri::command]
pub async fn stop() -> Result<(), GuiError> {
    tracing::info!("turning sharing off");
    ask_done(Request::Stop).await
}

/// Forgets the refused inbound attempts seen so far.
#[tauri::command]
pub async fn clear_inbound() -> Result<(), GuiError> {
    ask_done(Request::ClearInbound).await
}

/// The port forwards (the user's and LAN clients' port mappings) and their state.
#[tauri::command]
pub async fn forwards() -> Result<Vec<ForwardView>, GuiError> {
    expect_answer!(Request::Forwards, Response::Forwards)
}

/// Adds a port forward; answers the whole list afterwards. The daemon's refusal (overlap,
/// target not on the LAN, …) comes back as a plain sentence for the form.
#[tauri::command]
pub async fn add_forward(forward: ForwardSpec) -> Result<Vec<ForwardView>, GuiError> {
    tracing::info!(protocol = %forward.protocol, public = %forward.public, target = %forward.target, "adding a port forward");
    expect_answer!(Request::AddForward { forward }, Response::Forwards)
}

/// Changes a port forward in one step (ports, target, name); answers the list afterwards. A
/// refusal leaves the forward as it was and comes back as the daemon's sentence.
#[tauri::command]
pub async fn update_forward(
    key: ForwardKey,
    forward: ForwardSpec,
) -> Result<Vec<ForwardView>, GuiError> {
    tracing::info!(protocol = %key.protocol, port = key.port, public = %forward.public, target = %forward.target, "changing a port forward");
    expect_answer!(Request::UpdateForward { key, forward }, Response::Forwards)
}

/// Removes a port forward (also a LAN client's port mapping); answers the list afterwards.
#[tauri::command]
pub async fn remove_forward(key: ForwardKey) -> Result<Vec<ForwardView>, GuiError> {
    tracing::info!(protocol = %key.protocol, port = key.port, "removing a port forward");
    expect_answer!(Request::RemoveForward { key }, Response::Forwards)
}

/// Switches a port forward on or off without forgetting it; answers the list afterwards.
#[tauri::command]
pub async fn enable_forward(key: ForwardKey, enabled: bool) -> Result<Vec<ForwardView>, GuiError> {
    tracing::info!(protocol = %key.protocol, port = key.port, enabled, "switching a port forward");
    expect_answer!(Request::EnableForward { key, enabled }, Response::Forwards)
}

/// Whether the daemon is reachable right now, as last seen by the subscription.
#[tauri::command]
pub fn daemon_state(backend: State<'_, Backend>) -> DaemonState {
    backend.daemon_state()
}

/// Starts the daemon through the OS's administrator prompt and waits until it answers.
#[tauri::command]
pub async fn start_service() -> Result<(), GuiError> {
    crate::service::start_daemon().await?;
    Ok(())
}

/// The masq service's own recent log lines (oldest first), at least as serious as `level`:
/// the service has no terminal the user sees (a Windows service, a launchd daemon), so this
/// is where the window shows what it said. Needs the operator role; a refusal says so.
#[tauri::command]
pub async fn daemon_logs(
    level: Option<LogLevel>,
    limit: Option<u32>,
) -> Result<Vec<masq_control::LogLine>, GuiError> {
    expect_answer!(Request::Logs { level, limit }, Response::Logs)
}

/// The first-run check: interfaces and what each is, the uplink masq would use, and for `lan`
/// the gateway address, DHCP range and conflicts. Changes nothing.
#[tauri::command]
pub async fn setup_check(
    lan: Option<String>,
    lan_addr: Option<String>,
) -> Result<masq_control::SetupReport, GuiError> {
    expect_answer!(Request::SetupCheck { lan, lan_addr }, Response::SetupCheck)
}

/// Log lines of this app with a sequence number above `after`.
#[tauri::command]
pub fn logs(backend: State<'_, Backend>, after: u64) -> Vec<LogLine> {
    backend.logs.after(after)
}
