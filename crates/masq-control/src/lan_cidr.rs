//! The gateway's address on the LAN with the LAN's prefix, as settings and the first-run
//! check name it: a type that holds only usable host addresses.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use thiserror::Error;

/// A gateway address with its LAN prefix, e.g. `192.168.137.1/24`.
///
/// Only host addresses are representable: never the network or broadcast address of its
/// prefix, never loopback, multicast or unspecified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LanCidr {
    addr: Ipv4Addr,
    prefix_len: u8,
}

/// Why a string is not a usable [`LanCidr`]; the text is the accepted form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LanCidrError {
    /// Not of the form `a.b.c.d/len`.
    #[error("an IPv4 address with prefix length, such as 192.168.137.1/24")]
    Syntax,
    /// Prefix length outside 1..=30.
    #[error("a prefix length of 1 to 30 (the LAN needs room for at least two hosts)")]
    PrefixLength,
    /// Loopback, multicast, broadcast or unspecified.
    #[error("a unicast IPv4 address (not loopback, multicast, broadcast or 0.0.0.0)")]
    NotUnicast,
    /// The all-zeros or all-ones host part of its prefix.
    #[error("a host address, not the network or broadcast address of its prefix")]
    NotHost,
}

impl LanCidr {
    /// The gateway's own address on the LAN.
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// Length of the network prefix in bits.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }

    /// Whether `ip` is on this LAN.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network())
    }

    /// Whether `ip` is a host address of this LAN (inside it, not its network or broadcast).
    pub fn is_host(&self, ip: Ipv4Addr) -> bool {
        let host_bits = u32::from(ip) & !self.mask();
        self.contains(ip) && host_bits != 0 && host_bits != !self.mask()
    }

    /// The broadcast address of the prefix.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network()) | !self.mask())
    }

    /// The prefix as a netmask, e.g. 255.255.255.0.
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask())
    }

    /// Builds one from an address and prefix length the OS reported, with the same checks as
    /// parsing.
    pub fn new(addr: Ipv4Addr, prefix_len: u8) -> Result<LanCidr, LanCidrError> {
        format!("{addr}/{prefix_len}").parse()
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix_len))
    }
}

impl FromStr for LanCidr {
    type Err = LanCidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, len) = s.split_once('/').ok_or(LanCidrError::Syntax)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| LanCidrError::Syntax)?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LanCidrError::Syntax);
        }
        let prefix_len: u8 = len.parse().map_err(|_| LanCidrError::PrefixLength)?;
        if !(1..=30).contains(&prefix_len) {
            return Err(LanCidrError::PrefixLength);
        }
        if addr.is_loopback() || addr.is_multicast() || addr.is_broadcast() || addr.is_unspecified()
        {
            return Err(LanCidrError::NotUnicast);
        }
        let cidr = LanCidr { addr, prefix_len };
        let host_bits = u32::from(addr) & !cidr.mask();
        if host_bits == 0 || host_bits == !cidr.mask() {
            return Err(LanCidrError::NotHost);
        }
        Ok(cidr)
    }
}

impl fmt::Display for LanCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_cidr_arithmetic() {
        let c: LanCidr = "192.168.137.1/24".parse().unwrap();
        assert_eq!(c.network(), Ipv4Addr::new(192, 168, 137, 0));
        assert!(c.contains(Ipv4Addr::new(192, 168, 137, 200)));
        assert!(!c.contains(Ipv4Addr::new(192, 168, 138, 1)));
        assert_eq!(c.to_string(), "192.168.137.1/24");
        assert!(c.is_host(Ipv4Addr::new(192, 168, 137, 254)));
        assert!(!c.is_host(Ipv4Addr::new(192, 168, 137, 255)));
        assert!(!c.is_host(Ipv4Addr::new(192, 168, 137, 0)));
        assert_eq!(c.broadcast(), Ipv4Addr::new(192, 168, 137, 255));
        assert_eq!(c.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(LanCidr::new(Ipv4Addr::new(192, 168, 137, 1), 24), Ok(c));
    }
}
