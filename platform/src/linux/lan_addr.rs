//! Choosing the gateway's address on the LAN: the one the user gave, or the LAN interface's own.
//!
//! An address the interface already has is never added (and so never removed on stop), even
//! if the user wrote a different prefix for it: the interface's own prefix is what routes by.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::{InterfaceInfo, PlatformError};

/// The gateway's LAN address and whether masq has to add it to the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LanAddr {
    /// Address and prefix the LAN is served on.
    pub(crate) net: Ipv4Net,
    /// True when the interface lacks the address and masq must add (and later remove) it.
    pub(crate) add: bool,
}

/// Picks the LAN address from the user's choice and what `lan` already has.
pub(crate) fn choose_lan_addr(
    requested: Option<Ipv4Net>,
    lan: &InterfaceInfo,
) -> Result<LanAddr, PlatformError> {
    let Some(requested) = requested else {
        let (addr, prefix) = *lan
            .ipv4
            .first()
            .ok_or_else(|| PlatformError::NoLanAddress {
                lan: lan.name.clone(),
            })?;
        return Ok(LanAddr {
            net: net(addr, prefix)?,
            add: false,
        });
    };
    check_host_address(requested)?;
    if let Some((addr, prefix)) = lan.ipv4.iter().find(|(addr, _)| *addr == requested.addr()) {
        return Ok(LanAddr {
            net: net(*addr, *prefix)?,
            add: false,
        });
    }
    Ok(LanAddr {
        net: requested,
        add: true,
    })
}

fn net(addr: Ipv4Addr, prefix: u8) -> Result<Ipv4Net, PlatformError> {
    Ipv4Net::new(addr, prefix).map_err(|_| PlatformError::InvalidLanAddress {
        addr: Ipv4Net::from(addr),
        reason: "the interface reports a prefix longer than 32 bits",
    })
}

fn check_host_address(net: Ipv4Net) -> Result<(), PlatformError> {
    let addr = net.addr();
    let reason = if addr.is_unspecified() {
        Some("it is the unspecified address")
    } else if addr.is_loopback() {
        Some("it is a loopback address")
    } else if addr.is_multicast() || addr.is_broadcast() {
        Some("it is not a unicast address")
    } else if net.prefix_len() < 31 && addr == net.network() {
        Some("it is the network address of its prefix")
    } else if net.prefix_len() < 31 && addr == net.broadcast() {
        Some("it is the broadcast address of its prefix")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(PlatformError::InvalidLanAddress { addr: net, reason }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lan(addrs: &[(Ipv4Addr, u8)]) -> InterfaceInfo {
        InterfaceInfo {
            name: "eth1".into(),
            index: 3,
            ipv4: addrs.to_vec(),
            ipv6: Vec::new(),
            mtu: 1500,
        }
    }

    fn v4(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn requested_address_missing_is_added() {
        let chosen = choose_lan_addr(Some(v4("192.168.137.1/24")), &lan(&[])).unwrap();
        assert_eq!(
            chosen,
            LanAddr {
                net: v4("192.168.137.1/24"),
                add: true
            }
        );
    }

    #[test]
    fn requested_address_present_keeps_the_interface_prefix() {
        let existing = [(Ipv4Addr::new(10, 0, 0, 1), 16)];
        let chosen = choose_lan_addr(Some(v4("10.0.0.1/24")), &lan(&existing)).unwrap();
        assert_eq!(
            chosen,
            LanAddr {
                net: v4("10.0.0.1/16"),
                add: false
            }
        );
    }

    #[test]
    fn no_request_uses_the_first_address() {
        let existing = [
            (Ipv4Addr::new(10, 0, 0, 1), 24),
            (Ipv4Addr::new(10, 9, 0, 1), 24),
        ];
        let chosen = choose_lan_addr(None, &lan(&existing)).unwrap();
        assert_eq!(
            chosen,
            LanAddr {
                net: v4("10.0.0.1/24"),
                add: false
            }
        );
    }

    #[test]
    fn no_request_and_no_address_asks_for_the_flag() {
        let err = choose_lan_addr(None, &lan(&[])).unwrap_err();
        assert!(
            matches!(err, PlatformError::NoLanAddress { ref lan } if lan == "eth1"),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_addresses_that_cannot_be_a_gateway() {
        for bad in [
            "192.168.137.0/24",
            "192.168.137.255/24",
            "127.0.0.1/8",
            "0.0.0.0/0",
            "224.0.0.1/4",
        ] {
            assert!(
                matches!(
                    choose_lan_addr(Some(v4(bad)), &lan(&[])),
                    Err(PlatformError::InvalidLanAddress { .. })
                ),
                "{bad} accepted"
            );
        }
        assert!(
            choose_lan_addr(Some(v4("10.0.0.0/31")), &lan(&[])).is_ok(),
            "RFC 3021 /31 has no network address"
        );
    }
}
