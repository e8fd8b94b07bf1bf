//! Glue between a sharing session and the IPv6 router advertiser of `masq-services`: started
//! only when the session offers IPv6, announcing the LAN's /64, the smaller of the LAN's and
//! the adapter's MTU (so hosts never send packets the gateway cannot forward whole), and the
//! gateway's IPv6 address as DNS server when the forwarder answers there.

use masq_platform::InterfaceInfo;
use masq_services::LanLink;
use masq_services::ra::{RaSpec, RouterAdvertiser};
use tracing::error;

use super::ipv6_plan::Ipv6Plan;

/// Starts advertising when `plan` offers IPv6; `None` otherwise or when it cannot start (the
/// reason is logged, and IPv6 still works for hosts configured by hand). `dns_v6`: the DNS
/// forwarder listens on the gateway's IPv6 address, so it is announced (RDNSS).
pub(super) fn start(
    plan: &Ipv6Plan,
    lan: &InterfaceInfo,
    tun_mtu: u16,
    dns_v6: bool,
) -> Option<RouterAdvertiser> {
    let Ipv6Plan::Offered { gateway } = plan else {
        return None;
    };
    let spec = RaSpec {
        lan: LanLink {
            name: lan.name.clone(),
            index: lan.index,
            // Advertising uses IPv6 sockets only; the IPv4 address is not bound.
            address: lan.first_ipv4().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
        },
        prefix: gateway.network(),
        prefix_len: gateway.prefix_len(),
        mtu: lan.mtu.min(u32::from(tun_mtu)),
        dns: dns_v6.then(|| gateway.addr()),
    };
    match RouterAdvertiser::start(spec) {
        Ok(ra) => Some(ra),
        Err(e) => {
            error!("{e}; LAN hosts will not configure IPv6 by themselves");
            None
        }
    }
}
