//! Whether IPv6 can be offered to the LAN, and if not, why: the answer the status screen shows.
//!
//! IPv6 is shared only when the uplink can carry it (a routable IPv6 address and an IPv6
//! default route through it) and the OS backend can steer it without side effects; otherwise
//! the LAN simply gets no router advertisements and stays IPv4-only.

use std::net::Ipv6Addr;

use thiserror::Error;

use crate::InterfaceInfo;

/// Why IPv6 is not offered on the LAN.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Ipv6Unavailable {
    /// The uplink has only link-local (or no) IPv6 addresses.
    #[error("uplink `{uplink}` has no routable IPv6 address")]
    NoUplinkAddress {
        /// The uplink interface.
        uplink: String,
    },
    /// There is no IPv6 default route through the uplink.
    #[error("there is no IPv6 default route through uplink `{uplink}`")]
    NoDefaultRoute {
        /// The uplink interface.
        uplink: String,
    },
    /// The kernel cannot forward IPv6 on chosen interfaces only.
    #[error(
        "this kernel cannot forward IPv6 per interface (net.ipv6.conf.IFACE.force_forwarding needs Linux 6.17 or later); masq will not turn on IPv6 forwarding for every interface"
    )]
    NoPerInterfaceForwarding,
    /// The OS backend does not steer IPv6 yet.
    #[error("IPv6 sharing is not implemented on this OS yet")]
    NotImplemented,
    /// Looking at routes failed.
    #[error("cannot read the IPv6 routes: {detail}")]
    Query {
        /// What failed.
        detail: String,
    },
}

/// Checks whether IPv6 can be shared through `uplink`; returns the uplink's IPv6 source
/// address when it can.
#[cfg(not(target_os = "linux"))]
pub async fn check_ipv6_uplink(uplink: &InterfaceInfo) -> Result<Ipv6Addr, Ipv6Unavailable> {
    uplink_v6(uplink)?;
    Err(Ipv6Unavailable::NotImplemented)
}

#[cfg(target_os = "linux")]
pub use crate::imp::check_ipv6_uplink;

/// The uplink's routable IPv6 address, or why it has none (shared by the backends).
pub(crate) fn uplink_v6(uplink: &InterfaceInfo) -> Result<Ipv6Addr, Ipv6Unavailable> {
    uplink
        .first_routable_ipv6()
        .ok_or_else(|| Ipv6Unavailable::NoUplinkAddress {
            uplink: uplink.name.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_local_only_uplink_offers_no_ipv6() {
        let mut info = InterfaceInfo {
            name: "wlan0".into(),
            index: 2,
            ipv4: vec![],
            ipv6: vec![("fe80::1".parse().unwrap(), 64)],
            mtu: 1500,
        };
        let e = uplink_v6(&info).unwrap_err();
        assert_eq!(e.to_string(), "uplink `wlan0` has no routable IPv6 address");
        info.ipv6.push(("2001:db8::2".parse().unwrap(), 64));
        assert_eq!(
            uplink_v6(&info).unwrap(),
            "2001:db8::2".parse::<Ipv6Addr>().unwrap()
        );
    }
}
