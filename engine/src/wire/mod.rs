//! Packets on the LAN side: validating parse in, checksum-correct construction out.
//!
//! The no-panic contract: [`parse`] accepts any byte sequence and either returns a fully
//! validated view or the [`DropReason`](crate::DropReason) to count; builders in `emit` never
//! index out of bounds and return `None` for inputs no packet can carry.

pub(crate) mod checksum;
pub(crate) mod emit;
pub(crate) mod hairpin;
pub(crate) mod parse;
pub(crate) mod udp_super;

pub(crate) use parse::{
    L4, Packet, TcpSegment, is_routable_destination, parse, parse_with, quoted,
};

/// Fuzzing and property-test entry point: parses arbitrary bytes as an adapter packet and
/// reports whether it was accepted. Never panics.
pub fn fuzz_parse(bytes: &[u8]) -> bool {
    parse(bytes).is_ok()
}
