//! The virtual adapter (Linux TUN) that the LAN's packets are steered into.
//!
//! Opened with a hand-written TUNSETIFF ioctl rather than a tun crate: those bring their own
//! async runtime adapters and device-configuration layers, while masq needs only the fd (the
//! runtime wraps it in tokio's `AsyncFd`) and configures the link over netlink itself.
//!
//! The adapter is `IFF_TUN | IFF_NO_PI` (bare IP packets, no 4-byte header) and not
//! persistent: the kernel deletes it when the fd closes, so a crash cannot leave it behind.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use super::ifreq::ifreq_named;

/// An open TUN adapter: read packets the LAN sent, write packets toward the LAN.
#[derive(Debug)]
pub struct TunDevice {
    file: File,
    name: String,
    mtu: u16,
}

impl TunDevice {
    /// Creates adapter `name`, non-blocking; it exists until this value is dropped.
    pub(crate) fn create(name: &str, mtu: u16) -> io::Result<TunDevice> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        let mut req = ifreq_named(name)?;
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads and writes the ifreq, which outlives the call; the fd is a
        // freshly opened /dev/net/tun.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF as _, &mut req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(TunDevice {
            file,
            name: name.to_owned(),
            mtu,
        })
    }

    /// Reads one packet; `WouldBlock` when none is queued (wait for readability).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call.
        let n = unsafe { libc::read(self.file.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }

    /// Writes one packet; `WouldBlock` when the adapter's queue is full.
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        // SAFETY: `packet` is valid for reads of `packet.len()` bytes for the whole call.
        let n = unsafe { libc::write(self.file.as_raw_fd(), packet.as_ptr().cast(), packet.len()) };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }

    /// The adapter's interface name.
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
        self.file.as_raw_fd()
    }
}

impl AsFd for TunDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}
