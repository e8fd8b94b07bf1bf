//! `struct ifreq` for the two interface ioctls the backend needs (TUNSETIFF, SIOCGIFMTU).
//!
//! These are the only calls that netlink does not cover (creating a TUN needs the device fd)
//! or where netlink would force async on a function the runtime wants synchronous.

use std::io;
use std::os::fd::AsRawFd;

/// A zeroed `ifreq` carrying `name` (which must fit IFNAMSIZ with its NUL).
pub(crate) fn ifreq_named(name: &str) -> io::Result<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "interface name `{name}` must be 1 to {} bytes without NUL",
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    // SAFETY: ifreq is a plain C struct (a name array and a union of integers, sockaddrs and a
    // pointer) for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok(req)
}

/// The MTU of interface `name`, via SIOCGIFMTU on a throwaway socket (of the calling thread's
/// network namespace).
pub(crate) fn interface_mtu(name: &str) -> io::Result<u32> {
    let mut req = ifreq_named(name)?;
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM.cloexec(), None)?;
    // SAFETY: SIOCGIFMTU reads ifr_name and writes ifr_mtu inside `req`, which lives for the
    // whole call.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFMTU as _, &mut req) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: after a successful SIOCGIFMTU the kernel has written the ifru_mtu member.
    let mtu = unsafe { req.ifr_ifru.ifru_mtu };
    u32::try_from(mtu)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("negative MTU {mtu}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_fit() {
        assert!(ifreq_named("eth0").is_ok());
        assert!(ifreq_named("").is_err());
        assert!(ifreq_named("0123456789abcdef").is_err());
        assert!(ifreq_named("a\0b").is_err());
    }

    #[test]
    fn loopback_has_an_mtu() {
        assert!(interface_mtu("lo").unwrap() >= 1280);
        assert!(interface_mtu("no-such-if0").is_err());
    }
}
