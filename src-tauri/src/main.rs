//! # masq-gui: the desktop app of masq
//!
//! An unprivileged client of the daemon's control API (`masq-control`): it never opens raw
//! sockets and never needs root. The window (ui/, embedded at build time) calls the commands in
//! `commands.rs` and listens to the events of `subscription.rs`; the tray icon shows whether
//! sharing is on and switches it. One instance runs per user; closing the window hides it to
//! the tray; `--minimized` starts hidden.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod backend;
mod commands;
mod control_socket;
mod daemon;
mod daemon_state;
mod error;
mod logs;
mod service;
mod subscription;
mod tray;
mod window;

use backend::Backend;
use tauri::Manager;

fn main() {
    let logs = logs::init();
    let minimized = std::env::args().any(|a| a == "--minimized");
    let result = tauri::Builder::default()
        // Opt-in desktop notifications (a device joined, sharing stopped, the uplink
        // changed); the window decides when, from the daemon's updates.
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("second launch: showing the running instance instead");
            window::show(app);
        }))
        .manage(Backend::new(logs))
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::translations,
            commands::inbound,
            commands::clients,
            commands::get_settings,
            commands::set_settings,
            commands::start,
            commands::stop,
            commands::clear_inbound,
            commands::forwards,
            commands::add_forward,
            commands::update_forward,
            commands::remove_forward,
            commands::enable_forward,
            commands::daemon_state,
            commands::start_service,
            commands::logs,
            commands::daemon_logs,
            commands::setup_check,
        ])
        .on_window_event(|w, e| window::on_event(w, e, tray::exists(w.app_handle())))
        .setup(move |app| {
            let handle = app.handle().clone();
            // Some desktops have no tray (and a test display has no StatusNotifier host):
            // the app still works, and closing the window then quits it.
            if let Err(e) = tray::create(&handle) {
                tracing::warn!(error = %e, "no tray icon; closing the window will quit masq-gui");
            }
            subscription::spawn(handle.clone());
            if minimized {
                tracing::info!("started minimized to the tray");
            } else {
                window::show(&handle);
            }
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "masq-gui could not run");
        eprintln!("masq-gui: {e}");
        std::process::exit(1);
    }
}
