//! Glue between a sharing session and the LAN services (DHCP server, DNS forwarder, client
//! view) of the `masq-services` crate: builds their spec from the settings and what the
//! platform set up, so `session.rs` only starts, queries and stops them.

use masq_control::{LanCidr, Settings};
use masq_platform::sockets::Uplink;
use masq_platform::{InterfaceInfo, Ipv4Net};
use masq_services::{LanLink, LanServices, LanServicesSpec};
use tokio::sync::watch;
use tracing::error;

/// Starts the services the settings turn on; `None` when the LAN prefix cannot host them.
pub(super) async fn start(
    settings: &Settings,
    lan: &InterfaceInfo,
    lan_net: Ipv4Net,
    gateway_v6: Option<std::net::Ipv6Addr>,
    uplink: watch::Receiver<Uplink>,
    lease_file: &std::path::Path,
) -> Option<LanServices> {
    let lan_cidr = match LanCidr::new(lan_net.addr(), lan_net.prefix_len()) {
        Ok(c) => c,
        Err(e) => {
            error!(lan = %lan_net, "the LAN address cannot host DHCP and DNS ({e}); they stay off");
            return None;
        }
    };
    let spec = LanServicesSpec {
        lan: LanLink {
            name: lan.name.clone(),
            index: lan.index,
            address: lan_net.addr(),
        },
        lan_net: lan_cidr,
        gateway_v6,
        uplink,
        dhcp: settings.dhcp.clone(),
        dns: settings.dns.clone(),
        default_lease_file: lease_file.to_owned(),
        max_flows_per_host: u32::try_from(settings.engine.max_flows_per_host).ok(),
        in_use: masq_platform::lan_addresses_in_use(lan_net),
    };
    Some(LanServices::start(spec).await)
}
