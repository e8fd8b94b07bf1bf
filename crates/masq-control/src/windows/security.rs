//! The Win32 side of the control pipe's access rule: whose SIDs go into it, and turning the
//! SDDL text from `pipe_sddl.rs` into the SECURITY_ATTRIBUTES that CreateNamedPipeW takes.

use std::ffi::c_void;
use std::io;
use std::ptr;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_INSUFFICIENT_BUFFER, HANDLE, HLOCAL, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    GetTokenInformation, LookupAccountNameW, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES,
    SID_NAME_USE, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use crate::pipe_sddl::Sid;

/// A self-relative security descriptor allocated by Windows, freed on drop.
#[derive(Debug)]
pub(crate) struct PipeSecurity {
    descriptor: PSECURITY_DESCRIPTOR,
    sddl: String,
}

// SAFETY: the descriptor is a private, immutable LocalAlloc buffer that only this value owns;
// Windows only reads it (CreateNamedPipeW copies it into the pipe), from any thread.
unsafe impl Send for PipeSecurity {}
// SAFETY: as above; shared references never write to the buffer.
unsafe impl Sync for PipeSecurity {}

impl PipeSecurity {
    /// Parses `sddl` into a descriptor; fails with the text in the message if Windows rejects it.
    pub(crate) fn from_sddl(sddl: String) -> io::Result<PipeSecurity> {
        let wide = wide(&sddl);
        let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: `wide` is NUL-terminated and outlives the call; `descriptor` is a valid out
        // pointer; the size out pointer may be null.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                wide.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                ptr::null_mut(),
            )
        };
        if ok == 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("Windows rejected the control pipe's security descriptor {sddl}: {e}"),
            ));
        }
        Ok(PipeSecurity { descriptor, sddl })
    }

    /// The descriptor in SDDL form, for logs.
    pub(crate) fn sddl(&self) -> &str {
        &self.sddl
    }

    /// SECURITY_ATTRIBUTES pointing at this descriptor (not inheritable); valid while `self` is.
    pub(crate) fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.descriptor,
            bInheritHandle: 0,
        }
    }
}

impl Drop for PipeSecurity {
    fn drop(&mut self) {
        // SAFETY: the descriptor came from ConvertStringSecurityDescriptorToSecurityDescriptorW,
        // which documents LocalFree as its release, and is freed exactly once.
        unsafe { LocalFree(self.descriptor as HLOCAL) };
    }
}

/// The SID of the user this process runs as (SYSTEM for the service).
pub(crate) fn current_user_sid() -> io::Result<Sid> {
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo handle; `token` is a valid out pointer.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(context("cannot open this process's access token"));
    }
    token_user_sid(&Handle(token))
}

/// The SID of the user a token (of a process, or of an impersonated client) belongs to.
pub(crate) fn token_user_sid(token: &Handle) -> io::Result<Sid> {
    let mut needed = 0u32;
    // SAFETY: a size query with a null buffer of length 0.
    unsafe { GetTokenInformation(token.0, TokenUser, ptr::null_mut(), 0, &mut needed) };
    if needed == 0 {
        return Err(context(
            "cannot read the size of a token's user information",
        ));
    }
    // u64 elements keep the buffer aligned for TOKEN_USER.
    let mut buffer = vec![0u64; (needed as usize).div_ceil(8)];
    // SAFETY: `buffer` has at least `needed` writable bytes.
    let ok = unsafe {
        GetTokenInformation(
            token.0,
            TokenUser,
            buffer.as_mut_ptr().cast::<c_void>(),
            needed,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(context("cannot read a token's user"));
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into the buffer,
    // which lives until the end of this function.
    let sid = unsafe { (*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    sid_to_string(sid)
}

/// The SID of account `name` (a user or group, `DOMAIN\name` or `name`), or `name` itself if
/// it already is a SID string.
pub(crate) fn account_sid(name: &str) -> io::Result<Sid> {
    if name.starts_with("S-1-") {
        return name
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e));
    }
    let wide_name = wide(name);
    let mut sid_len = 0u32;
    let mut domain_len = 0u32;
    let mut kind: SID_NAME_USE = 0;
    // SAFETY: a size query: null buffers with zero lengths, valid out pointers.
    unsafe {
        LookupAccountNameW(
            ptr::null(),
            wide_name.as_ptr(),
            ptr::null_mut(),
            &mut sid_len,
            ptr::null_mut(),
            &mut domain_len,
            &mut kind,
        )
    };
    let size_error = io::Error::last_os_error();
    if sid_len == 0 || size_error.raw_os_error() != Some(ERROR_INSUFFICIENT_BUFFER as i32) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "control group `{name}` is not a known Windows account ({size_error}); give a user or group name (e.g. `DOMAIN\\user`) or a SID"
            ),
        ));
    }
    let mut sid = vec![0u64; (sid_len as usize).div_ceil(8)];
    let mut domain = vec![0u16; domain_len as usize];
    // SAFETY: the buffers have the sizes the query asked for.
    let ok = unsafe {
        LookupAccountNameW(
            ptr::null(),
            wide_name.as_ptr(),
            sid.as_mut_ptr().cast::<c_void>(),
            &mut sid_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    };
    if ok == 0 {
        return Err(context(&format!("cannot look up the account `{name}`")));
    }
    sid_to_string(sid.as_mut_ptr().cast::<c_void>())
}

fn sid_to_string(sid: PSID) -> io::Result<Sid> {
    let mut text: *mut u16 = ptr::null_mut();
    // SAFETY: `sid` points to a valid SID; `text` is a valid out pointer.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(context("cannot write a SID as text"));
    }
    // SAFETY: on success `text` is a NUL-terminated LocalAlloc'd string, read once and freed.
    let string = unsafe {
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text as HLOCAL);
        s
    };
    string
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A kernel handle closed on drop.
pub(crate) struct Handle(pub(crate) HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by us and is closed exactly once.
        unsafe { CloseHandle(self.0) };
    }
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(Some(0)).collect()
}

pub(crate) fn context(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe_sddl::control_pipe_sddl;

    #[test]
    fn own_sid_and_well_known_accounts_resolve() {
        let me = current_user_sid().unwrap();
        assert!(me.to_string().starts_with("S-1-"), "{me}");
        let given: Sid = "S-1-5-32-544".parse().unwrap();
        assert_eq!(account_sid("S-1-5-32-544").unwrap(), given);
        assert!(account_sid("S-1-x").is_err());
    }

    #[test]
    fn windows_accepts_the_descriptor() {
        let me = current_user_sid().unwrap();
        let extra: Sid = "S-1-5-21-1-2-3-1001".parse().unwrap();
        let security = PipeSecurity::from_sddl(control_pipe_sddl(&me, Some(&extra))).unwrap();
        assert!(!security.attributes().lpSecurityDescriptor.is_null());
        assert!(PipeSecurity::from_sddl("D:P(A;;GA;;;nonsense)".into()).is_err());
    }
}
