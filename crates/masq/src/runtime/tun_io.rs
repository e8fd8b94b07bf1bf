//! Reading and writing the adapter with whatever offload the platform's adapter has.
//!
//! On Linux the TUN carries virtio-net headers when segmentation offload is on; elsewhere
//! packets are plain. The event loop calls these and never looks at headers itself.

use std::io;
use std::ops::Range;

use masq_engine::{RxMeta, TunPacket};
use masq_platform::TunDevice;

/// Whether the adapter splits TCP super-segments for us.
#[cfg(target_os = "linux")]
pub(crate) fn offload(tun: &TunDevice) -> bool {
    tun.offload()
}

/// Whether the adapter also cuts UDP super-datagrams.
#[cfg(target_os = "linux")]
pub(crate) fn udp_offload(tun: &TunDevice) -> bool {
    tun.udp_offload()
}

/// Reads one packet: where it is in `buf` and what the OS said about it.
#[cfg(target_os = "linux")]
pub(crate) fn recv(tun: &TunDevice, buf: &mut [u8]) -> io::Result<(Range<usize>, RxMeta)> {
    tun.recv_packet(buf)
}

/// Writes one packet from the engine.
#[cfg(target_os = "linux")]
pub(crate) fn send(tun: &TunDevice, packet: &TunPacket) -> io::Result<usize> {
    tun.send_packet(packet)
}

/// Whether the adapter splits TCP super-segments for us (not on this OS).
#[cfg(not(target_os = "linux"))]
pub(crate) fn offload(_tun: &TunDevice) -> bool {
    false
}

/// Whether the adapter cuts UDP super-datagrams (not on this OS).
#[cfg(not(target_os = "linux"))]
pub(crate) fn udp_offload(_tun: &TunDevice) -> bool {
    false
}

/// Reads one plain packet.
#[cfg(not(target_os = "linux"))]
#[cfg_attr(
    windows,
    expect(
        dead_code,
        reason = "the Windows loop reads Wintun on a thread of its own"
    )
)]
pub(crate) fn recv(tun: &TunDevice, buf: &mut [u8]) -> io::Result<(Range<usize>, RxMeta)> {
    let n = tun.recv(buf)?;
    Ok((0..n, RxMeta::default()))
}

/// Writes one plain packet (the engine emits no super-segments without offload).
#[cfg(not(target_os = "linux"))]
#[cfg_attr(
    windows,
    expect(
        dead_code,
        reason = "the Windows loop reads Wintun on a thread of its own"
    )
)]
pub(crate) fn send(tun: &TunDevice, packet: &TunPacket) -> io::Result<usize> {
    tun.send(&packet.data)
}
