//! # masq-engine: the sans-IO heart of masq
//!
//! IP masquerading, as a pure state machine. Packets from the LAN's virtual adapter come in
//! through [`Engine::handle_tun_packet`]; the engine terminates them and asks the shell, through
//! [`SocketCommand`]s, to re-originate each conversation from an ordinary OS socket bound to the
//! host's uplink. Whatever those sockets report comes back in as a [`SocketEvent`]
//! ([`Engine::handle_socket_event`]) and leaves as packets toward the hidden host
//! ([`Engine::poll_tun_packet`]).
//!
//! The engine performs no I/O, never reads the clock and never spawns anything: every method
//! that depends on time takes `now`, which must never go backwards. It is deterministic, so
//! tests drive it with a virtual clock, and it never panics on any byte sequence: a packet it
//! cannot use is counted under a [`DropReason`].
//!
//! Method taxonomy (after quinn-proto): getters; `handle_*` for inputs; `poll_*` for outputs.
//! After any `handle_*` call the shell drains, in this order, [`Engine::poll_command`],
//! [`Engine::poll_tun_packet`], then re-arms its one timer from [`Engine::poll_timeout`] and
//! calls [`Engine::handle_timeout`] when it fires.

#![warn(missing_docs)]

pub mod command;
mod engine;
mod icmp;
mod icmp_budget;
mod inbound;
mod ip_idents;
pub mod offload;
mod out;
mod reassembly;
mod shaper;
pub mod socket_event;
mod tcp;
mod udp;
mod wire;
pub use wire::fuzz_parse;
pub mod config;
pub mod flow;
pub mod forward;
pub mod snapshot;
pub mod stats;

#[cfg(test)]
mod tests;

pub use command::{ConnectError, Family, IcmpErrorKind, IcmpErrorReport, SocketCommand};
pub use config::{
    ClientLimit, Config, ConfigError, CongestionControl, ConnectTimeoutReply, IcmpConfig,
    TcpConfig, UdpConfig, UdpFiltering,
};
pub use engine::{Engine, Hairpin};
pub use flow::{FlowId, FlowKey, GatewayEndpoint, LanEndpoint, Protocol, RemoteEndpoint, SocketId};
pub use forward::{
    ForwardError, ForwardKey, ForwardOrigin, ForwardProtocol, ForwardSpec, ForwardView,
    ListenerState, PortMapProtocol, PortRange,
};
pub use offload::{RxMeta, SegmentKind, Segmentation, TunPacket};
pub use snapshot::{EngineStatus, InboundAttempt, RefusalReason, TcpFlowStats, Translation};
pub use socket_event::SocketEvent;
pub use stats::{Counters, DropReason};
