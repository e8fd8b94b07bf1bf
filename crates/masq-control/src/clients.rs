//! What the API reports about the LAN: each client host, and the state of the LAN services.
//!
//! A [`LanClient`] joins what three sources know about one LAN address: the DHCP lease table
//! (MAC, host name, lease), the gateway's neighbour table (MAC of hosts with static
//! addresses) and the engine's translations (flows and bytes). Times are seconds *ago* or
//! *from now*, like the rest of the API, so clients never need the daemon's clock.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use crate::mac::MacAddr;

/// One host on the shared LAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanClient {
    /// Its address on the LAN.
    pub ip: Ipv4Addr,
    /// Its Ethernet address, from DHCP or the neighbour table.
    pub mac: Option<MacAddr>,
    /// Its name: a reservation's, else what it sent in DHCP option 12.
    pub hostname: Option<String>,
    /// How its address was assigned.
    pub assigned: Assignment,
    /// Seconds until its DHCP lease ends (absent without a lease).
    pub lease_expires_in_s: Option<f64>,
    /// Seconds since masq first saw it.
    pub first_seen_s: f64,
    /// Seconds since it last sent anything masq saw (a DHCP message or a packet of a flow).
    pub last_seen_s: f64,
    /// Its live translations.
    pub flows: u32,
    /// Most translations it may hold at once (its own cap or the engine's per-host cap).
    pub max_flows: Option<u32>,
    /// Its upload rate limit in bytes per second (`engine.client_limits`), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_limit_bytes_per_s: Option<u64>,
    /// Its download rate limit in bytes per second, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_limit_bytes_per_s: Option<u64>,
    /// Bytes it sent out through masq while masq watched (closed flows up to their last view).
    pub bytes_out: u64,
    /// Bytes it received through masq, counted the same way.
    pub bytes_in: u64,
}

/// Where a client's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// A dynamic lease from masq's DHCP server.
    Dhcp,
    /// A reservation in the settings, handed out by masq's DHCP server.
    Reserved,
    /// Configured on the host itself: seen only in traffic or the neighbour table.
    Static,
}

/// The LAN services while sharing, for `masq status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanServicesReport {
    /// The DHCP server.
    pub dhcp: ServiceState,
    /// The DNS forwarder.
    pub dns: ServiceState,
    /// Leases currently bound.
    pub leases: u32,
    /// Other DHCP servers seen answering on the LAN: they compete with masq's, and clients
    /// may take addresses that do not route through masq.
    pub foreign_dhcp_servers: Vec<ForeignDhcpServer>,
    /// The resolvers the forwarder sends to (from resolv.conf).
    pub dns_upstreams: Vec<IpAddr>,
    /// DNS counters since sharing started.
    pub dns_counters: DnsCounters,
    /// Whether the LAN is offered IPv6, and why not (absent from older daemons).
    #[serde(default)]
    pub ipv6: Option<Ipv6Status>,
}

/// IPv6 on the LAN, as `masq status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Ipv6Status {
    /// Hosts get IPv6 through masq.
    Offered {
        /// The gateway's address with the LAN's prefix, e.g. `fd12:3456:789a::1/64`.
        gateway: String,
        /// Whether router advertisements are sent (hosts configure themselves with SLAAC).
        router_advertisements: bool,
    },
    /// The LAN stays IPv4-only.
    NotOffered {
        /// Why, in plain words.
        reason: String,
    },
}

/// Whether one service runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ServiceState {
    /// Turned off in the settings.
    Disabled,
    /// Serving.
    Running,
    /// Could not start (or stopped); the message says why and what to do.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// Another DHCP server seen on the LAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignDhcpServer {
    /// Its server identifier (option 54).
    pub server_id: Ipv4Addr,
    /// The address it offered.
    pub offered: Ipv4Addr,
    /// Seconds since it was last seen.
    pub last_seen_s: f64,
}

/// What the DNS forwarder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsCounters {
    /// Queries received (UDP and TCP).
    pub queries: u64,
    /// Answered from the cache.
    pub cache_hits: u64,
    /// Answered from the DHCP lease table (LAN names and reverse lookups).
    pub local: u64,
    /// Forwarded to an upstream resolver.
    pub forwarded: u64,
    /// UDP answers that were truncated upstream and fetched again over TCP.
    pub tcp_fallbacks: u64,
    /// Answered SERVFAIL because no upstream answered in time or all failed.
    pub upstream_failures: u64,
    /// Answered SERVFAIL because too many queries were in flight.
    pub over_limit: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let c = LanClient {
            ip: Ipv4Addr::new(192, 168, 137, 10),
            mac: Some("02:00:00:00:00:0a".parse().unwrap()),
            hostname: Some("laptop".into()),
            assigned: Assignment::Dhcp,
            lease_expires_in_s: Some(3000.0),
            first_seen_s: 10.0,
            last_seen_s: 1.0,
            flows: 2,
            max_flows: Some(4096),
            up_limit_bytes_per_s: None,
            down_limit_bytes_per_s: None,
            bytes_out: 100,
            bytes_in: 2000,
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["mac"], "02:00:00:00:00:0a");
        assert_eq!(v["assigned"], "dhcp");
        assert_eq!(serde_json::from_value::<LanClient>(v).unwrap(), c);
        let s = serde_json::to_value(ServiceState::Failed {
            message: "m".into(),
        })
        .unwrap();
        assert_eq!(s, serde_json::json!({"state": "failed", "message": "m"}));
    }
}
