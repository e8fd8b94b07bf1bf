//! The main window's life: it hides to the tray when closed, comes back from the tray or a
//! second launch, and stays hidden at start with `--minimized`.

use tauri::{AppHandle, Manager, Window, WindowEvent};

/// Label of the one window, as in `tauri.conf.json`.
pub const MAIN: &str = "main";

/// Shows, unminimizes and focuses the main window.
pub fn show(app: &AppHandle) {
    let Some(w) = app.get_webview_window(MAIN) else {
        tracing::warn!("the main window is gone");
        return;
    };
    let shown = w
        .show()
        .and_then(|()| w.unminimize())
        .and_then(|()| w.set_focus());
    if let Err(e) = shown {
        tracing::warn!(error = %e, "cannot show the main window");
    }
}

/// Closing the window hides it: sharing is the daemon's job and the tray stays available.
/// Without a tray icon (`has_tray` false) there would be no way back, so then closing quits
/// as usual.
pub fn on_event(window: &Window, event: &WindowEvent, has_tray: bool) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if !has_tray {
            return;
        }
        api.prevent_close();
        if let Err(e) = window.hide() {
            tracing::warn!(error = %e, "cannot hide the main window");
        }
    }
}
