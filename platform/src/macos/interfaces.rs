//! Interface discovery on macOS: one interface's index, addresses and MTU (getifaddrs and
//! `SIOCGIFMTU`), synchronous so the runtime can call it anywhere.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use nix::ifaddrs::getifaddrs;
use nix::sys::socket::SockaddrStorage;

use super::ifconfig;
use crate::{InterfaceInfo, PlatformError};

pub use super::route_socket::default_uplink;

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
            source: io::Error::new(
                io::Error::from(errno).kind(),
                format!("{errno}; list the interfaces with `ifconfig -l`"),
            ),
        })?;
    let query_error = |source: io::Error| PlatformError::InterfaceQuery {
        name: name.to_owned(),
        source,
    };
    let mtu = ifconfig::mtu(name).map_err(query_error)?;
    let mut ipv4 = Vec::new();
    let mut ipv6 = Vec::new();
    for entry in getifaddrs().map_err(|errno| query_error(errno.into()))? {
        if entry.interface_name != name {
            continue;
        }
        let (Some(address), Some(netmask)) = (entry.address, entry.netmask) else {
            continue;
        };
        if let Some(v4) = v4_entry(&address, &netmask) {
            ipv4.push(v4);
        } else if let Some(v6) = v6_entry(&address, &netmask) {
            ipv6.push(v6);
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

fn v4_entry(address: &SockaddrStorage, netmask: &SockaddrStorage) -> Option<(Ipv4Addr, u8)> {
    let addr = address.as_sockaddr_in()?.ip();
    // Darwin reports some netmasks with a short sa_len and no family; read the bytes anyway.
    let mask = netmask
        .as_sockaddr_in()
        .map(|m| m.ip())
        .unwrap_or(Ipv4Addr::BROADCAST);
    Some((addr, u32::from(mask).leading_ones() as u8))
}

fn v6_entry(address: &SockaddrStorage, netmask: &SockaddrStorage) -> Option<(Ipv6Addr, u8)> {
    let addr = address.as_sockaddr_in6()?.ip();
    let mask = netmask
        .as_sockaddr_in6()
        .map(|m| m.ip())
        .unwrap_or(Ipv6Addr::from(u128::MAX));
    Some((addr, u128::from(mask).leading_ones() as u8))
}

/// Every interface with its kind, in index order. The hardware port names come from
/// `networksetup -listallhardwareports` (the names System Settings shows); without it the
/// kind is judged from the BSD name alone.
pub fn list_interfaces() -> Result<Vec<crate::InterfaceSummary>, PlatformError> {
    let ports = std::process::Command::new("/usr/sbin/networksetup")
        .arg("-listallhardwareports")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| crate::parse_hardware_ports(&String::from_utf8_lossy(&o.stdout)))
        .unwrap_or_default();
    let mut names: Vec<String> = getifaddrs()
        .map_err(|errno| PlatformError::InterfaceQuery {
            name: "the interface list".to_owned(),
            source: errno.into(),
        })?
        .map(|e| e.interface_name)
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let Ok(info) = interface_info(&name) else {
            continue;
        };
        let port = ports
            .iter()
            .find(|(_, d)| *d == name)
            .map(|(p, _)| p.clone());
        out.push(crate::InterfaceSummary {
            kind: crate::classify_macos(&name, port.as_deref()),
            running: crate::link_running(&name).unwrap_or(false),
            description: port,
            info,
        });
    }
    out.sort_by_key(|s| s.info.index);
    Ok(out)
}
