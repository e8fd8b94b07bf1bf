//! The role of a pipe client, read from its access token.
//!
//! The pipe's ACL decides who may connect at all (SYSTEM, Administrators, the daemon's user
//! and the control account); this decides what a connected client may do. The server
//! impersonates the client for an instant and reads its token: the daemon's own user (as on
//! unix: the GUI that started the daemon elevated talks to it unelevated), LocalSystem and
//! holders of an *enabled* Administrators group administer. An administrator whose token UAC
//! filtered (a console not run "as administrator") holds that group only for deny, so it is an
//! operator until elevated, like every other admitted account.

use std::io;
use std::os::windows::io::AsRawHandle;
use std::ptr;

use tokio::net::windows::named_pipe::NamedPipeServer;
use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::Security::{
    CheckTokenMembership, CreateWellKnownSid, RevertToSelf, SECURITY_MAX_SID_SIZE, TOKEN_QUERY,
    WELL_KNOWN_SID_TYPE, WinBuiltinAdministratorsSid, WinLocalSystemSid,
};
use windows_sys::Win32::System::Pipes::ImpersonateNamedPipeClient;
use windows_sys::Win32::System::Threading::{GetCurrentThread, OpenThreadToken};

use super::security::{Handle, context, current_user_sid, token_user_sid};
use crate::Role;

/// The connected client's role; an operator when its token cannot be read (logged).
pub(crate) fn client_role(pipe: &NamedPipeServer) -> Role {
    match is_administrator(pipe.as_raw_handle() as HANDLE) {
        Ok(true) => Role::Administrator,
        Ok(false) => Role::Operator,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the control client's token; treating it as an operator");
            Role::Operator
        }
    }
}

/// Ends the impersonation when dropped, also on an early return.
struct Impersonation;

impl Drop for Impersonation {
    fn drop(&mut self) {
        // SAFETY: called on the thread that impersonates; reverting twice is harmless.
        if unsafe { RevertToSelf() } == 0 {
            // A thread left impersonating would act with the client's rights: abort rather
            // than go on (Windows documents this failure only for a broken process).
            tracing::error!("RevertToSelf failed after reading a control client's token");
            std::process::abort();
        }
    }
}

fn is_administrator(pipe: HANDLE) -> io::Result<bool> {
    // SAFETY: `pipe` is the server end of a connected pipe instance, alive for this call.
    if unsafe { ImpersonateNamedPipeClient(pipe) } == 0 {
        return Err(context("cannot impersonate the control client"));
    }
    let _revert = Impersonation;
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: the current thread's pseudo handle and a valid out pointer; OpenAsSelf = TRUE so
    // the open is checked against the service's own rights, not the client's.
    if unsafe { OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, 1, &mut token) } == 0 {
        return Err(context("cannot open the control client's token"));
    }
    let token = Handle(token);
    if token_user_sid(&token)? == current_user_sid()? {
        return Ok(true);
    }
    for kind in [WinLocalSystemSid, WinBuiltinAdministratorsSid] {
        if holds(&token, kind)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn holds(token: &Handle, kind: WELL_KNOWN_SID_TYPE) -> io::Result<bool> {
    let mut sid = [0u8; SECURITY_MAX_SID_SIZE as usize];
    let mut size = sid.len() as u32;
    // SAFETY: `sid` has `size` writable bytes; no domain SID is needed for these kinds.
    let made =
        unsafe { CreateWellKnownSid(kind, ptr::null_mut(), sid.as_mut_ptr().cast(), &mut size) };
    if made == 0 {
        return Err(context("cannot build a well-known SID"));
    }
    let mut member = 0;
    // SAFETY: an impersonation token opened with TOKEN_QUERY, a valid SID and out pointer.
    if unsafe { CheckTokenMembership(token.0, sid.as_mut_ptr().cast(), &mut member) } == 0 {
        return Err(context("cannot check the control client's groups"));
    }
    Ok(member != 0)
}
