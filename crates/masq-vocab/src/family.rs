//! IPv4 or IPv6: which kind of socket, address or ICMP a value belongs to.

use std::net::IpAddr;

/// Address family of a socket, an address or an ICMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_of_an_address() {
        assert_eq!(Family::of("192.0.2.1".parse().expect("v4")), Family::V4);
        assert_eq!(Family::of("2001:db8::1".parse().expect("v6")), Family::V6);
    }
}
