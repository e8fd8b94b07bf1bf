//! A snapshot of one network interface: what the runtime needs to pin sockets to it and to
//! tell the user which addresses are in play.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Name, index, addresses and MTU of an interface, as read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Interface name, e.g. `wlan0`.
    pub name: String,
    /// Kernel interface index (what sockets and routes refer to).
    pub index: u32,
    /// IPv4 addresses with their prefix lengths, in the order the OS lists them.
    pub ipv4: Vec<(Ipv4Addr, u8)>,
    /// IPv6 addresses with their prefix lengths, in the order the OS lists them.
    pub ipv6: Vec<(Ipv6Addr, u8)>,
    /// Link MTU in bytes.
    pub mtu: u32,
}

impl InterfaceInfo {
    /// The first IPv4 address, which the OS uses as the default source.
    pub fn first_ipv4(&self) -> Option<Ipv4Addr> {
        self.ipv4.first().map(|(addr, _)| *addr)
    }

    /// The first IPv6 address usable beyond the link (not link-local, loopback or unspecified);
    /// link-local addresses need a scope id that an uplink bind cannot carry.
    pub fn first_routable_ipv6(&self) -> Option<Ipv6Addr> {
        self.ipv6.iter().map(|(addr, _)| *addr).find(|addr| {
            !addr.is_unicast_link_local() && !addr.is_loopback() && !addr.is_unspecified()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routable_ipv6_skips_link_local() {
        let info = InterfaceInfo {
            name: "wlan0".into(),
            index: 3,
            ipv4: vec![(Ipv4Addr::new(192, 168, 1, 20), 24)],
            ipv6: vec![
                ("fe80::1".parse().unwrap(), 64),
                ("2001:db8::20".parse().unwrap(), 64),
            ],
            mtu: 1500,
        };
        assert_eq!(info.first_ipv4(), Some(Ipv4Addr::new(192, 168, 1, 20)));
        assert_eq!(
            info.first_routable_ipv6(),
            Some("2001:db8::20".parse().unwrap())
        );
    }
}
