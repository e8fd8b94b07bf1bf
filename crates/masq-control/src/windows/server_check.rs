//! Is the process behind the control pipe masq's service? Checked by the client.
//!
//! A named pipe's name is first come, first served: while the service is stopped, any local
//! user could create `\\.\pipe\masq-control` and answer the CLI and the GUI with made-up
//! status, or collect the settings they send. So a client accepts the server only if it runs
//! in session 0 (where only services run: a logged-on user's processes cannot be there) or as
//! the client's own user (a daemon this user started, e.g. from the app).

use std::io;
use std::os::windows::io::AsRawHandle;
use std::ptr;

use tokio::net::windows::named_pipe::NamedPipeClient;
use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::Security::TOKEN_QUERY;
use windows_sys::Win32::System::Pipes::{GetNamedPipeServerProcessId, GetNamedPipeServerSessionId};
use windows_sys::Win32::System::Threading::{
    OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::security::{Handle, context, current_user_sid, token_user_sid};

/// `Ok` when the pipe's server is a service or this user's own process, else why not.
pub(crate) fn check_server(pipe: &NamedPipeClient) -> io::Result<()> {
    let handle = pipe.as_raw_handle() as HANDLE;
    let mut session = u32::MAX;
    // SAFETY: a connected pipe handle and a valid out pointer.
    if unsafe { GetNamedPipeServerSessionId(handle, &mut session) } == 0 {
        return Err(context("cannot ask which session serves the control pipe"));
    }
    if session == 0 {
        return Ok(());
    }
    let mut pid = 0u32;
    // SAFETY: as above.
    if unsafe { GetNamedPipeServerProcessId(handle, &mut pid) } == 0 {
        return Err(context("cannot ask which process serves the control pipe"));
    }
    // SAFETY: plain query access to a process id; a null handle is checked below.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return Err(not_masq(pid, session));
    }
    let process = Handle(process);
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: an open process handle and a valid out pointer.
    if unsafe { OpenProcessToken(process.0, TOKEN_QUERY, &mut token) } == 0 {
        return Err(not_masq(pid, session));
    }
    let token = Handle(token);
    if token_user_sid(&token)? == current_user_sid()? {
        Ok(())
    } else {
        Err(not_masq(pid, session))
    }
}

fn not_masq(pid: u32, session: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "the control pipe is served by process {pid} of another user (session {session}), not by masq's service; it may be an impostor. Stop that process, then start the masq service"
        ),
    )
}
