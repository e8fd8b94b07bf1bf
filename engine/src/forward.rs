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
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::str::FromStr;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::flow::{Protocol, SocketId};

/// Transport protocols a forward can carry (ICMP has no ports to forward).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardProtocol {
    /// TCP: each accepted connection is relayed to the hidden host.
    Tcp,
    /// UDP: datagrams to the port are delivered to the hidden host, replies leave from it.
    Udp,
}

impl ForwardProtocol {
    /// The flow protocol of the translations a forward creates.
    pub fn protocol(self) -> Protocol {
        match self {
            ForwardProtocol::Tcp => Protocol::Tcp,
            ForwardProtocol::Udp => Protocol::Udp,
        }
    }
}

impl fmt::Display for ForwardProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.protocol(), f)
    }
}

impl FromStr for ForwardProtocol {
    type Err = ForwardError;
    fn from_str(s: &str) -> Result<Self, ForwardError> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Ok(ForwardProtocol::Tcp),
            "udp" => Ok(ForwardProtocol::Udp),
            _ => Err(ForwardError::BadProtocol(s.to_string())),
        }
    }
}

/// A non-empty, ascending range of non-zero ports, such as `27015-27030` or `8080`.
///
/// Port 0 means "any port" to the OS, which is never what a forward wants, so it cannot be
/// expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    /// The range `first..=last`; both non-zero and in order.
    pub fn new(first: u16, last: u16) -> Result<PortRange, ForwardError> {
        if first == 0 || last < first {
            return Err(ForwardError::BadPorts(format!("{first}-{last}")));
        }
        Ok(PortRange { first, last })
    }

    /// One port.
    pub fn single(port: u16) -> Result<PortRange, ForwardError> {
        PortRange::new(port, port)
    }

    /// The first port.
    pub fn first(self) -> u16 {
        self.first
    }

    /// The last port.
    pub fn last(self) -> u16 {
        self.last
    }

    /// How many ports the range holds (at least one).
    pub fn len(self) -> usize {
        usize::from(self.last - self.first) + 1
    }

    /// Never true: a range holds at least one port (here for clippy's `len` convention).
    pub fn is_empty(self) -> bool {
        false
    }

    /// Whether the port is in the range.
    pub fn contains(self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    /// Whether two ranges share a port.
    pub fn overlaps(self, other: PortRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    /// The ports, in order.
    pub fn ports(self) -> impl Iterator<Item = u16> {
        self.first..=self.last
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl FromStr for PortRange {
    type Err = ForwardError;
    fn from_str(s: &str) -> Result<Self, ForwardError> {
        let bad = || ForwardError::BadPorts(s.to_string());
        let port = |p: &str| p.trim().parse::<u16>().map_err(|_| bad());
        match s.split_once('-') {
            Some((a, b)) => PortRange::new(port(a)?, port(b)?).map_err(|_| bad()),
            None => PortRange::single(port(s)?).map_err(|_| bad()),
        }
    }
}

impl TryFrom<String> for PortRange {
    type Error = ForwardError;
    fn try_from(s: String) -> Result<Self, ForwardError> {
        s.parse()
    }
}

impl From<PortRange> for String {
    fn from(r: PortRange) -> String {
        r.to_string()
    }
}

/// Which port-mapping protocol a LAN client used to ask for a forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortMapProtocol {
    /// NAT-PMP (RFC 6886).
    NatPmp,
    /// PCP (RFC 6887).
    Pcp,
}

/// Who created a forward: the user, or a program on the LAN through a port-mapping protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ForwardOrigin {
    /// The user (config file, CLI, GUI): lives until removed.
    User,
    /// A LAN client's mapping request: expires unless renewed, removable by the user.
    PortMap {
        /// The client that asked (and owns the mapping).
        client: Ipv4Addr,
        /// The protocol it asked with.
        protocol: PortMapProtocol,
        /// The PCP mapping nonce, which a renewal or deletion must repeat.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<[u8; 12]>,
    },
}

/// What to forward where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardSpec {
    /// TCP or UDP.
    pub protocol: ForwardProtocol,
    /// Ports on the gateway's uplink address.
    pub public: PortRange,
    /// The hidden host and its first port: public port `first + i` goes to `target.port() + i`.
    pub target: SocketAddrV4,
    /// Who asked for it.
    #[serde(default = "user_origin")]
    pub origin: ForwardOrigin,
    /// A disabled forward is kept (and listed) but does not listen.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// The user's name for it ("web server"), shown in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn user_origin() -> ForwardOrigin {
    ForwardOrigin::User
}

fn enabled_default() -> bool {
    true
}

