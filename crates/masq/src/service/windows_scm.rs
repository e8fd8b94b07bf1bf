//! `masq service install|uninstall|start|stop` on Windows, through the service control manager.
//!
//! `install` registers `masq.exe daemon --service …` (see `windows_spec.rs`) as an
//! automatically started service running as LocalSystem, with a description and restart on
//! failure, and starts it; installing again updates the registration in place. The user who
//! installs it may use the control pipe without elevation. `uninstall` stops and deletes it;
//! `stop` stops it until the next boot or `start`. All of it needs an elevated prompt.

use std::ffi::OsString;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use windows_service::service::{
    Service, ServiceAccess, ServiceAction, ServiceActionType, ServiceErrorControl,
    ServiceFailureActions, ServiceFailureResetPeriod, ServiceInfo, ServiceStartType, ServiceState,
    ServiceType,
};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};

use super::windows_spec::{
    DESCRIPTION, DISPLAY_NAME, FAILURE_RESET, RESTART_DELAYS, SERVICE_NAME, ServiceSpec,
    launch_arguments,
};
use crate::cli::ServiceInstallArgs;
use crate::output;
use crate::paths;

/// Win32 error codes the commands turn into explanations.
const ERROR_ACCESS_DENIED: i32 = 5;
const ERROR_SERVICE_ALREADY_RUNNING: i32 = 1056;
const ERROR_SERVICE_DOES_NOT_EXIST: i32 = 1060;
const ERROR_SERVICE_NOT_ACTIVE: i32 = 1062;
const ERROR_SERVICE_EXISTS: i32 = 1073;
/// How long `stop` and `uninstall` wait for the daemon to stop sharing and exit.
const STOP_WAIT: Duration = Duration::from_secs(60);

/// Registers the service (or updates it) and starts it.
pub(crate) fn install(args: &ServiceInstallArgs) -> Result<()> {
    let program =
        std::env::current_exe().context("cannot find the path of the running masq.exe")?;
    // The service reads the installing user's config (the file `masq config` edits), if there
    // is one; a config named on the command line must exist.
    let config = match &args.config {
        Some(given) if !given.is_file() => bail!(
            "config file {} does not exist; create it or leave out --config",
            given.display()
        ),
        Some(given) => Some(given.clone()),
        None => Some(paths::config_file()).filter(|default| default.is_file()),
    };
    let control_user = masq_control::current_user_sid()
        .context("cannot find out which user is installing the service")?;
    let info = ServiceInfo {
        name: SERVICE_NAME.into(),
        display_name: DISPLAY_NAME.into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: program.clone(),
        launch_arguments: launch_arguments(&ServiceSpec {
            config: config.as_deref(),
            state_file: args.state_file.as_deref(),
            control_user: &control_user,
        }),
        dependencies: Vec::new(),
        account_name: None,
        account_password: None,
    };
    let manager = manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
    let access = ServiceAccess::CHANGE_CONFIG | ServiceAccess::START | ServiceAccess::QUERY_STATUS;
    let service = match manager.create_service(&info, access) {
        Ok(service) => service,
        Err(e) if code(&e) == Some(ERROR_SERVICE_EXISTS) => {
            let service = manager
                .open_service(SERVICE_NAME, access)
                .map_err(|e| explain(e, "open the installed masq service"))?;
            service
                .change_config(&info)
                .map_err(|e| explain(e, "update the masq service"))?;
            service
        }
        Err(e) => return Err(explain(e, "install the masq service")),
    };
    service
        .set_description(DESCRIPTION)
        .map_err(|e| explain(e, "set the masq service's description"))?;
    service
        .update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(FAILURE_RESET),
            reboot_msg: None,
            command: None,
            actions: Some(
                RESTART_DELAYS
                    .iter()
                    .map(|&delay| ServiceAction {
                        action_type: ServiceActionType::Restart,
                        delay,
                    })
                    .collect(),
            ),
        })
        .map_err(|e| explain(e, "set the masq service's restart policy"))?;
    // Without the source Event Viewer still shows masq's events, with a "description cannot
    // be found" preamble; not worth failing the install for.
    if let Err(e) = masq_platform::event_log::register_source() {
        output::emit(&format!("warning: {e}\n"))?;
    }
    start_service(&service)?;
    let config = config.map_or_else(
        || "no config file: default settings".to_owned(),
        |c| format!("config {}", c.display()),
    );
    output::emit(&format!(
        "installed and started the {SERVICE_NAME} service (running {}, {config}); the control API is open to you, SYSTEM and Administrators\n",
        program.display(),
    ))?;
    Ok(())
}

