//! The status summary: is sharing on, where, and how much went through.

use masq_control::{IfaceReport, Ipv6Status, StatusReport};

use super::{bytes, duration, wire_name};

/// Renders a status report as a few labelled lines.
pub fn render_status(s: &StatusReport) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<10}{value}\n"));
    if s.running {
        line(
            "sharing",
            format!("on for {} (masq {})", duration(s.uptime_s), s.version),
        );
    } else {
        line(
            "sharing",
            format!("off (masq {}); start it with `masq start`", s.version),
        );
    }
    if let Some(uplink) = &s.uplink {
        line("uplink", iface(uplink));
    }
    if let Some(r) = &s.roaming {
        line("roaming", super::roaming::describe(r));
    }
    if let Some(lan) = &s.lan {
        line("lan", iface(lan));
    }
    if let Some(tun) = &s.tun {
        line("adapter", tun.clone());
    }
    if let Some(e) = &s.engine {
        line(
            "flows",
            format!(
                "{} tcp, {} udp, {} icmp (limit {}) from {} LAN host{}",
                e.flows_tcp,
                e.flows_udp,
                e.flows_icmp,
                e.max_flows,
                e.lan_hosts,
                if e.lan_hosts == 1 { "" } else { "s" }
            ),
        );
        let c = &e.counters;
        line(
            "traffic",
            format!(
                "from LAN {} in {} packets, to LAN {} in {} packets",
                bytes(c.tun_bytes_in),
                c.tun_packets_in,
                bytes(c.tun_bytes_out),
                c.tun_packets_out
            ),
        );
        line(
            "flows ever",
            format!(
                "{} opened, {} closed, {} TCP retransmits",
                c.flows_created, c.flows_closed, c.tcp_retransmits
            ),
        );
        if c.tcp_retransmits > 0 {
            line(
                "lan loss",
                format!(
                    "TCP toward LAN hosts repaired {} losses by fast recovery, {} by tail probes, {} by timeouts; {} resends proved unneeded",
                    c.tcp_fast_recoveries,
                    c.tcp_tlp_recoveries,
                    c.tcp_rtos,
                    c.tcp_spurious_retransmits
                ),
            );
        }
        if e.tcp_buffer_growth_bytes > 0 {
            line(
                "buffers",
                format!(
                    "fast TCP connections hold {} beyond their starting buffers",
                    bytes(e.tcp_buffer_growth_bytes)
                ),
            );
        }
        let total: u64 = c.drops.values().sum();
        if total > 0 {
            let parts: Vec<String> = c
                .drops
                .iter()
                .map(|(reason, n)| format!("{} {n}", wire_name(reason)))
                .collect();
            line("drops", format!("{total} ({})", parts.join(", ")));
        } else {
            line("drops", "none".to_owned());
        }
    }
    if let Some(l) = &s.lan_services {
        line(
            "dhcp",
            super::clients::service_line(&l.dhcp, &format!("{} leases", l.leases)),
        );
        for f in &l.foreign_dhcp_servers {
            line(
                "conflict",
                format!(
                    "another DHCP server {} offered {} ({} ago): clients may bypass masq; turn one off",
                    f.server_id,
                    f.offered,
                    duration(f.last_seen_s)
                ),
            );
        }
        let upstreams: Vec<String> = l.dns_upstreams.iter().map(ToString::to_string).collect();
        let c = &l.dns_counters;
        line(
            "dns",
            super::clients::service_line(
                &l.dns,
                &format!(
                    "via {}; {} queries, {} cached, {} local, {} failed",
                    if upstreams.is_empty() {
                        "no resolver".to_owned()
                    } else {
                        upstreams.join(", ")
                    },
                    c.queries,
                    c.cache_hits,
                    c.local,
                    c.upstream_failures + c.over_limit
                ),
            ),
        );
    }
    if let Some(v6) = s.lan_services.as_ref().and_then(|l| l.ipv6.as_ref()) {
        line("ipv6", ipv6_line(v6));
    }
    if let Some(e) = &s.last_error {
        line("last error", e.clone());
    }
    out
}

