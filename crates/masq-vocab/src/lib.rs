//! # masq-vocab: the words masq's parts share
//!
//! The engine, the OS layer (`masq-platform`) and the runtime exchange a few values: address
//! families, transport protocols, why a connect failed, what an ICMP error said, and how a
//! packet for the adapter is to be segmented. They live here, in a leaf crate with no code of
//! masq's below it, so the OS layer does not depend on the engine (and is not rebuilt, or
//! versioned, with it), and the engine does not depend on the OS layer.

#![warn(missing_docs)]

mod family;
mod offload;
mod protocol;
mod socket_errors;

pub use family::Family;
pub use offload::{RxMeta, SegmentKind, Segmentation, TunPacket};
pub use protocol::Protocol;
pub use socket_errors::{ConnectError, IcmpErrorKind, IcmpErrorReport};