/// Stops the service and deletes it.
pub(crate) fn uninstall() -> Result<()> {
    let Some(service) =
        open(ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE)?
    else {
        output::emit(&format!("the {SERVICE_NAME} service was not installed\n"))?;
        return Ok(());
    };
    let stopped = stop_service(&service)?;
    service
        .delete()
        .map_err(|e| explain(e, "delete the masq service"))?;
    if let Err(e) = masq_platform::event_log::unregister_source() {
        output::emit(&format!("warning: {e}\n"))?;
    }
    let what = if stopped {
        "stopped and removed"
    } else {
        "removed"
    };
    output::emit(&format!("{what} the {SERVICE_NAME} service\n"))?;
    Ok(())
}

/// Starts the installed service.
pub(crate) fn start() -> Result<()> {
    let service =
        open(ServiceAccess::START | ServiceAccess::QUERY_STATUS)?.ok_or_else(not_installed)?;
    start_service(&service)?;
    output::emit(&format!("started the {SERVICE_NAME} service\n"))?;
    Ok(())
}

/// Stops the service (it stops sharing and undoes its changes first) until the next boot or
/// `masq service start`.
pub(crate) fn stop() -> Result<()> {
    let service =
        open(ServiceAccess::STOP | ServiceAccess::QUERY_STATUS)?.ok_or_else(not_installed)?;
    if stop_service(&service)? {
        output::emit(&format!("stopped the {SERVICE_NAME} service\n"))?;
    } else {
        output::emit(&format!("the {SERVICE_NAME} service is not running\n"))?;
    }
    Ok(())
}

fn manager(access: ServiceManagerAccess) -> Result<ServiceManager> {
    ServiceManager::local_computer(None::<&str>, access)
        .map_err(|e| explain(e, "connect to the service control manager"))
}

/// The installed service, or `None` if there is none.
fn open(access: ServiceAccess) -> Result<Option<Service>> {
    match manager(ServiceManagerAccess::CONNECT)?.open_service(SERVICE_NAME, access) {
        Ok(service) => Ok(Some(service)),
        Err(e) if code(&e) == Some(ERROR_SERVICE_DOES_NOT_EXIST) => Ok(None),
        Err(e) => Err(explain(e, "open the masq service")),
    }
}

fn start_service(service: &Service) -> Result<()> {
    match service.start::<OsString>(&[]) {
        Ok(()) => Ok(()),
        Err(e) if code(&e) == Some(ERROR_SERVICE_ALREADY_RUNNING) => Ok(()),
        Err(e) => Err(explain(e, "start the masq service")),
    }
}

/// Asks the service to stop and waits until it has; `false` if it was not running.
fn stop_service(service: &Service) -> Result<bool> {
    match service.stop() {
        Ok(_) => {}
        Err(e) if code(&e) == Some(ERROR_SERVICE_NOT_ACTIVE) => return Ok(false),
        Err(e) => return Err(explain(e, "stop the masq service")),
    }
    let deadline = Instant::now() + STOP_WAIT;
    loop {
        let status = service
            .query_status()
            .map_err(|e| explain(e, "query the masq service"))?;
        if status.current_state == ServiceState::Stopped {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            bail!(
                "the {SERVICE_NAME} service did not stop within {} s (state {:?}); check it with `sc query {SERVICE_NAME}`",
                STOP_WAIT.as_secs(),
                status.current_state
            );
        }
        thread::sleep(Duration::from_millis(250));
    }
}

fn not_installed() -> anyhow::Error {
    anyhow!(
        "the {SERVICE_NAME} service is not installed: run `masq service install` from an elevated prompt first"
    )
}

fn code(e: &windows_service::Error) -> Option<i32> {
    match e {
        windows_service::Error::Winapi(e) => e.raw_os_error(),
        _ => None,
    }
}

/// Turns a failed SCM call into what to do about it.
fn explain(e: windows_service::Error, what: &str) -> anyhow::Error {
    if code(&e) == Some(ERROR_ACCESS_DENIED) {
        anyhow!(
            "cannot {what}: access denied; run the command from an elevated prompt (Run as administrator)"
        )
    } else {
        anyhow::Error::new(e).context(format!("cannot {what}"))
    }
}
