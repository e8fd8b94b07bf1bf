//! Port forwards: the only way a connection from outside reaches a hidden host.
//!
//! Masquerading lets conversations start from the LAN only. A forward is the user's explicit
//! exception, as on any home router: "gateway port 8080/tcp goes to 192.168.137.10:80". The
//! engine owns forwards like it owns flows: it asks the shell to listen on the uplink port
//! ([`SocketCommand::TcpListen`](crate::SocketCommand::TcpListen) /
//! [`SocketCommand::UdpListen`](crate::SocketCommand::UdpListen)), and every connection the
//! shell accepts becomes a flow that the engine opens toward the hidden host *from the real
//! remote address*, so the LAN server sees who is connecting (a common complaint about
//! user-space translators that re-originate from the gateway instead).
//!
//! Forwards come from the user (config file, CLI, GUI) or from port-mapping clients on the LAN
//! (NAT-PMP, PCP); the latter carry an owner and expire unless renewed.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use masq_vocab::{
    BadForwardProtocol, BadForwardTarget, BadPortRange, ForwardKey, ForwardOrigin, ForwardProtocol,
    ForwardSpec, PortMapProtocol, PortRange,
};

use crate::flow::{Protocol, SocketId};

/// Why a forward could not be added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ForwardError {
    /// Not `tcp` or `udp`.
    #[error(transparent)]
    BadProtocol(#[from] BadForwardProtocol),
    /// Not a port or an ascending range of non-zero ports.
    #[error(transparent)]
    BadPorts(#[from] BadPortRange),
    /// The target cannot take the forward.
    #[error(transparent)]
    BadTarget(#[from] BadForwardTarget),
    /// The target is not a host on the shared LAN.
    #[error("target {0} is not on the shared LAN ({1}); forwards lead to hidden hosts only")]
    TargetNotOnLan(Ipv4Addr, String),
    /// Another forward already owns one of the public ports.
    #[error(
        "{protocol} port {port} is already forwarded by {existing}; remove or change that one first"
    )]
    Overlaps {
        /// Protocol of the clash.
        protocol: ForwardProtocol,
        /// The first clashing port.
        port: u16,
        /// The forward that owns it.
        existing: ForwardKey,
    },
    /// The configured limit on forwarded ports would be exceeded.
    #[error(
        "forwarding {wanted} more ports would exceed the limit of {limit} forwarded ports (engine.max_forward_ports)"
    )]
    TooManyPorts {
        /// Ports the new forward needs.
        wanted: usize,
        /// The limit.
        limit: usize,
    },
    /// No forward with this key.
    #[error("no forward {0}; `masq forward list` shows the existing ones")]
    NotFound(ForwardKey),
}

/// One public port's listener, as the user sees it. In JSON the unit states are plain
/// strings (`"listening"`) and a failure is `{"failed": {"reason": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerState {
    /// Switched off: kept in the list, not listening.
    Disabled,
    /// Sharing is off, so nothing listens; the forward applies when it starts.
    Stopped,
    /// The shell is opening the listening socket.
    Opening,
    /// Listening on the uplink.
    Listening,
    /// The OS refused the port (e.g. another program uses it).
    Failed {
        /// What the OS said, in plain words.
        reason: String,
    },
}

/// A forward as listed to users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardView {
    /// Its name (`tcp/8080`).
    pub key: ForwardKey,
    /// What it forwards where, and who asked.
    pub spec: ForwardSpec,
    /// Overall state: `disabled`, `opening`, `listening`, or `failed` with the first reason.
    pub state: ListenerState,
    /// Whether the forward is switched on (a disabled forward has no listeners).
    pub enabled: bool,
    /// Seconds until a port mapping expires; `None` for the user's own forwards.
    pub expires_in_s: Option<f64>,
    /// Connections (TCP) or remote peers' first datagrams (UDP) forwarded so far.
    pub connections: u64,
}

/// One listening socket of a forward.
#[derive(Debug)]
pub(crate) struct Listener {
    pub port: u16,
    pub socket: SocketId,
    pub state: ListenerState,
}

/// A forward with its run-time state.
#[derive(Debug)]
pub(crate) struct ForwardEntry {
    pub spec: ForwardSpec,
    pub expires: Option<Instant>,
    pub listeners: Vec<Listener>,
    pub connections: u64,
}

impl ForwardEntry {
    /// The state shown for the whole forward.
    pub(crate) fn state(&self) -> ListenerState {
        if let Some(failed) = self
            .listeners
            .iter()
            .find(|l| matches!(l.state, ListenerState::Failed { .. }))
        {
            return failed.state.clone();
        }
        if !self.spec.enabled {
            return ListenerState::Disabled;
        }
        if !self.listeners.is_empty()
            && self
                .listeners
                .iter()
                .all(|l| l.state == ListenerState::Listening)
        {
            ListenerState::Listening
        } else {
            ListenerState::Opening
        }
    }

    pub(crate) fn view(&self, now: Instant) -> ForwardView {
        ForwardView {
            key: self.spec.key(),
            spec: self.spec.clone(),
            state: self.state(),
            enabled: self.spec.enabled,
            expires_in_s: self
                .expires
                .map(|t| t.saturating_duration_since(now).as_secs_f64()),
            connections: self.connections,
        }
    }
}

/// The forward table: entries by key, and which listener socket belongs to which forward.
#[derive(Debug, Default)]
pub(crate) struct Forwards {
    pub entries: BTreeMap<ForwardKey, ForwardEntry>,
    pub by_socket: BTreeMap<SocketId, ForwardKey>,
}

impl Forwards {
    /// The forward owning a public port of this protocol, if any.
    pub(crate) fn owner_of(&self, protocol: ForwardProtocol, port: u16) -> Option<ForwardKey> {
        self.entries
            .values()
            .find(|e| e.spec.protocol == protocol && e.spec.public.contains(port))
            .map(|e| e.spec.key())
    }

    /// The first forward whose public ports overlap `spec`'s, other than `spec`'s own key and
    /// `replacing` (the forward `spec` is about to replace).
    pub(crate) fn clash(
        &self,
        spec: &ForwardSpec,
        replacing: Option<ForwardKey>,
    ) -> Option<(u16, ForwardKey)> {
        self.entries.values().find_map(|e| {
            (e.spec.protocol == spec.protocol
                && e.spec.key() != spec.key()
                && Some(e.spec.key()) != replacing
                && e.spec.public.overlaps(spec.public))
            .then(|| (e.spec.public.first().max(spec.public.first()), e.spec.key()))
        })
    }

    /// Ports forwarded in total, excluding `except`.
    pub(crate) fn ports_in_use(&self, except: Option<ForwardKey>) -> usize {
        self.entries
            .values()
            .filter(|e| Some(e.spec.key()) != except)
            .map(|e| e.spec.public.len())
            .sum()
    }

    /// Is the listener on this local endpoint one of ours and listening?
    pub(crate) fn is_listening(&self, protocol: Protocol, local: SocketAddr) -> bool {
        let proto = match protocol {
            Protocol::Tcp => ForwardProtocol::Tcp,
            Protocol::Udp => ForwardProtocol::Udp,
            Protocol::Icmp => return false,
        };
        self.owner_of(proto, local.port())
            .and_then(|k| self.entries.get(&k))
            .is_some_and(|e| {
                e.listeners
                    .iter()
                    .any(|l| l.port == local.port() && l.state == ListenerState::Listening)
            })
    }
}
