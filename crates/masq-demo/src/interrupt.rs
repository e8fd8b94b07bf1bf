//! Ctrl-C and SIGTERM handling for `masq demo`: a flag the demo polls between (and during)
//! steps, so it can stop what it started and delete its namespaces before exiting.
//!
//! The handler runs on its own thread with a small tokio runtime (tokio's signal support is
//! already a dependency); `install` may be called once per process. The demo's children run
//! in their own process groups, so a Ctrl-C in the terminal reaches only the demo, which then
//! stops them in order.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::signal::unix::{SignalKind, signal};
use tracing::warn;

use super::error::DemoError;

/// Set once Ctrl-C or SIGTERM arrived.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Starts listening for SIGINT and SIGTERM. If the handler cannot be installed the demo still
/// runs; only Ctrl-C then kills it without cleanup, which is logged.
pub fn install() {
    let spawned = std::thread::Builder::new()
        .name("demo-signals".into())
        .spawn(|| {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    warn!(error = %e, "cannot watch for Ctrl-C; an interrupted demo will not clean up");
                    return;
                }
            };
            rt.block_on(async {
                let (Ok(mut int), Ok(mut term)) =
                    (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
                else {
                    warn!("cannot watch for Ctrl-C; an interrupted demo will not clean up");
                    return;
                };
                loop {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                    if INTERRUPTED.swap(true, Ordering::SeqCst) {
                        eprintln!("\nstill cleaning up, one moment…");
                    } else {
                        eprintln!("\ninterrupted: cleaning up…");
                    }
                }
            });
        });
    if let Err(e) = spawned {
        warn!(error = %e, "cannot start the Ctrl-C watcher; an interrupted demo will not clean up");
    }
}

/// Whether Ctrl-C or SIGTERM has arrived.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Fails with [`DemoError::Interrupted`] once Ctrl-C or SIGTERM has arrived.
pub fn check() -> Result<(), DemoError> {
    if requested() {
        Err(DemoError::Interrupted)
    } else {
        Ok(())
    }
}
