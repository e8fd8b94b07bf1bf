//! The uplink sockets the engine asks for: what each OS's socket shell reports
//! ([`SocketEvent`]) and the shell itself ([`Sockets`]).
//!
//! Nothing here decides anything about translation; the engine does. Two shells carry out
//! the same [`masq_engine::SocketCommand`]s:
//! - Unix ([`reactor`](reactor.rs)): the event loop owns every socket in one `mio::Poll` and
//!   reads and writes inline, so a byte crosses no channel and wakes no other task;
//! - Windows ([`tasks`](tasks.rs)): one small tokio task per socket (Windows sockets cannot
//!   be polled through a descriptor), talking to the loop through channels.
//!
//! Both send hidden hosts' ICMP errors out through the raw sockets of `icmp_errors.rs`; the
//! Unix shell's per-turn budget and readiness are in `turn.rs`.

mod echo;
mod event;
mod icmp_errors;

#[cfg(unix)]
mod reactor;
#[cfg(unix)]
mod reactor_datagram;
#[cfg(unix)]
mod reactor_tcp;
#[cfg(target_os = "linux")]
mod recv_many;
#[cfg(windows)]
mod tasks;
#[cfg(unix)]
mod turn;

pub(crate) use event::{Accepted, ShellEvent, SocketEvent};
#[cfg(unix)]
pub(crate) use reactor::Sockets;
#[cfg(windows)]
pub(crate) use tasks::Sockets;

/// Largest single read from a TCP socket; also bounds one `TcpData` event.
const READ_CHUNK: usize = 64 * 1024;
/// Largest datagram we can receive (IPv4/IPv6 maximum payload).
const DATAGRAM_MAX: usize = 65_535;
