//! The tray (menu-bar) icon: whether sharing is on, a switch to turn it on or off, and a way
//! back to the window, which closes to the tray instead of quitting.
//!
//! The subscription task calls [`show_status`] on every update; the menu items are kept in
//! managed state so their texts can change without rebuilding the menu.

use std::sync::atomic::{AtomicBool, Ordering};

use masq_control::{Request, StatusReport};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::daemon::ask_done;
use crate::window;

const TRAY_ID: &str = "masq";
const ICON_ON: &[u8] = include_bytes!("../icons/tray-on.png");
const ICON_OFF: &[u8] = include_bytes!("../icons/tray-off.png");

/// The parts of the tray that change with the daemon's state.
struct TrayItems {
    status: MenuItem<Wry>,
    toggle: MenuItem<Wry>,
    running: AtomicBool,
    reachable: AtomicBool,
}

/// Creates the tray icon and its menu.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let status = MenuItem::with_id(
        app,
        "status",
        "Looking for the masq service…",
        false,
        None::<&str>,
    )?;
    let toggle = MenuItem::with_id(app, "toggle", "Turn sharing on", false, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Show masq", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit masq", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&status, &toggle, &separator, &show, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON_OFF)?)
        .tooltip("masq")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu)
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                window::show(tray.app_handle());
            }
        })
        .build(app)?;
    app.manage(TrayItems {
        status,
        toggle,
        running: AtomicBool::new(false),
        reachable: AtomicBool::new(false),
    });
    Ok(())
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "show" => window::show(app),
        "quit" => app.exit(0),
        "toggle" => {
            let Some(items) = app.try_state::<TrayItems>() else {
                return;
            };
            let request = if items.running.load(Ordering::Relaxed) {
                Request::Stop
            } else {
                Request::Start
            };
            tauri::async_runtime::spawn(async move {
                let kind = request.kind();
                if let Err(e) = ask_done(request).await {
                    tracing::warn!(request = kind, error = %e, "tray switch failed");
                }
            });
        }
        _ => {}
    }
}

/// Whether the tray icon exists (it may not, on desktops without a tray).
pub fn exists(app: &AppHandle) -> bool {
    app.try_state::<TrayItems>().is_some()
}

/// Shows whether sharing runs; cheap when nothing changed.
pub fn show_status(app: &AppHandle, status: &StatusReport) {
    let Some(items) = app.try_state::<TrayItems>() else {
        return;
    };
    let was_running = items.running.swap(status.running, Ordering::Relaxed);
    let was_reachable = items.reachable.swap(true, Ordering::Relaxed);
    if was_reachable && was_running == status.running {
        return;
    }
    let (text, toggle, icon, tooltip) = if status.running {
        let lan = status.lan.as_ref().map_or("the LAN", |l| l.name.as_str());
        (
            format!("Sharing with {lan}"),
            "Turn sharing off",
            ICON_ON,
            "masq: sharing is on",
        )
    } else {
        (
            "Sharing is off".to_owned(),
            "Turn sharing on",
            ICON_OFF,
            "masq: sharing is off",
        )
    };
    apply(app, &items, &text, toggle, true, icon, tooltip);
}

/// Shows that the daemon cannot be reached.
pub fn show_unreachable(app: &AppHandle) {
    let Some(items) = app.try_state::<TrayItems>() else {
        return;
    };
    items.reachable.store(false, Ordering::Relaxed);
    items.running.store(false, Ordering::Relaxed);
    apply(
        app,
        &items,
        "The masq service is not running",
        "Turn sharing on",
        false,
        ICON_OFF,
        "masq: service not running",
    );
}

fn apply(
    app: &AppHandle,
    items: &TrayItems,
    status: &str,
    toggle: &str,
    toggle_enabled: bool,
    icon: &[u8],
    tooltip: &str,
) {
    let result = (|| -> tauri::Result<()> {
        items.status.set_text(status)?;
        items.toggle.set_text(toggle)?;
        items.toggle.set_enabled(toggle_enabled)?;
        if let Some(tray) = app.tray_by_id(TRAY_ID) {
            tray.set_icon(Some(Image::from_bytes(icon)?))?;
            tray.set_tooltip(Some(tooltip))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot update the tray icon");
    }
}
