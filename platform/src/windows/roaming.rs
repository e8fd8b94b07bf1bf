//! Notifications that the routing table or an interface's IP settings changed
//! (NotifyRouteChange2 / NotifyIpInterfaceChange): the seam for following the uplink when it
//! roams (Wi-Fi change, sleep/resume) and for re-checking the loop guard when something
//! turns on forwarding on the uplink.
//!
//! Windows calls the callbacks on its own thread pool; they only post a [`NetworkChange`]
//! into a bounded channel (dropping it when the channel is full, since one pending change
//! already makes the reader re-examine everything).

use std::ffi::c_void;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use windows_sys::Win32::Foundation::{HANDLE, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    CancelMibChangeNotify2, MIB_IPFORWARD_ROW2, MIB_IPINTERFACE_ROW, MIB_NOTIFICATION_TYPE,
    NotifyIpInterfaceChange, NotifyRouteChange2,
};
use windows_sys::Win32::Networking::WinSock::AF_INET;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkChange {
    /// An IPv4 route was added, changed or deleted.
    Route,
    /// An interface's IPv4 settings changed (forwarding, metric, connection state, ...).
    Interface,
}

/// Registered notifications; dropping it unregisters them.
pub struct NetworkWatch {
    route: HANDLE,
    interface: HANDLE,
    // Boxed so its address, given to Windows as the callback context, never moves.
    sender: Box<SyncSender<NetworkChange>>,
}

// SAFETY: the handles are only passed to CancelMibChangeNotify2 (allowed from any thread);
// the sender is Send + Sync.
unsafe impl Send for NetworkWatch {}

impl std::fmt::Debug for NetworkWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkWatch").finish_non_exhaustive()
    }
}

unsafe extern "system" fn on_route(
    ctx: *const c_void,
    _row: *const MIB_IPFORWARD_ROW2,
    _kind: MIB_NOTIFICATION_TYPE,
) {
    // SAFETY: `ctx` is the boxed sender, alive until both notifications are cancelled.
    let sender = unsafe { &*ctx.cast::<SyncSender<NetworkChange>>() };
    let _ = sender.try_send(NetworkChange::Route);
}

unsafe extern "system" fn on_interface(
    ctx: *const c_void,
    _row: *const MIB_IPINTERFACE_ROW,
    _kind: MIB_NOTIFICATION_TYPE,
) {
    // SAFETY: as in `on_route`.
    let sender = unsafe { &*ctx.cast::<SyncSender<NetworkChange>>() };
    let _ = sender.try_send(NetworkChange::Interface);
}

impl NetworkWatch {
    /// Starts watching IPv4 routes and interfaces; changes arrive on the returned receiver.
    pub fn start() -> io::Result<(NetworkWatch, Receiver<NetworkChange>)> {
        let (tx, rx) = sync_channel(16);
        let mut watch = NetworkWatch {
            route: std::ptr::null_mut(),
            interface: std::ptr::null_mut(),
            sender: Box::new(tx),
        };
        let ctx: *const c_void = (&*watch.sender as *const SyncSender<NetworkChange>).cast();
        // SAFETY: the callback matches PIPFORWARD_CHANGE_CALLBACK; `ctx` outlives the
        // registration (cancelled in Drop before the box is freed).
        let code =
            unsafe { NotifyRouteChange2(AF_INET, Some(on_route), ctx, false, &mut watch.route) };
        if code != NO_ERROR {
            return Err(io::Error::from_raw_os_error(code as i32));
        }
        // SAFETY: as above, for PIPINTERFACE_CHANGE_CALLBACK.
        let code = unsafe {
            NotifyIpInterfaceChange(
                AF_INET,
                Some(on_interface),
                ctx,
                false,
                &mut watch.interface,
            )
        };
        if code != NO_ERROR {
            return Err(io::Error::from_raw_os_error(code as i32));
        }
        Ok((watch, rx))
    }
}

impl Drop for NetworkWatch {
    fn drop(&mut self) {
        for handle in [self.route, self.interface] {
            if !handle.is_null() {
                // SAFETY: a handle from a successful registration, cancelled once; this waits
                // for running callbacks, so the sender outlives every use.
                unsafe { CancelMibChangeNotify2(handle) };
            }
        }
    }
}
