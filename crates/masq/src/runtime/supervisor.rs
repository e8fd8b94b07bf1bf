//! Answers the control API and starts and stops sharing sessions; handles signals.

use anyhow::{Context, Result, anyhow};
use masq_control::{
    ErrorCode, HandlerCall, Request, Response, Role, RoleRefusal, Settings, StatusReport,
};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use super::ControlOptions;
use super::boot_wait::{BootRetry, is_not_ready};
use super::forward_requests::{self, SavedForwards};
use super::interface_check::check_interfaces;
use super::session::Session;
use super::signals::Shutdown;
use crate::setup_check;

pub(super) struct Supervisor {
    settings: Settings,
    /// Where forwards added through the API are saved.
    saved_forwards: SavedForwards,
    control: ControlOptions,
    session: Option<Session>,
    last_error: Option<String>,
    calls: mpsc::Receiver<HandlerCall>,
    /// A boot-time start waiting for the network; cleared when a user starts or stops.
    boot_retry: Option<BootRetry>,
}

impl Supervisor {
    /// Binds the control socket (refusing to run twice) and starts serving it.
    pub(super) fn bind(mut settings: Settings, control: ControlOptions) -> Result<Supervisor> {
        let listener =
            masq_control::bind(&control.path, control.group.as_deref()).with_context(|| {
                format!("cannot open the control socket {}", control.path.display())
            })?;
        let listener = open_to_others(listener, &control)?;
        let (tx, calls) = mpsc::channel(64);
        tokio::spawn(async move {
            if let Err(e) = masq_control::serve(listener, tx).await {
                error!(error = %e, "control API stopped");
            }
        });
        info!(path = %control.path.display(), "control API listening");
        let saved_forwards = SavedForwards::load(control.files.forwards.clone(), &mut settings);
        Ok(Supervisor {
            settings,
            saved_forwards,
            control,
            session: None,
            last_error: None,
            calls,
            boot_retry: None,
        })
    }

    pub(super) async fn start(&mut self) -> Result<()> {
        if self.session.is_some() {
            return Ok(());
        }
        match Session::start(&self.settings, &self.control.files).await {
            Ok(s) => {
                self.session = Some(s);
                self.last_error = None;
                Ok(())
            }
            Err(e) => {
                self.last_error = Some(format!("{e:#}"));
                Err(e)
            }
        }
    }

    /// Starts sharing for `autostart`; if the network is not there yet, keeps trying for a
    /// while from [`Supervisor::run`] (see `boot_wait.rs`).
    pub(super) async fn start_at_boot(&mut self) {
        match self.start().await {
            Ok(()) => {}
            Err(e) if is_not_ready(&e) => {
                info!(
                    "{e:#}; trying again every {} s for up to {} s",
                    super::boot_wait::RETRY_EVERY.as_secs(),
                    super::boot_wait::WAIT_AT_MOST.as_secs()
                );
                self.boot_retry = Some(BootRetry::first(tokio::time::Instant::now()));
            }
            Err(e) => error!("{e:#}"),
        }
    }

    async fn retry_boot_start(&mut self) {
        let Some(retry) = self.boot_retry.take() else {
            return;
        };
        match self.start().await {
            Ok(()) => info!("the network is there now; sharing started"),
            Err(e) if is_not_ready(&e) => match retry.after(tokio::time::Instant::now()) {
                Some(next) => self.boot_retry = Some(next),
                None => error!("{e:#}; gave up waiting for it, start sharing when it is there"),
            },
            Err(e) => error!("{e:#}"),
        }
    }

    async fn stop(&mut self) -> Result<()> {
        match self.session.take() {
            Some(s) => {
                let r = s.stop().await;
                if let Err(e) = &r {
                    self.last_error = Some(format!("{e:#}"));
                }
                info!("sharing stopped");
                r
            }
            None => Ok(()),
        }
    }

