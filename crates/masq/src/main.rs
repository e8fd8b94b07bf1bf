//! The `masq` command: parse the command line, set up logging, run one command.
//!
//! Exit codes: 0 success, 1 a runtime error (printed as `error: …` with its cause chain),
//! 2 a usage error (clap's own, or [`service_commands::UsageError`]). Logs go to stderr,
//! filtered by `MASQ_LOG` (default `info`), so stdout carries only the command's output.

mod api_commands;
mod cli;
mod config;
mod docs;
mod doctor;
mod engine_api;
mod output;
mod paths;
mod prefixes;
mod runtime;
mod service;
mod service_commands;
mod setup_check;
mod watch;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use cli::{Cli, Command, ConfigCommand};
use service_commands::UsageError;

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    init_logging();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(UsageError(message)) = e.downcast_ref::<UsageError>() {
                Cli::command()
                    .error(ErrorKind::MissingRequiredArgument, message)
                    .exit();
            }
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Up(args) => service_commands::up(args),
        Command::Down(args) => service_commands::down(args),
        Command::Daemon(args) => service_commands::daemon(args),
        Command::Config(ConfigCommand::Check { file }) => service_commands::config_check(file),
        Command::Status(args) => api_commands::status(&args),
        Command::Translations(args) => api_commands::translations(&args),
        Command::Inbound(args) => api_commands::inbound(&args),
        Command::Clients(args) => api_commands::clients(&args),
        Command::Forward(command) => api_commands::forward(command),
        Command::Settings(args) => api_commands::settings(&args),
        Command::Start(args) => api_commands::start(&args),
        Command::Stop(args) => api_commands::stop(&args),
        Command::Service(command) => service::run(command),
        Command::Demo(args) => demo(args.keep),
        Command::Completions(args) => {
            docs::completions(args.shell, &mut std::io::stdout().lock());
            Ok(())
        }
        Command::Manpages(args) => docs::manpages(&args.dir),
        Command::Logs(args) => api_commands::logs(&args),
        Command::Doctor(args) => doctor::run(&doctor::DoctorOptions {
            config: args.config,
            state_file: args.state_file,
            control: args.control.control,
            json: args.json,
        }),
    }
}

#[cfg(target_os = "linux")]
fn demo(keep: bool) -> Result<()> {
    use anyhow::Context;
    let exe = std::env::current_exe().context("cannot find the path of the running masq binary")?;
    masq_demo::run(&exe, keep)
}

#[cfg(not(target_os = "linux"))]
fn demo(_keep: bool) -> Result<()> {
    anyhow::bail!(
        "`masq demo` builds its test network from Linux network namespaces; it only runs on Linux"
    )
}

/// glibc gives free memory at the top of a heap back to the OS once more than 128 KiB of it
/// collects, and the next allocation faults it back in page by page. The data path frees and
/// allocates 64 KiB buffers all the time: with four TCP streams through masq that was ~108 000
/// page faults a second, a sixth of its CPU, and 5 instead of 8 Gbit/s. Keeping up to 4 MiB
/// free per heap ends the faults; the cost is at most that much RSS per heap.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tunables, and runs before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 4 << 20);
    }
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("MASQ_LOG").unwrap_or_else(|e| {
        if std::env::var_os("MASQ_LOG").is_some() {
            eprintln!("warning: ignoring MASQ_LOG ({e}); logging at info");
        }
        EnvFilter::new("info")
    });
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A closed stderr (e.g. `masq … 2>&1 | head -1`) must not turn into a panic inside
        // the logger, which would abort before cleanup runs.
        .log_internal_errors(false);
    // The same lines stay readable through the control API (`masq logs`, the desktop app).
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(runtime::log_ring::RingLayer);
    // The Windows service also writes to the Event Log (from when Windows starts it).
    #[cfg(windows)]
    let registry = registry.with(service::event_log_layer::EventLogLayer);
    registry.init();
}
