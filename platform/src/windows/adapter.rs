//! masq's virtual adapter on Windows: a Wintun adapter and its packet session.
//!
//! The adapter has a fixed name and GUID, so Windows recognizes it as the same network after
//! a restart (no new "Network 2" profile each time). Wintun ties the adapter's life to the
//! process that created it, so a crashed run's adapter is gone with it. wintun.dll is loaded only from masq.exe's own directory (see
//! `win_logic::dll_path`). The session's rings are sized by `win_logic::ring`.
//!
//! Wintun has no file descriptor to poll: [`TunDevice::recv_blocking`] waits on the session's
//! read event (and wakes up when [`TunDevice::close_reader`] is called), so the runtime reads
//! it on a dedicated thread. Sends never block: a full ring drops the packet, as a full
//! interface queue would.

use std::io;
use std::sync::Arc;

use tracing::debug;
use wintun::{Adapter, Session};

use super::dll::load_wintun;
use super::iphelper::Luid;
use crate::win_logic::ring::RING_CAPACITY;

pub(crate) use crate::win_logic::setup::ADAPTER_NAME;
/// The Wintun pool/tunnel type name.
const TUNNEL_TYPE: &str = "masq";
/// The adapter's fixed GUID {6d617371-0000-4d51-8000-6d6173710001} ("masq" in its first and
/// last bytes), so restarts reuse one network profile.
const ADAPTER_GUID: u128 = 0x6d617371_0000_4d51_8000_6d6173710001;

/// The open adapter: read packets the LAN sent, write packets toward the LAN.
pub struct TunDevice {
    adapter: Arc<Adapter>,
    session: Arc<Session>,
    mtu: u16,
}

impl std::fmt::Debug for TunDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunDevice")
            .field("name", &ADAPTER_NAME)
            .field("mtu", &self.mtu)
            .finish_non_exhaustive()
    }
}

impl TunDevice {
    /// Creates masq's adapter and starts a session on it. Wintun removes an adapter when the
    /// process that created it closes it or exits, so one that exists already belongs to a
    /// live process (another masq, or a program using the same name): it is not taken over,
    /// since this process could neither remove it nor share its session.
    pub(crate) fn create(mtu: u16) -> io::Result<TunDevice> {
        let wintun = load_wintun()?;
        if Adapter::open(&wintun, ADAPTER_NAME).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "a Wintun adapter named \"{ADAPTER_NAME}\" already exists and belongs to another running process (is another masq running?); stop it and start again"
                ),
            ));
        }
        let adapter = Adapter::create(&wintun, ADAPTER_NAME, TUNNEL_TYPE, Some(ADAPTER_GUID))
            .map_err(|e| wintun_error("create the Wintun adapter", e))?;
        debug!(adapter = ADAPTER_NAME, "Wintun adapter created");
        let session = adapter
            .start_session(RING_CAPACITY)
            .map_err(|e| wintun_error("start a Wintun session", e))?;
        Ok(TunDevice {
            adapter,
            session: Arc::new(session),
            mtu,
        })
    }

    /// The adapter's LUID, which its addresses and routes are attached to.
    pub(crate) fn luid(&self) -> Luid {
        // SAFETY: every bit pattern of the union is a valid u64.
        Luid(unsafe { self.adapter.get_luid().Value })
    }

    /// Reads one packet without waiting; `WouldBlock` when none is queued.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self.session.try_receive() {
            Ok(Some(packet)) => Ok(copy_packet(packet.bytes(), buf)),
            Ok(None) => Err(io::ErrorKind::WouldBlock.into()),
            Err(e) => Err(wintun_error("read from the adapter", e)),
        }
    }

    /// Waits for the next packet; `Ok(None)` once [`TunDevice::close_reader`] was called.
    pub fn recv_blocking(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match self.session.receive_blocking() {
            Ok(packet) => Ok(Some(copy_packet(packet.bytes(), buf))),
            Err(wintun::Error::ShuttingDown) => Ok(None),
            Err(e) => Err(wintun_error("read from the adapter", e)),
        }
    }

    /// Wakes every thread waiting in [`TunDevice::recv_blocking`] and makes it return `None`.
    pub fn close_reader(&self) -> io::Result<()> {
        self.session
            .shutdown()
            .map_err(|e| wintun_error("stop the adapter's reader", e))
    }

    /// Writes one packet; `WouldBlock` when the ring is full (the caller drops the packet).
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        let len = u16::try_from(packet.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "packet larger than 65535 bytes",
            )
        })?;
        let mut out = match self.session.allocate_send_packet(len) {
            Ok(p) => p,
            Err(wintun::Error::Io(e))
                if e.raw_os_error()
                    == Some(windows_sys::Win32::Foundation::ERROR_BUFFER_OVERFLOW as i32) =>
            {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            // The session is over (the adapter was removed or is being torn down): every
            // later packet would fail the same way, so the caller stops instead of retrying.
            Err(wintun::Error::Io(e))
                if e.raw_os_error()
                    == Some(windows_sys::Win32::Foundation::ERROR_HANDLE_EOF as i32) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    format!("the adapter \"{ADAPTER_NAME}\" was removed or its session ended"),
                ));
            }
            Err(e) => return Err(wintun_error("write to the adapter", e)),
        };
        out.bytes_mut().copy_from_slice(packet);
        self.session.send_packet(out);
        Ok(packet.len())
    }

    /// The adapter's interface name.
    pub fn name(&self) -> &str {
        ADAPTER_NAME
    }

    /// The MTU the adapter was configured with: the largest packet to write.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// A second handle on the same session, for the reader thread.
    pub fn try_clone(&self) -> io::Result<TunDevice> {
        Ok(TunDevice {
            adapter: Arc::clone(&self.adapter),
            session: Arc::clone(&self.session),
            mtu: self.mtu,
        })
    }
}

fn copy_packet(packet: &[u8], buf: &mut [u8]) -> usize {
    let n = packet.len().min(buf.len());
    buf[..n].copy_from_slice(&packet[..n]);
    n
}

fn wintun_error(what: &str, e: wintun::Error) -> io::Error {
    match e {
        wintun::Error::Io(io) => io::Error::new(io.kind(), format!("{what}: {io}")),
        other => io::Error::other(format!("{what}: {other}")),
    }
}
