//! `net.inet.ip.forwarding` through sysctlbyname(3), the one kernel setting masq changes on
//! macOS: replies written into the utun are addressed to LAN hosts, and the kernel forwards
//! them out of the LAN interface only while IPv4 forwarding is on. (The LAN's own packets
//! never need it: pf's route-to hands them to the utun directly.)

use std::ffi::CStr;
use std::io;

use crate::PlatformError;

/// The setting's name as users know it.
pub(crate) const FORWARDING: &str = "net.inet.ip.forwarding";
const FORWARDING_C: &CStr = c"net.inet.ip.forwarding";

/// The current value of `net.inet.ip.forwarding`.
pub(crate) fn forwarding() -> Result<u32, PlatformError> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>();
    // SAFETY: `value` is valid for writes of `len` bytes; no new value is passed.
    let rc = unsafe {
        libc::sysctlbyname(
            FORWARDING_C.as_ptr(),
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc < 0 {
        return Err(error("read", io::Error::last_os_error()));
    }
    u32::try_from(value).map_err(|_| {
        error(
            "read",
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("negative value {value}"),
            ),
        )
    })
}

/// Sets `net.inet.ip.forwarding`.
pub(crate) fn set_forwarding(value: u32) -> Result<(), PlatformError> {
    let mut new = libc::c_int::try_from(value).map_err(|_| {
        error(
            "write",
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("value {value} too large"),
            ),
        )
    })?;
    // SAFETY: `new` is valid for reads of its size for the whole call; no old value is read.
    let rc = unsafe {
        libc::sysctlbyname(
            FORWARDING_C.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            (&mut new as *mut libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>(),
        )
    };
    if rc < 0 {
        return Err(error("write", io::Error::last_os_error()));
    }
    Ok(())
}

fn error(action: &'static str, source: io::Error) -> PlatformError {
    PlatformError::SysctlByName {
        action,
        name: FORWARDING,
        source,
    }
}
