//! The virtual adapter (Linux TUN) that the LAN's packets are steered into.
//!
//! Opened with a hand-written TUNSETIFF ioctl rather than a tun crate: those bring their own
//! async runtime adapters and device-configuration layers, while masq needs only the fd (the
//! runtime polls it with the uplink sockets) and configures the link over netlink itself.
//!
//! The adapter is `IFF_TUN | IFF_NO_PI` (bare IP packets, no 4-byte header) and not
//! persistent: the kernel deletes it when the fd closes, so a crash cannot leave it behind.
//!
//! With offload (the default), it is also `IFF_VNET_HDR` with TSO enabled (`TUNSETOFFLOAD`):
//! every packet then carries a virtio-net header ([`super::vnet`]), the kernel hands us
//! GRO-merged segments of up to 64 KiB, and cuts the super-segments we write. This is what
//! lets a user-space relay approach kernel forwarding speed (wireguard-go does the same).
//! Where the kernel has UDP segmentation offload for TUN (6.2 and later), it is enabled too,
//! so that batches of datagrams toward the LAN are written at once.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use masq_vocab::{RxMeta, TunPacket};

use super::ifreq::ifreq_named;
use super::vnet;

/// `TUN_F_USO4`/`TUN_F_USO6` (linux/if_tun.h, kernel 6.2): UDP segmentation offload, not in
/// the libc crate yet.
const TUN_F_USO4: libc::c_uint = 0x20;
const TUN_F_USO6: libc::c_uint = 0x40;

/// Which offloads the adapter was opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offload {
    None,
    /// Checksum and TCP segmentation offload.
    Tcp,
    /// TCP and UDP segmentation offload.
    TcpUdp,
}
/// An open TUN adapter: read packets the LAN sent, write packets toward the LAN.
#[derive(Debug)]
pub struct TunDevice {
    file: File,
    name: String,
    mtu: u16,
    offload: Offload,
}

impl TunDevice {
    /// Creates adapter `name`, non-blocking; it exists until this value is dropped. With
    /// `offload`, TSO is requested, and the device falls back to plain packets (with a log
    /// line) if the kernel refuses it.
    pub(crate) fn create(name: &str, mtu: u16, offload: bool) -> io::Result<TunDevice> {
        if offload {
            // Older kernels refuse USO with EINVAL: then TCP offload alone.
            for level in [Offload::TcpUdp, Offload::Tcp] {
                match Self::open(name, mtu, level) {
                    Ok(dev) => return Ok(dev),
                    Err(e) => {
                        tracing::debug!(tun = name, ?level, error = %e, "TUN offload refused")
                    }
                }
            }
            tracing::warn!(tun = name, "TUN offload unavailable; using plain packets");
        }
        Self::open(name, mtu, Offload::None)
    }

    fn open(name: &str, mtu: u16, offload: Offload) -> io::Result<TunDevice> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        let mut req = ifreq_named(name)?;
        let vnet = if offload == Offload::None {
            0
        } else {
            libc::IFF_VNET_HDR
        };
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI | vnet) as libc::c_short;
        // SAFETY: TUNSETIFF reads and writes the ifreq, which outlives the call; the fd is a
        // freshly opened /dev/net/tun.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF as _, &mut req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let tcp = libc::TUN_F_CSUM | libc::TUN_F_TSO4 | libc::TUN_F_TSO6;
        let features = match offload {
            Offload::None => None,
            Offload::Tcp => Some(tcp),
            Offload::TcpUdp => Some(tcp | TUN_F_USO4 | TUN_F_USO6),
        };
        if let Some(features) = features {
            // SAFETY: TUNSETOFFLOAD takes its argument by value; the fd is our TUN.
            let rc = unsafe {
                libc::ioctl(
                    file.as_raw_fd(),
                    libc::TUNSETOFFLOAD as _,
                    features as libc::c_ulong,
                )
            };
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(TunDevice {
            file,
            name: name.to_owned(),
            mtu,
            offload,
        })
    }

    /// Whether packets carry virtio-net headers and TCP super-segments may be written.
    pub fn offload(&self) -> bool {
        self.offload != Offload::None
    }

    /// Whether UDP super-datagrams may be written too (kernel 6.2 and later).
    pub fn udp_offload(&self) -> bool {
        self.offload == Offload::TcpUdp
    }

    /// Reads one packet into `buf`; returns where the IP packet is and what the kernel said
    /// about it. `buf` must hold 64 KiB plus the header with offload on.
    pub fn recv_packet(&self, buf: &mut [u8]) -> io::Result<(std::ops::Range<usize>, RxMeta)> {
        let n = self.recv(buf)?;
        if !self.offload() {
            return Ok((0..n, RxMeta::default()));
        }
        if n < vnet::LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "TUN packet shorter than its virtio header",
            ));
        }
        Ok((vnet::LEN..n, vnet::parse(&buf[..vnet::LEN])))
    }

    /// Writes one packet from the engine, with the segmentation it asks for.
    pub fn send_packet(&self, packet: &TunPacket) -> io::Result<usize> {
        if !self.offload() {
            return self.send(&packet.data);
        }
        let hdr = vnet::build(packet.segmentation);
        let iov = [
            libc::iovec {
                iov_base: hdr.as_ptr() as *mut libc::c_void,
                iov_len: hdr.len(),
            },
            libc::iovec {
                iov_base: packet.data.as_ptr() as *mut libc::c_void,
                iov_len: packet.data.len(),
            },
        ];
        // SAFETY: both iovecs point to live buffers of the given lengths for the whole call;
        // writev only reads them.
        let n = unsafe { libc::writev(self.file.as_raw_fd(), iov.as_ptr(), 2) };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
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
