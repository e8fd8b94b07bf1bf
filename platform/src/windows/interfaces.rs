//! Interface discovery on Windows: names are interface aliases ("Wi-Fi", "Ethernet 2"), as
//! shown by `Get-NetAdapter` and the Network Connections window.

use super::iphelper::{self, Luid};
use crate::win_logic::default_route::best_default_route;
use crate::{InterfaceInfo, PlatformError};

/// Addresses, index and MTU of the interface with alias `name`.
pub fn interface_info(name: &str) -> Result<InterfaceInfo, PlatformError> {
    interface_info_as(name, "interface")
}

/// Like [`interface_info`], naming the interface's role in errors ("uplink interface", ...).
pub(crate) fn interface_info_as(
    name: &str,
    role: &'static str,
) -> Result<InterfaceInfo, PlatformError> {
    let luid =
        iphelper::luid_by_alias(name).map_err(|source| PlatformError::InterfaceNotFound {
            role,
            name: name.to_owned(),
            source,
        })?;
    info_of(luid, name)
}

pub(crate) fn info_of(luid: Luid, name: &str) -> Result<InterfaceInfo, PlatformError> {
    let query = |source| PlatformError::InterfaceQuery {
        name: name.to_owned(),
        source,
    };
    let index = iphelper::index_of(luid).map_err(query)?;
    let (ipv4, ipv6) = iphelper::addresses(luid).map_err(query)?;
    let mtu = iphelper::ipv4_settings(luid).map_err(query)?.NlMtu;
    Ok(InterfaceInfo {
        name: name.to_owned(),
        index,
        ipv4,
        ipv6,
        mtu,
    })
}

/// Every interface with an IP presence and its kind, in index order. Interfaces without an
/// IP interface (pseudo-adapters such as the kernel debugger's) are left out.
pub fn list_interfaces() -> Result<Vec<crate::InterfaceSummary>, PlatformError> {
    let rows = iphelper::interface_table().map_err(|source| PlatformError::InterfaceQuery {
        name: "the interface list".to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    for row in rows {
        if iphelper::ipv4_settings(row.luid).is_err() {
            continue;
        }
        let Ok(info) = info_of(row.luid, &row.alias) else {
            continue;
        };
        out.push(crate::InterfaceSummary {
            kind: crate::classify_windows(&row.clues),
            running: row.up,
            description: Some(row.clues.description.clone()),
            info,
        });
    }
    out.sort_by_key(|s| s.info.index);
    Ok(out)
}

/// The alias of the interface holding the best IPv4 default route, skipping masq's adapter.
pub async fn default_uplink() -> Result<Option<String>, PlatformError> {
    let query = |source| PlatformError::InterfaceQuery {
        name: "the IPv4 routing table".to_owned(),
        source,
    };
    let rows = iphelper::ipv4_routes().map_err(query)?;
    let own: Vec<u64> = iphelper::luid_by_alias(super::adapter::ADAPTER_NAME)
        .map(|l| vec![l.0])
        .unwrap_or_default();
    match best_default_route(&rows, &own) {
        Some(luid) => iphelper::alias_of(Luid(luid)).map(Some).map_err(query),
        None => Ok(None),
    }
}
