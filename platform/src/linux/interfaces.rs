//! Interface discovery: one interface's index, addresses and MTU, and which interface carries
//! the IPv4 default route (the natural uplink).
//!
//! [`interface_info`] is synchronous (getifaddrs + ioctl) so the runtime can call it anywhere;
//! both calls use sockets, so they see the calling thread's network namespace.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use nix::ifaddrs::getifaddrs;
use nix::sys::socket::SockaddrStorage;

use super::ifreq::interface_mtu;
use super::netlink::Netlink;
use crate::{InterfaceInfo, PlatformError};

/// Reads name, index, addresses and MTU of interface `name`.
pub fn interface_info(name: &str) -> Result<InterfaceInfo, PlatformError> {
    interface_info_as(name, "network interface")
}

/// Like [`interface_info`], naming the interface's role ("uplink interface") in errors.
pub(crate) fn interface_info_as(
    name: &str,
    role: &'static str,
) -> Result<InterfaceInfo, PlatformError> {
    let index =
        nix::net::if_::if_nametoindex(name).map_err(|errno| PlatformError::InterfaceNotFound {
            role,
            name: name.to_owned(),
            source: errno.into(),
        })?;
    let query_error = |source: io::Error| PlatformError::InterfaceQuery {
        name: name.to_owned(),
        source,
    };
    let mtu = interface_mtu(name).map_err(query_error)?;
    let mut ipv4 = Vec::new();
    let mut ipv6 = Vec::new();
    for entry in getifaddrs().map_err(|errno| query_error(errno.into()))? {
        if !is_same_interface(&entry.interface_name, name) {
            continue;
        }
        let (Some(address), Some(netmask)) = (entry.address, entry.netmask) else {
            continue;
        };
        if let Some((addr, prefix)) = v4_entry(&address, &netmask) {
            ipv4.push((addr, prefix));
        } else if let Some((addr, prefix)) = v6_entry(&address, &netmask) {
            ipv6.push((addr, prefix));
        }
    }
    Ok(InterfaceInfo {
        name: name.to_owned(),
        index,
        ipv4,
        ipv6,
        mtu,
    })
}

/// The interface of the preferred IPv4 default route in the main table, if there is one.
pub async fn default_uplink() -> Result<Option<String>, PlatformError> {
    let netlink = Netlink::open("default_uplink")?;
    let Some(oif) = netlink.default_route_oif(false).await? else {
        return Ok(None);
    };
    netlink.link_name(oif).await
}

/// getifaddrs reports IPv4 addresses under their label, which is `eth0:1` for aliases.
fn is_same_interface(label: &str, name: &str) -> bool {
    label == name
        || label
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(':'))
}

fn v4_entry(address: &SockaddrStorage, netmask: &SockaddrStorage) -> Option<(Ipv4Addr, u8)> {
    let addr = address.as_sockaddr_in()?.ip();
    let mask = netmask.as_sockaddr_in()?.ip();
    Some((addr, mask_prefix(&mask.octets())))
}

fn v6_entry(address: &SockaddrStorage, netmask: &SockaddrStorage) -> Option<(Ipv6Addr, u8)> {
    let addr = address.as_sockaddr_in6()?.ip();
    let mask = netmask.as_sockaddr_in6()?.ip();
    Some((addr, mask_prefix(&mask.octets())))
}

/// Prefix length of a contiguous netmask (leading one bits).
fn mask_prefix(mask: &[u8]) -> u8 {
    let mut bits = 0u8;
    for byte in mask {
        let ones = byte.leading_ones() as u8;
        bits += ones;
        if ones < 8 {
            break;
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_from_netmask() {
        assert_eq!(mask_prefix(&[255, 255, 255, 0]), 24);
        assert_eq!(mask_prefix(&[255, 255, 240, 0]), 20);
        assert_eq!(mask_prefix(&[0, 0, 0, 0]), 0);
        assert_eq!(mask_prefix(&[255; 16]), 128);
        assert_eq!(
            mask_prefix(&[
                255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0
            ]),
            64
        );
    }

    #[test]
    fn alias_labels_belong_to_their_interface() {
        assert!(is_same_interface("eth0", "eth0"));
        assert!(is_same_interface("eth0:1", "eth0"));
        assert!(!is_same_interface("eth01", "eth0"));
        assert!(!is_same_interface("eth0.100", "eth0"));
    }

    #[test]
    fn loopback_info() {
        let lo = interface_info("lo").unwrap();
        assert_eq!(lo.name, "lo");
        assert!(lo.index >= 1);
        assert!(lo.ipv4.contains(&(Ipv4Addr::LOCALHOST, 8)), "{lo:?}");
        assert!(lo.mtu > 0);
    }

    #[test]
    fn missing_interface_is_named_in_the_error() {
        let err = interface_info("no-such-if0").unwrap_err();
        assert!(
            matches!(err, PlatformError::InterfaceNotFound { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("no-such-if0"), "{err}");
    }
}
