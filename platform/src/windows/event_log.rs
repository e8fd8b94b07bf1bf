//! The Windows Event Log, where administrators look for what a service said.
//!
//! The masq service has no console, so besides the control API's `logs` (the GUI and
//! `masq logs`) its warnings and errors, and the start and stop of sharing, go to the
//! Application log under the source `masq`. A source is a registry key naming a message file
//! that turns an event id into text; masq ships no message table of its own, so the key names
//! .NET Framework's `EventLogMessages.dll` (part of every Windows 10 and 11), whose every id
//! reads "%1": the event's one string is shown as it is, the way .NET's own `EventLog` writes.
//! `masq service install` registers the source and `masq service uninstall` removes it.

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;
use std::sync::Mutex;

use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::System::EventLog::{
    DeregisterEventSource, EVENTLOG_ERROR_TYPE, EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE,
    REPORT_EVENT_TYPE, RegisterEventSourceW, ReportEventW,
};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_SET_VALUE, REG_DWORD, REG_EXPAND_SZ, REG_OPTION_NON_VOLATILE,
    RegCloseKey, RegCreateKeyExW, RegDeleteTreeW, RegSetValueExW,
};

/// The event source's name in the Application log.
pub const SOURCE: &str = "masq";
/// Where the source's registration lives.
const KEY: &str = r"SYSTEM\CurrentControlSet\Services\EventLog\Application\masq";
/// A message file whose every id is "%1" (see the module documentation).
const MESSAGE_FILE: &str =
    r"%SystemRoot%\Microsoft.NET\Framework64\v4.0.30319\EventLogMessages.dll";
/// Longest event text written; the Event Log takes up to 31 839 characters per string.
const MAX_TEXT: usize = 8_000;

/// How serious an event is, as Event Viewer shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Something failed.
    Error,
    /// Something needs attention.
    Warning,
    /// Something happened (sharing started or stopped, the uplink changed).
    Information,
}

fn wide(s: &str) -> Vec<u16> {
    OsStr::new(s).encode_wide().chain(Some(0)).collect()
}

/// Registers the `masq` source (administrator rights needed), so Event Viewer shows masq's
/// events as text.
pub fn register_source() -> std::io::Result<()> {
    let key = wide(KEY);
    let mut handle: HKEY = std::ptr::null_mut();
    // SAFETY: every pointer is to a live, NUL-terminated buffer or an out variable here.
    let rc = unsafe {
        RegCreateKeyExW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            0,
            std::ptr::null(),
            REG_OPTION_NON_VOLATILE,
            KEY_SET_VALUE,
            std::ptr::null(),
            &mut handle,
            std::ptr::null_mut(),
        )
    };
    if rc != ERROR_SUCCESS {
        return Err(registry_error("create", rc));
    }
    let file = wide(MESSAGE_FILE);
    let types = u32::from(EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE);
    let file_bytes = file.len() * 2;
    let name = wide("EventMessageFile");
    let types_name = wide("TypesSupported");
    // SAFETY: `handle` is the key opened above; the data pointers cover the lengths given.
    let rc = unsafe {
        let rc = RegSetValueExW(
            handle,
            name.as_ptr(),
            0,
            REG_EXPAND_SZ,
            file.as_ptr().cast(),
            u32::try_from(file_bytes).unwrap_or(u32::MAX),
        );
        let rc = if rc == ERROR_SUCCESS {
            RegSetValueExW(
                handle,
                types_name.as_ptr(),
                0,
                REG_DWORD,
                (&raw const types).cast(),
                4,
            )
        } else {
            rc
        };
        RegCloseKey(handle);
        rc
    };
    if rc != ERROR_SUCCESS {
        return Err(registry_error("set", rc));
    }
    Ok(())
}

/// Removes the `masq` source's registration; nothing to do when there is none.
pub fn unregister_source() -> std::io::Result<()> {
    let key = wide(KEY);
    // SAFETY: `key` is NUL-terminated and outlives the call.
    let rc = unsafe { RegDeleteTreeW(HKEY_LOCAL_MACHINE, key.as_ptr()) };
    match rc {
        ERROR_SUCCESS | ERROR_FILE_NOT_FOUND => Ok(()),
        other => Err(registry_error("delete", other)),
    }
}

/// The registry's answer as an error that names the key and what to do.
fn registry_error(what: &str, code: u32) -> std::io::Error {
    let os = std::io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX));
    std::io::Error::new(
        os.kind(),
        format!(
            "cannot {what} the Event Log source registration HKLM\\{KEY}: {os}; run as an administrator"
        ),
    )
}

/// An open handle on the `masq` source; events written through it appear in the Application
/// log.
#[derive(Debug)]
pub struct EventLog {
    handle: Mutex<HANDLE>,
}

// SAFETY: an event source handle may be used from any thread (ReportEvent serialises its own
// writes); the Mutex keeps Drop from racing a write.
unsafe impl Send for EventLog {}
// SAFETY: as above.
unsafe impl Sync for EventLog {}

impl EventLog {
    /// Opens the source; `None` when Windows refuses (then the events go unwritten, the
    /// control API still has them).
    pub fn open() -> Option<EventLog> {
        let name = wide(SOURCE);
        // SAFETY: a NULL server means this computer; `name` is NUL-terminated.
        let handle = unsafe { RegisterEventSourceW(std::ptr::null(), name.as_ptr()) };
        (!handle.is_null()).then(|| EventLog {
            handle: Mutex::new(handle),
        })
    }

    /// Writes one event with `text` as its description.
    pub fn write(&self, kind: EventKind, text: &str) {
        let text: String = text.chars().take(MAX_TEXT).collect();
        let text = wide(&text);
        let strings = [text.as_ptr()];
        let kind: REPORT_EVENT_TYPE = match kind {
            EventKind::Error => EVENTLOG_ERROR_TYPE,
            EventKind::Warning => EVENTLOG_WARNING_TYPE,
            EventKind::Information => EVENTLOG_INFORMATION_TYPE,
        };
        let Ok(handle) = self.handle.lock() else {
            return;
        };
        // SAFETY: the handle is open until Drop; `strings` holds one NUL-terminated string
        // that outlives the call; no raw data.
        unsafe {
            ReportEventW(
                *handle,
                kind,
                0,
                1,
                std::ptr::null_mut(),
                1,
                0,
                strings.as_ptr(),
                std::ptr::null(),
            );
        }
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        if let Ok(handle) = self.handle.get_mut() {
            // SAFETY: the handle came from RegisterEventSourceW and is closed once.
            unsafe { DeregisterEventSource(*handle) };
        }
    }
}
