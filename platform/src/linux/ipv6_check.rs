//! The Linux answer to "can IPv6 be shared through this uplink?": a routable address, an IPv6
//! default route through the uplink, and a kernel with per-interface IPv6 forwarding.

use std::net::Ipv6Addr;
use std::path::Path;

use super::netlink::Netlink;
use crate::InterfaceInfo;
use crate::ipv6_offer::{Ipv6Unavailable, uplink_v6};

/// Present on kernels that can forward IPv6 on chosen interfaces only (Linux 6.17+).
const FORCE_FORWARDING: &str = "/proc/sys/net/ipv6/conf/all/force_forwarding";

/// Checks whether IPv6 can be shared through `uplink`; returns the uplink's IPv6 source
/// address when it can.
pub async fn check_ipv6_uplink(uplink: &InterfaceInfo) -> Result<Ipv6Addr, Ipv6Unavailable> {
    let addr = uplink_v6(uplink)?;
    let netlink = Netlink::open("check_ipv6_uplink").map_err(|e| Ipv6Unavailable::Query {
        detail: e.to_string(),
    })?;
    let oif = netlink
        .default_route_oif(true)
        .await
        .map_err(|e| Ipv6Unavailable::Query {
            detail: e.to_string(),
        })?;
    if oif != Some(uplink.index) {
        return Err(Ipv6Unavailable::NoDefaultRoute {
            uplink: uplink.name.clone(),
        });
    }
    if !Path::new(FORCE_FORWARDING).exists() {
        return Err(Ipv6Unavailable::NoPerInterfaceForwarding);
    }
    Ok(addr)
}