fn ipv6_line(v6: &Ipv6Status) -> String {
    match v6 {
        Ipv6Status::Offered {
            gateway,
            router_advertisements: true,
        } => format!("offered as {gateway} (router advertisements, SLAAC)"),
        Ipv6Status::Offered {
            gateway,
            router_advertisements: false,
        } => {
            format!("offered as {gateway}; no router advertisements, so hosts need it set by hand")
        }
        Ipv6Status::NotOffered { reason } => format!("not offered: {reason}"),
    }
}

fn iface(i: &IfaceReport) -> String {
    if i.addresses.is_empty() {
        i.name.clone()
    } else {
        format!("{} ({})", i.name, i.addresses.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use masq_control::{Counters, EngineStatus};
    use masq_control::{
        DnsCounters, ForeignDhcpServer, LanServicesReport, RoamingReport, ServiceState, UplinkMode,
    };

    use super::*;

    #[test]
    fn running_and_stopped() {
        let mut counters = Counters::default();
        counters.drops.insert("bad_checksum".into(), 2);
        counters.tun_bytes_in = 2048;
        counters.tcp_retransmits = 9;
        counters.tcp_fast_recoveries = 4;
        counters.tcp_tlp_recoveries = 1;
        counters.tcp_spurious_retransmits = 2;
        let s = StatusReport {
            running: true,
            version: "0.1.0".into(),
            uplink: Some(IfaceReport {
                name: "wlan0".into(),
                addresses: vec!["192.168.1.20/24".into()],
            }),
            lan: None,
            tun: Some("masq0".into()),
            uptime_s: 3720.0,
            engine: Some(EngineStatus {
                flows_tcp: 2,
                flows_udp: 1,
                flows_icmp: 0,
                max_flows: 65536,
                lan_hosts: 1,
                counters,
                tcp_buffer_growth_bytes: 3 * 1024 * 1024,
            }),
            last_error: None,
            lan_services: Some(LanServicesReport {
                dhcp: ServiceState::Running,
                dns: ServiceState::Failed {
                    message: "port 53 busy".into(),
                },
                leases: 3,
                foreign_dhcp_servers: vec![ForeignDhcpServer {
                    server_id: "192.168.137.2".parse().unwrap(),
                    offered: "192.168.137.99".parse().unwrap(),
                    last_seen_s: 5.0,
                }],
                dns_upstreams: vec![],
                dns_counters: DnsCounters::default(),
                ipv6: Some(Ipv6Status::NotOffered {
                    reason: "uplink `wlan0` has no routable IPv6 address".into(),
                }),
            }),
            roaming: Some(RoamingReport {
                mode: UplinkMode::Automatic,
                available: true,
                changes: 2,
                last_change: None,
            }),
        };
        let text = render_status(&s);
        assert!(text.contains("dhcp      running, 3 leases"), "{text}");
        assert!(text.contains("another DHCP server 192.168.137.2"), "{text}");
        assert!(text.contains("dns       failed: port 53 busy"), "{text}");
        assert!(text.contains("on for 1h02m"), "{text}");
        assert!(
            text.contains("ipv6      not offered: uplink `wlan0` has no routable IPv6 address"),
            "{text}"
        );
        assert_eq!(
            ipv6_line(&Ipv6Status::Offered {
                gateway: "fd00:6d71:1::1/64".into(),
                router_advertisements: true
            }),
            "offered as fd00:6d71:1::1/64 (router advertisements, SLAAC)"
        );
        assert!(text.contains("wlan0 (192.168.1.20/24)"), "{text}");
        assert!(
            text.contains("follows the default route, 2 changes"),
            "{text}"
        );
        assert!(
            text.contains("2 tcp, 1 udp, 0 icmp") && text.contains("1 LAN host\n"),
            "{text}"
        );
        assert!(text.contains("2 (bad_checksum 2)"), "{text}");
        assert!(
            text.contains("buffers   fast TCP connections hold 3.0 MiB beyond"),
            "{text}"
        );
        assert!(
            text.contains("lan loss  TCP toward LAN hosts repaired 4 losses by fast recovery, 1 by tail probes, 0 by timeouts; 2 resends proved unneeded"),
            "{text}"
        );

        let off = StatusReport {
            running: false,
            engine: None,
            last_error: Some("uplink wlan0 went away".into()),
            ..s
        };
        let text = render_status(&off);
        assert!(
            text.contains("off") && text.contains("masq start") && text.contains("went away"),
            "{text}"
        );
    }
}