impl ForwardSpec {
    /// The key that names this forward: protocol and first public port.
    pub fn key(&self) -> ForwardKey {
        ForwardKey {
            protocol: self.protocol,
            port: self.public.first(),
        }
    }

    /// The hidden endpoint a public port leads to, if the port is one of this forward's.
    pub fn target_for(&self, public_port: u16) -> Option<SocketAddrV4> {
        if !self.public.contains(public_port) {
            return None;
        }
        let port = self
            .target
            .port()
            .checked_add(public_port - self.public.first())?;
        Some(SocketAddrV4::new(*self.target.ip(), port))
    }

    /// Checks what can be checked without the engine's state: the target ports must fit.
    pub fn validate(&self) -> Result<(), ForwardError> {
        if self.target.port() == 0 {
            return Err(ForwardError::BadTarget {
                target: self.target,
                why: "the target port must not be 0",
            });
        }
        let span = u32::from(self.public.last() - self.public.first());
        if u32::from(self.target.port()) + span > u32::from(u16::MAX) {
            return Err(ForwardError::BadTarget {
                target: self.target,
                why: "the target port range would run past 65535",
            });
        }
        Ok(())
    }
}

/// Names one forward: no two forwards share a protocol and a public port, so the protocol
/// and the first public port are enough (`tcp/8080`), and users can type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ForwardKey {
    /// TCP or UDP.
    pub protocol: ForwardProtocol,
    /// First public port.
    pub port: u16,
}

impl fmt::Display for ForwardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.protocol, self.port)
    }
}

/// Why a forward could not be added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ForwardError {
    /// Not `tcp` or `udp`.
    #[error("unknown protocol {0:?}: a forward is either tcp or udp")]
    BadProtocol(String),
    /// Not a port or an ascending range of non-zero ports.
    #[error(
        "bad port range {0:?}: give a port (8080) or a range (27015-27030) of ports 1 to 65535"
    )]
    BadPorts(String),
    /// The target cannot take the forward.
    #[error("bad target {target}: {why}")]
    BadTarget {
        /// The target given.
        target: SocketAddrV4,
        /// What is wrong with it.
        why: &'static str,
    },
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

    /// The first forward whose public ports overlap `spec`'s, other than `spec`'s own key.
    pub(crate) fn clash(&self, spec: &ForwardSpec) -> Option<(u16, ForwardKey)> {
        self.entries.values().find_map(|e| {
            (e.spec.protocol == spec.protocol
                && e.spec.key() != spec.key()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse_and_reject() {
        assert_eq!(
            "8080".parse::<PortRange>().unwrap(),
            PortRange::single(8080).unwrap()
        );
        let r: PortRange = "27015-27030".parse().unwrap();
        assert_eq!((r.first(), r.last(), r.len()), (27015, 27030, 16));
        assert_eq!(r.to_string(), "27015-27030");
        for bad in ["0", "9-3", "x", "1-", "-5", "70000", ""] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
        assert!(r.overlaps(PortRange::single(27030).unwrap()));
        assert!(!r.overlaps(PortRange::single(27031).unwrap()));
    }

    #[test]
    fn targets_follow_the_range_and_must_fit() {
        let spec = ForwardSpec {
            protocol: ForwardProtocol::Udp,
            public: "5000-5002".parse().unwrap(),
            target: "10.0.0.5:7000".parse().unwrap(),
            origin: ForwardOrigin::User,
            enabled: true,
            name: None,
        };
        assert_eq!(
            spec.target_for(5002),
            Some("10.0.0.5:7002".parse().unwrap())
        );
        assert_eq!(spec.target_for(5003), None);
        assert!(spec.validate().is_ok());
        let overflow = ForwardSpec {
            target: "10.0.0.5:65534".parse().unwrap(),
            ..spec.clone()
        };
        assert!(matches!(
            overflow.validate(),
            Err(ForwardError::BadTarget { .. })
        ));
        let zero = ForwardSpec {
            target: "10.0.0.5:0".parse().unwrap(),
            ..spec
        };
        assert!(zero.validate().is_err());
    }

    #[test]
    fn spec_json_is_plain() {
        let spec: ForwardSpec = serde_json::from_str(
            r#"{"protocol":"tcp","public":"8080","target":"192.168.137.10:80"}"#,
        )
        .unwrap();
        assert_eq!(spec.origin, ForwardOrigin::User);
        assert!(spec.enabled);
        assert_eq!(spec.key().to_string(), "tcp/8080");
        assert!(
            serde_json::from_str::<ForwardSpec>(
                r#"{"protocol":"tcp","public":"0","target":"192.168.137.10:80"}"#
            )
            .is_err()
        );
    }
}
