//! Interface settings through ioctls on a throwaway `AF_INET` datagram socket, as ifconfig(8)
//! makes them: MTU (`SIOCSIFMTU` / `SIOCGIFMTU`), the up flag (`SIOCGIFFLAGS` /
//! `SIOCSIFFLAGS`) and a point-to-point IPv4 address (`SIOCAIFADDR` with an `ifaliasreq`
//! whose broadcast slot holds the peer, as `<netinet/in_var.h>` defines `ifra_dstaddr`).

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

use socket2::{Domain, Socket, Type};

use super::ioccom::{SIOCAIFADDR, SIOCGIFFLAGS, SIOCGIFMTU, SIOCSIFFLAGS, SIOCSIFMTU};

/// Sets the MTU of `name`.
pub(crate) fn set_mtu(name: &str, mtu: u16) -> io::Result<()> {
    let mut req = ifreq_named(name)?;
    req.ifr_ifru.ifru_mtu = libc::c_int::from(mtu);
    ioctl(SIOCSIFMTU, &mut req)
}

/// The MTU of `name`.
pub(crate) fn mtu(name: &str) -> io::Result<u32> {
    let mut req = ifreq_named(name)?;
    ioctl(SIOCGIFMTU, &mut req)?;
    // SAFETY: after a successful SIOCGIFMTU the kernel has written the ifru_mtu member.
    let mtu = unsafe { req.ifr_ifru.ifru_mtu };
    u32::try_from(mtu)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("negative MTU {mtu}")))
}

/// Marks `name` up (leaving its other flags as they are).
pub(crate) fn set_up(name: &str) -> io::Result<()> {
    let mut req = ifreq_named(name)?;
    ioctl(SIOCGIFFLAGS, &mut req)?;
    // SAFETY: after a successful SIOCGIFFLAGS the kernel has written the ifru_flags member.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    ioctl(SIOCSIFFLAGS, &mut req)
}

/// Adds IPv4 `local` with peer `peer` and a /32 mask to point-to-point interface `name`.
pub(crate) fn add_p2p_address(name: &str, local: Ipv4Addr, peer: Ipv4Addr) -> io::Result<()> {
    // SAFETY: ifaliasreq is plain data (a name and three sockaddrs); all-zero is valid.
    let mut req: libc::ifaliasreq = unsafe { std::mem::zeroed() };
    copy_name(&mut req.ifra_name, name)?;
    req.ifra_addr = sockaddr_in(local);
    req.ifra_broadaddr = sockaddr_in(peer);
    req.ifra_mask = sockaddr_in(Ipv4Addr::BROADCAST);
    ioctl(SIOCAIFADDR, &mut req)
}

/// A `sockaddr_in` (port 0) in the generic `sockaddr` slot of a request.
fn sockaddr_in(addr: Ipv4Addr) -> libc::sockaddr {
    // SAFETY: sockaddr_in is plain data; all-zero is valid and completed below.
    let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sin.sin_len = std::mem::size_of::<libc::sockaddr_in>() as u8;
    sin.sin_family = libc::AF_INET as libc::sa_family_t;
    sin.sin_addr.s_addr = u32::from(addr).to_be();
    // SAFETY: sockaddr_in and sockaddr are both 16 bytes on Darwin and sockaddr has no
    // invalid bit patterns.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
}

/// A zeroed `ifreq` carrying `name`.
fn ifreq_named(name: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is a plain C struct (a name and a union of integers, sockaddrs and a
    // pointer) for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    copy_name(&mut req.ifr_name, name)?;
    Ok(req)
}

fn copy_name(dst: &mut [libc::c_char; libc::IFNAMSIZ], name: &str) -> io::Result<()> {
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
    for (d, s) in dst.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    Ok(())
}

/// Runs one interface ioctl on a fresh `AF_INET` datagram socket.
fn ioctl<T>(request: u32, arg: &mut T) -> io::Result<()> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    // SAFETY: every caller passes the request struct its ioctl number was computed for
    // (ioccom.rs encodes the struct size), and `arg` lives for the whole call.
    let rc = unsafe {
        libc::ioctl(
            socket.as_raw_fd(),
            libc::c_ulong::from(request),
            arg as *mut T,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
