//! `masq daemon --service`: the process the Windows service control manager starts.
//!
//! The SCM needs the process to enter its dispatcher at once; the dispatcher calls
//! `service_main` on a thread of its own, which reads the config (a failure there stops the
//! service with an error code instead of leaving the SCM to time out), reports "running",
//! runs the ordinary daemon on another thread and turns SERVICE_CONTROL_STOP and SHUTDOWN into the runtime's stop request
//! (sharing is stopped and every system change undone, as with Ctrl-C), reporting "stop
//! pending" until the daemon has finished and then "stopped" with its outcome.

use std::ffi::OsString;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use masq_control::Settings;
use windows_service::service::{
    ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{
    self, ServiceControlHandlerResult, ServiceStatusHandle,
};
use windows_service::{define_windows_service, service_dispatcher};

use super::windows_spec::SERVICE_NAME;
use crate::runtime::{self, ControlOptions};

/// How long the SCM should allow for sharing to stop before it considers the service hung.
const STOP_HINT: Duration = Duration::from_secs(30);
/// How often the service thread checks that the daemon thread is still alive.
const DAEMON_CHECK: Duration = Duration::from_secs(1);
/// The service-specific exit code reported when the daemon failed.
const DAEMON_FAILED: u32 = 1;

/// Reads the daemon's settings, autostart choice and control options.
type Setup = Box<dyn FnOnce() -> Result<(Settings, bool, ControlOptions)> + Send>;

/// The setup, stored before the dispatcher takes over the main thread.
static SETUP: Mutex<Option<Setup>> = Mutex::new(None);

define_windows_service!(ffi_service_main, service_main);

/// Hands the process to the service control manager; returns once the service has stopped.
pub(crate) fn run(setup: Setup) -> Result<()> {
    *SETUP
        .lock()
        .map_err(|_| anyhow!("the service's setup is unusable (poisoned lock)"))? = Some(setup);
    service_dispatcher::start(SERVICE_NAME, ffi_service_main).context(
        "cannot reach the service control manager: `masq daemon --service` only works when Windows starts it as the masq service; from a prompt, run `masq daemon`",
    )
}

fn service_main(_arguments: Vec<OsString>) {
    if let Err(e) = serve() {
        tracing::error!("the masq service failed: {e:#}");
    }
}

/// What the service thread waits for.
enum Event {
    StopRequested,
    DaemonEnded(Result<()>),
}

fn serve() -> Result<()> {
    super::event_log_layer::enable();
    let setup = SETUP
        .lock()
        .ok()
        .and_then(|mut setup| setup.take())
        .ok_or_else(|| anyhow!("the service started without its setup"))?;
    let (events, received) = mpsc::channel();
    let stops = events.clone();
    let status = service_control_handler::register(SERVICE_NAME, move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            runtime::request_stop();
            let _ = stops.send(Event::StopRequested);
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    })
    .context("cannot register with the service control manager")?;
    let (settings, autostart, control) = match setup() {
        Ok(launch) => launch,
        Err(e) => {
            report(status, ServiceState::Stopped, failed(), 0);
            return Err(e);
        }
    };
    report(status, ServiceState::Running, ServiceExitCode::NO_ERROR, 0);
    let daemon = std::thread::Builder::new()
        .name("masq-daemon".into())
        .spawn(move || {
            let result = runtime::run_daemon(settings, autostart, control);
            let _ = events.send(Event::DaemonEnded(result));
        })
        .context("cannot start the daemon thread")?;
    let mut checkpoint = 0;
    let result = loop {
        match received.recv_timeout(DAEMON_CHECK) {
            Ok(Event::StopRequested) => {
                checkpoint += 1;
                tracing::info!("the service control manager asked masq to stop");
                report(
                    status,
                    ServiceState::StopPending,
                    ServiceExitCode::NO_ERROR,
                    checkpoint,
                );
            }
            Ok(Event::DaemonEnded(result)) => break result,
            Err(RecvTimeoutError::Timeout) if !daemon.is_finished() => {}
            Err(_) => break Err(anyhow!("the daemon thread ended without a result")),
        }
    };
    if daemon.join().is_err() {
        tracing::error!("the daemon thread panicked");
    }
    let exit = match &result {
        Ok(()) => ServiceExitCode::NO_ERROR,
        Err(_) => failed(),
    };
    report(status, ServiceState::Stopped, exit, 0);
    result
}

fn failed() -> ServiceExitCode {
    ServiceExitCode::ServiceSpecific(DAEMON_FAILED)
}

/// Tells the SCM the service's state; a failure is logged (there is nobody else to tell).
fn report(
    status: ServiceStatusHandle,
    state: ServiceState,
    exit: ServiceExitCode,
    checkpoint: u32,
) {
    let controls_accepted = if state == ServiceState::Running {
        ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
    } else {
        ServiceControlAccept::empty()
    };
    let wait_hint = if state == ServiceState::StopPending {
        STOP_HINT
    } else {
        Duration::ZERO
    };
    let reported = status.set_service_status(ServiceStatus {
        service_type: ServiceType::OWN_PROCESS,
        current_state: state,
        controls_accepted,
        exit_code: exit,
        checkpoint,
        wait_hint,
        process_id: None,
    });
    if let Err(e) = reported {
        tracing::warn!(error = %e, ?state, "cannot report the service state");
    }
}
