//! Read-only questions about the rest of the system: is Internet Connection Sharing running,
//! and is the process that wrote a journal still alive and still masq.

use std::path::PathBuf;

use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, OpenSCManagerW, OpenServiceW, QueryServiceStatus, SC_MANAGER_CONNECT,
    SERVICE_QUERY_STATUS, SERVICE_RUNNING, SERVICE_STATUS,
};
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION, QueryFullProcessImageNameW,
};

use super::iphelper::wide;

/// Whether the SharedAccess service (Internet Connection Sharing, Mobile Hotspot) is running.
/// An unreadable service state counts as not running: the forwarding check still guards.
pub(crate) fn ics_running() -> bool {
    // SAFETY: null machine and database mean the local default; the handle is checked and
    // closed below.
    let scm = unsafe { OpenSCManagerW(std::ptr::null(), std::ptr::null(), SC_MANAGER_CONNECT) };
    if scm.is_null() {
        return false;
    }
    let name = wide("SharedAccess");
    // SAFETY: `scm` is open, `name` NUL-terminated.
    let svc = unsafe { OpenServiceW(scm, name.as_ptr(), SERVICE_QUERY_STATUS) };
    let mut running = false;
    if !svc.is_null() {
        let mut status = SERVICE_STATUS::default();
        // SAFETY: `svc` is open and `status` writable.
        if unsafe { QueryServiceStatus(svc, &mut status) } != 0 {
            running = status.dwCurrentState == SERVICE_RUNNING;
        }
        // SAFETY: opened above, closed once.
        unsafe { CloseServiceHandle(svc) };
    }
    // SAFETY: opened above, closed once.
    unsafe { CloseServiceHandle(scm) };
    running
}

/// Whether `pid` is alive and runs the same executable as this process (PIDs are reused).
pub(crate) fn is_masq_process(pid: u32) -> bool {
    // SAFETY: the handle is checked and closed below.
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if handle.is_null() {
        return false;
    }
    let mut code = 0u32;
    // SAFETY: `handle` is open, `code` writable.
    let alive =
        unsafe { GetExitCodeProcess(handle, &mut code) } != 0 && code == STILL_ACTIVE as u32;
    let mut buf = [0u16; 1024];
    let mut len = buf.len() as u32;
    // SAFETY: `buf` is writable for `len` characters.
    let named = unsafe { QueryFullProcessImageNameW(handle, 0, buf.as_mut_ptr(), &mut len) } != 0;
    // SAFETY: opened above, closed once.
    unsafe { CloseHandle(handle) };
    if !alive || !named {
        return false;
    }
    let theirs = PathBuf::from(String::from_utf16_lossy(&buf[..len as usize]));
    match std::env::current_exe() {
        Ok(ours) => theirs.file_name() == ours.file_name(),
        Err(_) => true,
    }
}
