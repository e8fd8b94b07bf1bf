//! What the port-mapping server may grant: who may ask, how many mappings, for how long,
//! and on which external ports — the `[port_mapping]` settings applied to one LAN.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use masq_control::{LanCidr, PortMappingSettings};

/// The limits the server enforces for one sharing session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Grant mappings at all; when off, requests are answered "not authorized".
    pub enabled: bool,
    /// The LAN: only its hosts (other than the gateway) may ask.
    pub lan: LanCidr,
    /// Mappings one client may hold.
    pub max_per_client: usize,
    /// Shortest and longest lifetime granted, in seconds (min ≥ 1, min ≤ max).
    lifetimes: RangeInclusive<u32>,
    /// External ports that may be handed out.
    pub ports: RangeInclusive<u16>,
}

impl Policy {
    /// The policy of validated settings on `lan`.
    pub fn new(settings: &PortMappingSettings, lan: LanCidr) -> Policy {
        let min = settings.min_lifetime_secs.max(1);
        Policy {
            enabled: settings.enabled,
            lan,
            max_per_client: usize::try_from(settings.max_per_client).unwrap_or(usize::MAX),
            lifetimes: min..=settings.max_lifetime_secs.max(min),
            ports: settings.external_port_min.max(1)..=settings.external_port_max,
        }
    }

    /// Whether `ip` may ask: a host of the LAN other than the gateway itself.
    pub fn is_lan_client(&self, ip: Ipv4Addr) -> bool {
        self.lan.is_host(ip) && ip != self.lan.addr()
    }

    /// The lifetime granted for a request of `requested` seconds (not 0, which deletes).
    pub fn lifetime(&self, requested: u32) -> u32 {
        requested.clamp(*self.lifetimes.start(), *self.lifetimes.end())
    }

    /// External ports to try, best first: `preferred` if allowed, then the allowed range
    /// upwards from it, wrapping around.
    pub fn candidate_ports(&self, preferred: u16) -> impl Iterator<Item = u16> + '_ {
        let (lo, hi) = (*self.ports.start(), *self.ports.end());
        let start = if self.ports.contains(&preferred) {
            preferred
        } else {
            lo
        };
        (start..=hi).chain(lo..start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min_port: u16, max_port: u16) -> Policy {
        let settings = PortMappingSettings {
            enabled: true,
            external_port_min: min_port,
            external_port_max: max_port,
            ..Default::default()
        };
        Policy::new(&settings, "192.168.137.1/24".parse().unwrap())
    }

    #[test]
    fn lifetimes_are_clamped_to_the_settings() {
        let p = policy(1024, 65535);
        assert_eq!(p.lifetime(1), 120);
        assert_eq!(p.lifetime(3600), 3600);
        assert_eq!(p.lifetime(u32::MAX), 86_400);
    }

    #[test]
    fn only_lan_hosts_other_than_the_gateway_may_ask() {
        let p = policy(1024, 65535);
        assert!(p.is_lan_client(Ipv4Addr::new(192, 168, 137, 10)));
        assert!(!p.is_lan_client(Ipv4Addr::new(192, 168, 137, 1)));
        assert!(!p.is_lan_client(Ipv4Addr::new(192, 168, 137, 255)));
        assert!(!p.is_lan_client(Ipv4Addr::new(10, 0, 0, 5)));
    }

    #[test]
    fn candidates_start_at_the_preferred_port_and_wrap() {
        let p = policy(2000, 2004);
        assert_eq!(
            p.candidate_ports(2003).collect::<Vec<_>>(),
            [2003, 2004, 2000, 2001, 2002]
        );
        assert_eq!(
            p.candidate_ports(80).collect::<Vec<_>>(),
            [2000, 2001, 2002, 2003, 2004]
        );
        let full = policy(1, 65535);
        assert_eq!(full.candidate_ports(65535).count(), 65535);
    }
}
