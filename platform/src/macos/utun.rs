//! The virtual adapter on macOS: a utun, opened through the kernel control socket.
//!
//! A utun is a `PF_SYSTEM`/`SOCK_DGRAM`/`SYSPROTO_CONTROL` socket connected to the kernel
//! control `com.apple.net.utun_control`: `CTLIOCGINFO` turns the control's name into its id,
//! and `connect` with a `sockaddr_ctl` whose `sc_unit` is N + 1 creates `utunN` (0 asks for
//! the next free unit). The kernel names the interface; `UTUN_OPT_IFNAME` reads it back.
//! The utun exists exactly as long as the socket is open, so a crash cannot leave it behind.
//!
//! Every datagram carries the 4-byte address family header of [`super::af_header`]: `recv`
//! strips it and `send` adds it with `readv`/`writev`, so packets are never copied.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::af_header;
use super::ioccom::CTLIOCGINFO;
use crate::PlatformError;

/// The kernel control that creates utun interfaces.
const UTUN_CONTROL: &[u8] = b"com.apple.net.utun_control";

/// An open utun: read packets the LAN sent, write packets toward the LAN.
#[derive(Debug)]
pub struct TunDevice {
    fd: OwnedFd,
    name: String,
    mtu: u16,
}

impl TunDevice {
    /// Opens `utun<unit>`, or the next free utun for `None`; non-blocking and close-on-exec.
    /// The MTU is only remembered here; `ifconfig.rs` sets it on the interface.
    pub(crate) fn open(unit: Option<u32>, mtu: u16) -> Result<TunDevice, PlatformError> {
        let fail = |what: &str| {
            let source = io::Error::last_os_error();
            PlatformError::Utun {
                what: what.to_owned(),
                source,
            }
        };
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw =
            unsafe { libc::socket(libc::PF_SYSTEM, libc::SOCK_DGRAM, libc::SYSPROTO_CONTROL) };
        if raw < 0 {
            return Err(fail("open a kernel control socket"));
        }
        // SAFETY: `raw` is a freshly created descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        // SAFETY: ctl_info is plain data; all-zero is a valid value.
        let mut info: libc::ctl_info = unsafe { std::mem::zeroed() };
        for (dst, src) in info.ctl_name.iter_mut().zip(UTUN_CONTROL) {
            *dst = *src as libc::c_char;
        }
        // SAFETY: CTLIOCGINFO reads ctl_name and writes ctl_id of `info`, which outlives the call.
        if unsafe { libc::ioctl(fd.as_raw_fd(), CTLIOCGINFO as libc::c_ulong, &mut info) } < 0 {
            return Err(fail("look up com.apple.net.utun_control"));
        }

        let sc_unit = match unit {
            Some(n) => n.checked_add(1).ok_or_else(|| PlatformError::Utun {
                what: format!("open utun{n}"),
                source: io::Error::new(io::ErrorKind::InvalidInput, "unit number too large"),
            })?,
            None => 0,
        };
        // SAFETY: sockaddr_ctl is plain data; all-zero is a valid value completed below.
        let mut addr: libc::sockaddr_ctl = unsafe { std::mem::zeroed() };
        addr.sc_len = std::mem::size_of::<libc::sockaddr_ctl>() as libc::c_uchar;
        addr.sc_family = libc::AF_SYSTEM as libc::c_uchar;
        addr.ss_sysaddr = libc::AF_SYS_CONTROL as u16;
        addr.sc_id = info.ctl_id;
        addr.sc_unit = sc_unit;
        // SAFETY: `addr` is a valid sockaddr_ctl and its exact size is passed.
        let rc = unsafe {
            libc::connect(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ctl).cast(),
                std::mem::size_of::<libc::sockaddr_ctl>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            let what = match unit {
                Some(n) => format!("create utun{n}"),
                None => "create a utun".to_owned(),
            };
            return Err(fail(&what));
        }

        let name = utun_name(&fd).map_err(|source| PlatformError::Utun {
            what: "read the utun's name (UTUN_OPT_IFNAME)".to_owned(),
            source,
        })?;
        set_flags(&fd).map_err(|source| PlatformError::Utun {
            what: format!("make {name} non-blocking and close-on-exec"),
            source,
        })?;
        Ok(TunDevice { fd, name, mtu })
    }

    /// Reads one packet without its family header; `WouldBlock` when none is queued. Datagrams
    /// of other families (none are expected) are skipped.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut header = [0u8; af_header::LEN];
            let iov = [
                libc::iovec {
                    iov_base: header.as_mut_ptr().cast(),
                    iov_len: header.len(),
                },
                libc::iovec {
                    iov_base: buf.as_mut_ptr().cast(),
                    iov_len: buf.len(),
                },
            ];
            // SAFETY: both iovecs point at buffers valid for writes of their lengths for the
            // whole call.
            let n = unsafe { libc::readv(self.fd.as_raw_fd(), iov.as_ptr(), 2) };
            let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
            if n < af_header::LEN || !af_header::is_ip(header) {
                tracing::trace!(len = n, "skipped a utun datagram that is not IPv4 or IPv6");
                continue;
            }
            return Ok(n - af_header::LEN);
        }
    }

    /// Writes one IPv4 or IPv6 packet, adding the family header; returns the packet's length.
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        let header = af_header::for_packet(packet).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "only IPv4 and IPv6 packets can be written to a utun",
            )
        })?;
        let iov = [
            libc::iovec {
                iov_base: header.as_ptr() as *mut libc::c_void,
                iov_len: header.len(),
            },
            libc::iovec {
                iov_base: packet.as_ptr() as *mut libc::c_void,
                iov_len: packet.len(),
            },
        ];
        // SAFETY: both iovecs point at buffers valid for reads of their lengths for the whole
        // call; writev does not write through them.
        let n = unsafe { libc::writev(self.fd.as_raw_fd(), iov.as_ptr(), 2) };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        Ok(n.saturating_sub(af_header::LEN))
    }

    /// The interface name the kernel gave the utun (`utunN`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The MTU the adapter was configured with: the largest packet to write.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }
}

impl AsRawFd for TunDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TunDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The interface name of a connected utun socket.
fn utun_name(fd: &OwnedFd) -> io::Result<String> {
    let mut name = [0u8; libc::IFNAMSIZ];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: `name` is valid for writes of `len` bytes, and `len` is updated by the kernel.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SYSPROTO_CONTROL,
            libc::UTUN_OPT_IFNAME,
            name.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = usize::try_from(len).unwrap_or(0).min(name.len());
    let end = name[..len].iter().position(|&b| b == 0).unwrap_or(len);
    std::str::from_utf8(&name[..end])
        .ok()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "empty or non-UTF-8 name"))
}

/// `O_NONBLOCK` on the socket and `FD_CLOEXEC` on the descriptor.
fn set_flags(fd: &OwnedFd) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        let fl = libc::fcntl(raw, libc::F_GETFL);
        if fl < 0 || libc::fcntl(raw, libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd_flags = libc::fcntl(raw, libc::F_GETFD);
        if fd_flags < 0 || libc::fcntl(raw, libc::F_SETFD, fd_flags | libc::FD_CLOEXEC) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