    /// Serves until a signal; with `exit_with_session`, also returns when sharing ends.
    pub(super) async fn run(&mut self, exit_with_session: bool) -> Result<()> {
        let mut shutdown = Shutdown::install()?;
        loop {
            tokio::select! {
                () = shutdown.recv() => break,
                Some(call) = self.calls.recv() => {
                    let response = self.handle(call.request, call.role).await;
                    let _ = call.reply.send(response);
                }
                () = boot_retry_due(self.boot_retry) => self.retry_boot_start().await,
                () = session_ended(self.session.as_ref()) => {
                    let r = self.stop().await;
                    if let Err(e) = &r {
                        error!("sharing ended: {e:#}");
                    }
                    if exit_with_session {
                        return r.and(Err(anyhow!("sharing ended unexpectedly")));
                    }
                }
            }
        }
        info!("signal received, stopping");
        self.stop().await
    }

    async fn handle(&mut self, request: Request, role: Role) -> Response {
        match request {
            Request::Status => Response::Status(self.status().await),
            Request::Translations => match &self.session {
                Some(s) => s
                    .translations()
                    .await
                    .map_or_else(unavailable, Response::Translations),
                None => Response::Translations(Vec::new()),
            },
            Request::Inbound => match &self.session {
                Some(s) => s
                    .inbound()
                    .await
                    .map_or_else(unavailable, Response::Inbound),
                None => Response::Inbound(Vec::new()),
            },
            Request::Clients => match &self.session {
                Some(s) => s
                    .clients()
                    .await
                    .map_or_else(unavailable, Response::Clients),
                None => Response::Clients(Vec::new()),
            },
            Request::ClearInbound => {
                if let Some(s) = &self.session {
                    s.clear_inbound().await;
                }
                Response::Done
            }
            Request::Forwards
            | Request::AddForward { .. }
            | Request::UpdateForward { .. }
            | Request::RemoveForward { .. }
            | Request::EnableForward { .. } => {
                forward_requests::handle(
                    request,
                    &mut self.settings,
                    &self.saved_forwards,
                    self.session.as_ref(),
                )
                .await
            }
            Request::GetSettings => Response::Settings(self.settings.clone()),
            Request::SetSettings { mut settings } => match self.may_change(&settings, role) {
                Err(refusal) => Response::error(ErrorCode::PermissionDenied, refusal),
                Ok(()) => match settings
                    .validate(crate::engine_api::check_engine_settings)
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        let tun = self.session.as_ref().map(|s| s.tun.as_str());
                        check_interfaces(&settings, tun).map_err(|e| format!("{e:#}"))
                    }) {
                    Ok(()) => {
                        // Forwards change only through the forward requests (which also save them
                        // and apply them at once); a settings form loaded before the last change
                        // must not undo it.
                        settings.forwards = std::mem::take(&mut self.settings.forwards);
                        // Client limits apply to the running engine at once; the rest at the
                        // next start.
                        let limits = &settings.engine.client_limits;
                        if limits != &self.settings.engine.client_limits
                            && let Some(s) = self.session.as_mut()
                            && let Some(Err(e)) = s.set_client_limits(limits.clone()).await
                        {
                            return Response::error(ErrorCode::InvalidSettings, e);
                        }
                        self.settings = *settings;
                        Response::Settings(self.settings.clone())
                    }
                    Err(e) => Response::error(ErrorCode::InvalidSettings, e),
                },
            },
            Request::Logs { level, limit } => Response::Logs(super::log_ring::recent(level, limit)),
            Request::SetupCheck { lan, lan_addr } => self.setup_check(lan, lan_addr).await,
            Request::Start => {
                self.boot_retry = None;
                if self.session.is_some() {
                    return Response::error(ErrorCode::AlreadyRunning, "sharing is already on");
                }
                match self.start().await {
                    Ok(()) => Response::Done,
                    Err(e) => Response::error(ErrorCode::Failed, format!("{e:#}")),
                }
            }
            Request::Stop => {
                self.boot_retry = None;
                if self.session.is_none() {
                    return Response::error(ErrorCode::NotRunning, "sharing is not on");
                }
                match self.stop().await {
                    Ok(()) => Response::Done,
                    Err(e) => Response::error(ErrorCode::Failed, format!("{e:#}")),
                }
            }
            Request::Subscribe { .. } => {
                warn!("subscribe reached the handler; the control server answers it itself");
                Response::error(
                    ErrorCode::InvalidRequest,
                    "subscribe is served by the control server",
                )
            }
        }
    }

    /// The first-run check; other DHCP servers are known only for the LAN being shared.
    async fn setup_check(&self, lan: Option<String>, lan_addr: Option<String>) -> Response {
        let foreign = match (&self.session, &lan) {
            (Some(s), Some(l)) if s.lan.name == *l => s
                .lan_services()
                .map(|r| r.foreign_dhcp_servers)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let gathered = match setup_check::gather(&self.settings).await {
            Ok(g) => g,
            Err(e) => {
                return Response::error(
                    ErrorCode::Failed,
                    format!("cannot list this computer's interfaces: {e}"),
                );
            }
        };
        let question = setup_check::Question {
            lan: lan.as_deref(),
            lan_addr: lan_addr.as_deref(),
            foreign_dhcp: &foreign,
        };
        match setup_check::report(&gathered, &self.settings, &question) {
            Ok(r) => Response::SetupCheck(r),
            Err(e) => Response::error(ErrorCode::InvalidRequest, e),
        }
    }

    /// Whether a client with `role` may replace the settings with `new`: never a file path,
    /// and interfaces, addresses and services only as an administrator.
    /// The error is the refusal, in words for the user.
    fn may_change(&self, new: &Settings, role: Role) -> Result<(), String> {
        if let Err(e) = self.settings.check_no_path_change(new) {
            return Err(e.to_string());
        }
        let (needs, key) = self.settings.role_to_change(new);
        if role >= needs {
            return Ok(());
        }
        let refusal = RoleRefusal {
            action: format!("changing `{}`", key.unwrap_or("settings")),
            needs,
            has: role,
        };
        warn!(%role, key, "settings change refused for its sender's role");
        Err(refusal.to_string())
    }

    async fn status(&self) -> StatusReport {
        let version = env!("CARGO_PKG_VERSION").to_string();
        match &self.session {
            Some(s) => StatusReport {
                running: true,
                version,
                uplink: Some(s.uplink()),
                lan: Some(s.lan.clone()),
                tun: Some(s.tun.clone()),
                uptime_s: s.started.elapsed().as_secs_f64(),
                engine: s.status().await,
                last_error: self.last_error.clone(),
                lan_services: s.lan_services(),
                roaming: Some(s.roaming()),
            },
            None => StatusReport {
                running: false,
                version,
                uplink: None,
                lan: None,
                tun: None,
                uptime_s: 0.0,
                engine: None,
                last_error: self.last_error.clone(),
                lan_services: None,
                roaming: None,
            },
        }
    }
}

