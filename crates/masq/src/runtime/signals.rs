//! The requests to shut down that the runtime obeys: SIGINT and SIGTERM on Unix; Ctrl-C,
//! console close, system shutdown and a service stop (`stop_request_windows.rs`) on Windows.

use anyhow::Result;

/// The shutdown requests the supervisor waits for; create it before serving so no signal
/// that arrives in between is lost.
pub(super) struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    close: tokio::signal::windows::CtrlClose,
    #[cfg(windows)]
    shutdown: tokio::signal::windows::CtrlShutdown,
}

impl Shutdown {
    /// Installs the handlers.
    #[cfg(unix)]
    pub(super) fn install() -> Result<Shutdown> {
        use anyhow::Context;
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Shutdown {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    /// Installs the handlers.
    #[cfg(windows)]
    pub(super) fn install() -> Result<Shutdown> {
        use anyhow::Context;
        use tokio::signal::windows::{ctrl_c, ctrl_close, ctrl_shutdown};
        Ok(Shutdown {
            ctrl_c: ctrl_c().context("cannot handle Ctrl-C")?,
            close: ctrl_close().context("cannot handle the console closing")?,
            shutdown: ctrl_shutdown().context("cannot handle system shutdown")?,
        })
    }

    /// Waits for the next shutdown request.
    #[cfg(unix)]
    pub(super) async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    /// Waits for the next shutdown request.
    #[cfg(windows)]
    pub(super) async fn recv(&mut self) {
        tokio::select! {
            _ = self.ctrl_c.recv() => {}
            _ = self.close.recv() => {}
            _ = self.shutdown.recv() => {}
            () = super::stop_request::requested() => {}
        }
    }
}
