//! Whose files masq's state files are, on Windows.
//!
//! The service runs as LocalSystem and acts on its journal at start (undoing what a dead run
//! left), so a journal another user could have written would make it delete routes and
//! addresses of that user's choosing. ProgramData lets every user create folders, so
//! `C:\ProgramData\masq` could be planted before the service first runs. masq therefore
//! creates its state folder with a protected DACL (SYSTEM, Administrators and the creating
//! owner only, nothing inherited) and refuses a journal, or a folder, whose owner is neither
//! SYSTEM, the Administrators group nor the user masq runs as.

use std::ffi::c_void;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, HLOCAL, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1,
    SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetTokenInformation, IsWellKnownSid, OWNER_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER, TokenUser,
    WinBuiltinAdministratorsSid, WinLocalSystemSid,
};
use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// The state folder's ACL: full control for SYSTEM, Administrators and the folder's owner;
/// `P` protects it from inheriting ProgramData's "Users may create" entries.
const STATE_DIR_SDDL: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)";

/// Creates `dir` (and its parents) with the protected ACL if missing; refuses an existing
/// one that another user owns.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return check_owner(dir);
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let sddl = wide(STATE_DIR_SDDL.as_ref());
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: NUL-terminated SDDL and a valid out pointer; the size pointer may be null.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(last_error("cannot build the state folder's access rule"));
    }
    let attributes = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: descriptor,
        bInheritHandle: 0,
    };
    let path = wide(dir.as_os_str());
    // SAFETY: a NUL-terminated path and attributes valid for the call.
    let created = unsafe { CreateDirectoryW(path.as_ptr(), &attributes) };
    let result = if created == 0 {
        Err(last_error(&format!("cannot create {}", dir.display())))
    } else {
        Ok(())
    };
    // SAFETY: the descriptor came from ConvertStringSecurityDescriptor…, freed once.
    unsafe { LocalFree(descriptor as HLOCAL) };
    result
}

/// Fails unless `path` is owned by SYSTEM, the Administrators group or this process's user.
pub(crate) fn check_owner(path: &Path) -> io::Result<()> {
    let wide_path = wide(path.as_os_str());
    let mut owner: PSID = ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: a NUL-terminated path; `owner` points into `descriptor`, freed below.
    let status = unsafe {
        GetNamedSecurityInfoW(
            wide_path.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            &mut descriptor,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    let trusted = owner_is_trusted(owner);
    // SAFETY: allocated by GetNamedSecurityInfoW for the caller to free with LocalFree.
    unsafe { LocalFree(descriptor as HLOCAL) };
    match trusted? {
        true => Ok(()),
        false => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} belongs to another user, not to SYSTEM, the Administrators or the user masq runs as; masq will not act on it. Delete it as an administrator and start again",
                path.display()
            ),
        )),
    }
}

fn owner_is_trusted(owner: PSID) -> io::Result<bool> {
    // SAFETY: `owner` is a valid SID for the duration of these calls.
    if unsafe { IsWellKnownSid(owner, WinLocalSystemSid) } != 0
        || unsafe { IsWellKnownSid(owner, WinBuiltinAdministratorsSid) } != 0
    {
        return Ok(true);
    }
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: the current process's pseudo handle and a valid out pointer.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(last_error("cannot open this process's token"));
    }
    let mut needed = 0u32;
    // SAFETY: a size query with a null buffer.
    unsafe { GetTokenInformation(token, TokenUser, ptr::null_mut(), 0, &mut needed) };
    // u64 elements keep the buffer aligned for TOKEN_USER.
    let mut buffer = vec![0u64; (needed as usize).div_ceil(8).max(1)];
    // SAFETY: `buffer` holds at least `needed` bytes.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenUser,
            buffer.as_mut_ptr().cast::<c_void>(),
            needed,
            &mut needed,
        )
    };
    // SAFETY: opened above, closed once.
    unsafe { CloseHandle(token) };
    if ok == 0 {
        return Err(last_error("cannot read this process's user"));
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID lives in the buffer.
    let user = unsafe { (*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid };
    // SAFETY: two valid SIDs.
    Ok(unsafe { EqualSid(owner, user) } != 0)
}

fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain(Some(0)).collect()
}

fn last_error(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
