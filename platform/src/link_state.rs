//! Whether an interface's link is up and running (carrier), for reporting a pinned uplink
//! going down and coming back: a Linux interface keeps its addresses when its link goes down,
//! so the addresses alone cannot tell.

use crate::PlatformError;

/// Whether interface `name` is administratively up and has carrier (`IFF_UP | IFF_RUNNING`).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub fn link_running(name: &str) -> Result<bool, PlatformError> {
    use nix::net::if_::InterfaceFlags;
    let entries = nix::ifaddrs::getifaddrs().map_err(|errno| PlatformError::InterfaceQuery {
        name: name.to_owned(),
        source: errno.into(),
    })?;
    let mut found = false;
    for entry in entries.filter(|e| e.interface_name == name) {
        found = true;
        if entry
            .flags
            .contains(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING)
        {
            return Ok(true);
        }
    }
    if found {
        Ok(false)
    } else {
        Err(PlatformError::InterfaceNotFound {
            role: "uplink interface",
            name: name.to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
    }
}

/// Fails: reading link flags is only written for Linux and macOS.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn link_running(_name: &str) -> Result<bool, PlatformError> {
    Err(PlatformError::Unsupported {
        os: std::env::consts::OS,
        what: "read whether the uplink's link is up",
        missing: "only the Linux and macOS backends read link flags",
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn loopback_runs_and_a_missing_link_is_named() {
        assert!(link_running("lo").unwrap());
        let err = link_running("no-such-if0").unwrap_err();
        assert!(err.to_string().contains("no-such-if0"), "{err}");
    }
}
