//! # masq-vocab: the words masq's parts share
//!
//! The engine, the OS layer (`masq-platform`), the runtime and the control API exchange a few
//! values: address families, transport protocols, the endpoints of a translation, what a port
//! forward is, why a connect failed, what an ICMP error said, and how a packet for the
//! adapter is to be segmented. They live here, in a leaf crate with no code of
//! masq's below it, so the OS layer does not depend on the engine (and is not rebuilt, or
//! versioned, with it), the engine does not depend on the OS layer, and the control API's
//! clients do not depend on the engine.

#![warn(missing_docs)]

mod endpoint;
mod family;
mod forward;
mod offload;
mod protocol;
mod socket_errors;

pub use endpoint::{FlowId, GatewayEndpoint, LanEndpoint, RemoteEndpoint};
pub use family::Family;
pub use forward::{
    BadForwardProtocol, BadForwardTarget, BadPortRange, ForwardKey, ForwardOrigin, ForwardProtocol,
    ForwardSpec, PortMapProtocol, PortRange,
};
pub use offload::{RxMeta, SegmentKind, Segmentation, TunPacket};
pub use protocol::Protocol;
pub use socket_errors::{ConnectError, IcmpErrorKind, IcmpErrorReport};
