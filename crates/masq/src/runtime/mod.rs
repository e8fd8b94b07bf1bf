//! The runtime around the engine: on Unix a data-path thread owns the engine, the adapter and
//! the uplink sockets in one poll (`event_loop.rs`); tokio serves the control API, the LAN
//! services and supervision. It decides nothing about translation.
//!
//! `masq up` and `masq daemon` share it: `up` starts sharing at once with the settings from
//! the command line and ends with it; `daemon` waits for the control API to say `start`.

mod boot_wait;
#[cfg(unix)]
mod event_loop;
#[cfg(windows)]
#[path = "event_loop_windows.rs"]
mod event_loop;
mod forward_requests;
mod hairpin;
mod iface_report;
#[cfg(unix)]
mod inbox;
mod interface_check;
mod ipv6_plan;
mod lan_services;
#[cfg(unix)]
mod local_ports;
pub mod log_ring;
mod loop_parts;
mod port_mapping;
mod query;
mod roaming_state;
mod router_adverts;
mod session;
mod signals;
mod sockets;
#[cfg(windows)]
#[path = "stop_request_windows.rs"]
mod stop_request;
mod supervisor;
mod uplink_decide;
mod uplink_switch;
mod uplink_watch;
#[cfg(unix)]
mod watch;

use std::path::PathBuf;

use anyhow::{Context, Result};
use masq_control::Settings;

#[cfg(windows)]
pub use stop_request::request_stop;
use supervisor::Supervisor;

/// Where the control API listens and where the crash-cleanup journal lives.
#[derive(Debug, Clone)]
pub struct ControlOptions {
    /// Path of the control socket.
    pub path: PathBuf,
    /// Group whose members may use the control API besides root and the owner.
    pub group: Option<String>,
    /// Group whose members may watch (read-only requests); unix only.
    pub observers: Option<String>,
    /// A user who administers besides root and the owner (the desktop app's); unix only.
    pub user: Option<String>,
    /// Where the daemon keeps its state.
    pub files: StateFiles,
}

/// The files the daemon reads and writes, resolved by its caller (the CLI's `paths.rs`), so
/// the runtime never decides where state lives and tests can point every one elsewhere.
#[derive(Debug, Clone)]
pub struct StateFiles {
    /// Journal of what sharing changed in the system, for `masq down` after a crash.
    pub journal: PathBuf,
    /// DHCP leases, unless the config file names another file.
    pub leases: PathBuf,
    /// Port forwards added through the control API (`masq forward add`, the GUI).
    pub forwards: PathBuf,
    /// The IPv6 ULA prefix the LAN keeps across restarts.
    pub ipv6_prefix: PathBuf,
}

/// `masq up`: share now, serve the control API, stop on SIGINT/SIGTERM.
pub fn run_up(settings: Settings, control: ControlOptions) -> Result<()> {
    runtime()?.block_on(async move {
        let mut sup = Supervisor::bind(settings, control)?;
        sup.start().await?;
        sup.run(true).await
    })
}

/// `masq daemon`: serve the control API; share when asked (or at once with `autostart`).
pub fn run_daemon(settings: Settings, autostart: bool, control: ControlOptions) -> Result<()> {
    runtime()?.block_on(async move {
        let mut sup = Supervisor::bind(settings, control)?;
        if autostart {
            sup.start_at_boot().await;
        }
        sup.run(false).await
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    raise_descriptor_limit();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("masq")
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Every flow holds an uplink socket, so the usual soft limit of 1024 descriptors would cap
/// sharing at about a thousand connections: take all the hard limit allows (the service
/// definitions raise that).
#[cfg(unix)]
fn raise_descriptor_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            let before = lim.rlim_cur;
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                tracing::debug!(before, "could not raise the descriptor limit");
            }
        }
    }
}

/// Windows has no per-process descriptor limit of this kind.
#[cfg(not(unix))]
fn raise_descriptor_limit() {}
