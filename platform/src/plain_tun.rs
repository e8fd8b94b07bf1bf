//! The adapter surface Linux's TUN offers with offload, for the adapters that carry plain
//! packets only (utun on macOS, Wintun on Windows): the same four calls, so the runtime reads
//! and writes every OS's adapter alike.

use std::io;
use std::ops::Range;

use masq_vocab::{RxMeta, TunPacket};

use crate::TunDevice;

impl TunDevice {
    /// Whether the adapter splits TCP super-segments for the engine: never here.
    pub fn offload(&self) -> bool {
        false
    }

    /// Whether the adapter cuts UDP super-datagrams: never here.
    pub fn udp_offload(&self) -> bool {
        false
    }

    /// Reads one packet: where it is in `buf` (all of what was read) and what the OS said
    /// about it (nothing: no offload metadata).
    pub fn recv_packet(&self, buf: &mut [u8]) -> io::Result<(Range<usize>, RxMeta)> {
        let n = self.recv(buf)?;
        Ok((0..n, RxMeta::default()))
    }

    /// Writes one packet from the engine (which emits no super-segments without offload).
    pub fn send_packet(&self, packet: &TunPacket) -> io::Result<usize> {
        self.send(&packet.data)
    }
}
