//! The TCP relay: terminates a hidden host's connection on the LAN side and splices its byte
//! stream onto an uplink socket the shell owns (a "split" connection).
//!
//! The WAN leg is an ordinary kernel TCP connection, so loss recovery, PMTU and congestion
//! control on the internet path are the kernel's. The LAN leg is ours, and on a lossy LAN
//! (Wi-Fi) it decides every download's speed, so it is a full modern TCP:
//! - [`handshake`]: the SYN is answered only after the upstream connect succeeded, so the
//!   hidden host sees the real outcome; forwarded connections open toward the host;
//! - [`send`]: the download direction, with SACK, RACK-TLP, PRR, CUBIC and undo;
//! - [`recv`]: the upload direction, with reassembly, SACK/DSACK reporting and a window
//!   that is the free space of a bounded buffer;
//! - [`flow`]: one connection's states, timers and the glue between the two directions.
//!
//! Sequence numbers are kept as u64 stream offsets and converted to wrapping u32 only at the
//! wire, so wrap-around is handled in one place ([`Seq`]). Offsets count the FIN as one byte
//! past the data, as TCP does.

pub(crate) mod buffers;
mod flow;
mod handshake;
pub(crate) mod isn;
mod recv;
pub(crate) mod send;

pub(crate) use flow::{Ends, TcpFlow};
pub(crate) use handshake::{TcpAcceptInit, TcpInit};

/// Converts between u64 stream offsets and wire sequence numbers for one direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seq {
    /// Wire sequence number of offset 0 (the initial sequence number + 1).
    base: u32,
}

impl Seq {
    pub(crate) fn new(isn: u32) -> Self {
        Seq {
            base: isn.wrapping_add(1),
        }
    }

    /// The wire number of a stream offset.
    pub(crate) fn wire(self, offset: u64) -> u32 {
        self.base.wrapping_add(offset as u32)
    }

    /// The stream offset of a wire number, taken as the one nearest `near` (RFC 1982 serial
    /// arithmetic: within 2^31 either way). `None` if that would be before offset 0.
    pub(crate) fn offset(self, wire: u32, near: u64) -> Option<u64> {
        let delta = wire.wrapping_sub(self.wire(near)) as i32;
        near.checked_add_signed(i64::from(delta))
    }
}

#[cfg(test)]
mod seq_tests {
    use super::Seq;

    #[test]
    fn wraps_around_u32() {
        let s = Seq::new(u32::MAX - 10);
        assert_eq!(s.wire(0), u32::MAX - 9);
        assert_eq!(s.wire(20), 10);
        assert_eq!(s.offset(10, 0), Some(20));
        assert_eq!(s.offset(u32::MAX - 9, 20), Some(0));
    }

    #[test]
    fn offsets_beyond_4_gib() {
        let s = Seq::new(12345);
        let far = 5 * (1u64 << 32) + 77;
        assert_eq!(s.offset(s.wire(far + 1000), far), Some(far + 1000));
        assert_eq!(s.offset(s.wire(far - 1000), far), Some(far - 1000));
    }

    #[test]
    fn before_start_is_none() {
        let s = Seq::new(100);
        assert_eq!(s.offset(50, 0), None);
    }
}