/// Opens the control socket to the observer group and the control user, if they are named.
#[cfg(unix)]
fn open_to_others(
    listener: masq_control::ControlListener,
    control: &ControlOptions,
) -> Result<masq_control::ControlListener> {
    let mut listener = listener;
    if let Some(group) = &control.observers {
        listener = listener.with_observer_group(group).with_context(|| {
            format!("cannot let group {group} watch through the control socket")
        })?;
    }
    if let Some(user) = &control.user {
        listener = listener
            .with_control_user(user)
            .with_context(|| format!("cannot let user {user} use the control socket"))?;
    }
    Ok(listener)
}

/// On Windows the pipe's ACL names who may connect (`--control-group` takes a user, a group
/// or a SID) and the daemon's own user administers; observers are not supported yet.
#[cfg(windows)]
fn open_to_others(
    listener: masq_control::ControlListener,
    control: &ControlOptions,
) -> Result<masq_control::ControlListener> {
    if let Some(group) = &control.observers {
        return Err(anyhow!(
            "observer_group = {group:?}: observers are not supported on Windows yet; leave it unset"
        ));
    }
    if let Some(user) = &control.user {
        return Err(anyhow!(
            "--control-user {user}: on Windows pass the account to --control-group instead"
        ));
    }
    Ok(listener)
}

/// Completes when the running session's loop has ended; never without a session.
async fn session_ended(session: Option<&Session>) {
    match session {
        Some(s) => s.ended().await,
        None => std::future::pending().await,
    }
}

/// Completes when a boot-time retry is due; never without one.
async fn boot_retry_due(retry: Option<BootRetry>) {
    match retry {
        Some(r) => tokio::time::sleep_until(r.next).await,
        None => std::future::pending().await,
    }
}

fn unavailable() -> Response {
    Response::error(
        ErrorCode::Unavailable,
        "the masquerading engine is not answering (it may be stopping)",
    )
}
