//! What a port forward is: its protocol, public ports, target and key, as users write them.
//!
//! Users type these (`masq forward add tcp 8080 192.168.137.10:80`), the config file and the
//! control API carry them and the engine keys its forward table by them, so all share one
//! definition, one parser and one check; the engine adds what only it knows (listeners, expiry).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Protocol;

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

/// Text that is not `tcp` or `udp`, where a forward's protocol was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadForwardProtocol(pub String);

impl fmt::Display for BadForwardProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown protocol {:?}: a forward is either tcp or udp",
            self.0
        )
    }
}

impl std::error::Error for BadForwardProtocol {}

impl FromStr for ForwardProtocol {
    type Err = BadForwardProtocol;
    fn from_str(s: &str) -> Result<Self, BadForwardProtocol> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Ok(ForwardProtocol::Tcp),
            "udp" => Ok(ForwardProtocol::Udp),
            _ => Err(BadForwardProtocol(s.to_string())),
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

/// Text or numbers that do not make a [`PortRange`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPortRange(pub String);

impl fmt::Display for BadPortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad port range {:?}: give a port (8080) or a range (27015-27030) of ports 1 to 65535",
            self.0
        )
    }
}

impl std::error::Error for BadPortRange {}

impl PortRange {
    /// The range `first..=last`; both non-zero and in order.
    pub fn new(first: u16, last: u16) -> Result<PortRange, BadPortRange> {
        if first == 0 || last < first {
            return Err(BadPortRange(format!("{first}-{last}")));
        }
        Ok(PortRange { first, last })
    }

    /// One port.
    pub fn single(port: u16) -> Result<PortRange, BadPortRange> {
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
    type Err = BadPortRange;
    fn from_str(s: &str) -> Result<Self, BadPortRange> {
        let bad = || BadPortRange(s.to_string());
        let port = |p: &str| p.trim().parse::<u16>().map_err(|_| bad());
        match s.split_once('-') {
            Some((a, b)) => PortRange::new(port(a)?, port(b)?).map_err(|_| bad()),
            None => PortRange::single(port(s)?).map_err(|_| bad()),
        }
    }
}

impl TryFrom<String> for PortRange {
    type Error = BadPortRange;
    fn try_from(s: String) -> Result<Self, BadPortRange> {
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
    pub fn validate(&self) -> Result<(), BadForwardTarget> {
        if self.target.port() == 0 {
            return Err(BadForwardTarget {
                target: self.target,
                why: "the target port must not be 0",
            });
        }
        let span = u32::from(self.public.last() - self.public.first());
        if u32::from(self.target.port()) + span > u32::from(u16::MAX) {
            return Err(BadForwardTarget {
                target: self.target,
                why: "the target port range would run past 65535",
            });
        }
        Ok(())
    }
}

/// A forward whose target cannot take it (port 0, or a range that runs past 65535).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadForwardTarget {
    /// The target given.
    pub target: SocketAddrV4,
    /// What is wrong with it.
    pub why: &'static str,
}

impl fmt::Display for BadForwardTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad target {}: {}", self.target, self.why)
    }
}

impl std::error::Error for BadForwardTarget {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_and_keys_read_as_typed() {
        assert_eq!("TCP".parse(), Ok(ForwardProtocol::Tcp));
        assert_eq!("udp".parse(), Ok(ForwardProtocol::Udp));
        assert!("icmp".parse::<ForwardProtocol>().is_err());
        let key = ForwardKey {
            protocol: ForwardProtocol::Udp,
            port: 27015,
        };
        assert_eq!(key.to_string(), "udp/27015");
    }

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
        assert!(matches!(overflow.validate(), Err(BadForwardTarget { .. })));
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
