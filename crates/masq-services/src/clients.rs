//! The per-client view: one entry per LAN host, joining leases, neighbours and translations.
//!
//! Pure: [`ClientTracker::view`] takes everything as arguments, including both clocks. The
//! engine reports only live translations, so the tracker remembers each flow's counters from
//! the previous view; when a flow is gone its last counters move into the host's total. Bytes
//! a flow carried between the last view and its end are therefore not counted — views come
//! every second from `--watch` and the GUI, so the gap is small, and it is documented.
//! Rate limits per client are not implemented (they need the engine's data path).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use masq_control::{Assignment, LanCidr, LanClient, MacAddr};
use masq_control::{FlowId, Translation};

use crate::dhcp::leases::Lease;

#[derive(Debug, Clone, Default)]
struct Host {
    first_seen: Option<Instant>,
    last_active: Option<Instant>,
    closed_out: u64,
    closed_in: u64,
}

/// Memory of hosts and flows between views.
#[derive(Debug, Default)]
pub struct ClientTracker {
    hosts: BTreeMap<Ipv4Addr, Host>,
    flows: BTreeMap<FlowId, (Ipv4Addr, u64, u64)>,
}

/// Everything one view is made from.
pub struct ViewInput<'a> {
    /// The LAN (hosts outside it are not clients).
    pub lan: LanCidr,
    /// Live translations.
    pub translations: &'a [Translation],
    /// DHCP leases.
    pub leases: &'a [Lease],
    /// MACs of reserved devices (to tell reserved from dynamic leases).
    pub reserved: &'a [MacAddr],
    /// The neighbour table.
    pub neighbours: &'a BTreeMap<Ipv4Addr, MacAddr>,
    /// The engine's per-host flow cap.
    pub max_flows: Option<u32>,
    /// Monotonic now.
    pub now: Instant,
    /// Unix seconds now (leases are in wall-clock time).
    pub unix_now: u64,
}

impl ClientTracker {
    /// The clients now, sorted by address.
    pub fn view(&mut self, input: &ViewInput<'_>) -> Vec<LanClient> {
        let now = input.now;
        let mut live: BTreeMap<Ipv4Addr, (u32, u64, u64, f64)> = BTreeMap::new();
        let mut still = BTreeMap::new();
        for t in input.translations {
            let IpAddr::V4(ip) = t.lan.ip() else { continue };
            if !input.lan.contains(ip) {
                continue;
            }
            let e = live.entry(ip).or_insert((0, 0, 0, f64::INFINITY));
            e.0 += 1;
            e.1 += t.bytes_out;
            e.2 += t.bytes_in;
            e.3 = e.3.min(t.idle_s);
            still.insert(t.id, (ip, t.bytes_out, t.bytes_in));
        }
        for (id, (ip, out, inn)) in std::mem::take(&mut self.flows) {
            if !still.contains_key(&id) {
                let h = self.hosts.entry(ip).or_default();
                h.closed_out += out;
                h.closed_in += inn;
            }
        }
        self.flows = still;

        let mut ips: Vec<Ipv4Addr> = live.keys().copied().collect();
        ips.extend(
            input
                .leases
                .iter()
                .filter(|l| l.is_active(input.unix_now))
                .map(|l| l.ip),
        );
        ips.extend(
            input
                .neighbours
                .keys()
                .filter(|ip| input.lan.is_host(**ip) && **ip != input.lan.addr()),
        );
        ips.extend(self.hosts.keys().copied());
        ips.sort_unstable();
        ips.dedup();

        ips.into_iter()
            .map(|ip| {
                let lease = input
                    .leases
                    .iter()
                    .find(|l| l.ip == ip && l.is_active(input.unix_now));
                let (flows, out, inn, idle) =
                    live.get(&ip).copied().unwrap_or((0, 0, 0, f64::INFINITY));
                let h = self.hosts.entry(ip).or_default();
                let first = *h.first_seen.get_or_insert(now);
                if idle.is_finite() {
                    let active = now
                        .checked_sub(std::time::Duration::from_secs_f64(idle.max(0.0)))
                        .unwrap_or(now);
                    h.last_active = Some(h.last_active.map_or(active, |a| a.max(active)));
                }
                let ago = |t: Instant| now.saturating_duration_since(t).as_secs_f64();
                let mut first_seen_s = ago(first);
                let mut last_seen_s = h.last_active.map_or(first_seen_s, ago);
                if let Some(l) = lease {
                    let since = |unix: u64| input.unix_now.saturating_sub(unix) as f64;
                    first_seen_s = first_seen_s.max(since(l.first_seen));
                    last_seen_s = last_seen_s.min(since(l.last_seen));
                }
                LanClient {
                    ip,
                    mac: lease
                        .map(|l| l.mac)
                        .or_else(|| input.neighbours.get(&ip).copied()),
                    hostname: lease.and_then(|l| l.hostname.clone()),
                    assigned: match lease {
                        Some(l) if input.reserved.contains(&l.mac) => Assignment::Reserved,
                        Some(_) => Assignment::Dhcp,
                        None => Assignment::Static,
                    },
                    lease_expires_in_s: lease
                        .map(|l| l.expires.saturating_sub(input.unix_now) as f64),
                    first_seen_s,
                    last_seen_s,
                    flows,
                    max_flows: input.max_flows,
                    up_limit_bytes_per_s: None,
                    down_limit_bytes_per_s: None,
                    bytes_out: h.closed_out + out,
                    bytes_in: h.closed_in + inn,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use masq_control::Protocol;

    use super::*;
    use crate::dhcp::leases::LeaseState;

    fn flow(id: u64, host: u8, out: u64, inn: u64) -> Translation {
        let json = serde_json::json!({
            "id": id, "protocol": "tcp",
            "lan": format!("192.168.137.{host}:40000"), "remote": "203.0.113.10:80",
            "gateway": "198.51.100.2:50000", "state": "established", "inbound": false,
            "bytes_out": out, "bytes_in": inn, "packets_out": 1, "packets_in": 1,
            "age_s": 5.0, "idle_s": 2.0, "expires_in_s": 100.0
        });
        let t: Translation = serde_json::from_value(json).unwrap();
        assert_eq!(t.protocol, Protocol::Tcp);
        t
    }

    fn lease(n: u8, name: &str) -> Lease {
        Lease {
            ip: Ipv4Addr::new(192, 168, 137, n),
            mac: MacAddr([2, 0, 0, 0, 0, n]),
            hostname: Some(name.into()),
            state: LeaseState::Bound,
            expires: 5000,
            first_seen: 900,
            last_seen: 990,
        }
    }

    #[test]
    fn joins_leases_neighbours_and_flows_and_keeps_closed_bytes() {
        let lan = "192.168.137.1/24".parse().unwrap();
        let mut neighbours = BTreeMap::new();
        neighbours.insert(Ipv4Addr::new(192, 168, 137, 5), MacAddr([2, 0, 0, 0, 0, 5]));
        neighbours.insert(Ipv4Addr::new(192, 168, 137, 1), MacAddr([2, 0, 0, 0, 0, 1]));
        let leases = [lease(10, "laptop")];
        let t0 = Instant::now();
        let mut tracker = ClientTracker::default();
        let flows = [
            flow(1, 10, 100, 1000),
            flow(2, 10, 5, 50),
            flow(3, 5, 7, 70),
        ];
        let input = |translations, now| ViewInput {
            lan,
            translations,
            leases: &leases,
            reserved: &[],
            neighbours: &neighbours,
            max_flows: Some(64),
            now,
            unix_now: 1000,
        };
        let v = tracker.view(&input(&flows, t0));
        assert_eq!(v.len(), 2, "gateway itself is not a client: {v:?}");
        let laptop = &v[1];
        assert_eq!(laptop.hostname.as_deref(), Some("laptop"));
        assert_eq!(laptop.assigned, Assignment::Dhcp);
        assert_eq!(
            (laptop.flows, laptop.bytes_out, laptop.bytes_in),
            (2, 105, 1050)
        );
        assert_eq!(laptop.lease_expires_in_s, Some(4000.0));
        assert_eq!(laptop.first_seen_s, 100.0, "from the lease");
        assert_eq!(laptop.last_seen_s, 2.0, "its flows' idle time");
        assert_eq!(laptop.max_flows, Some(64));
        let fixed = &v[0];
        assert_eq!(fixed.assigned, Assignment::Static);
        assert_eq!(fixed.mac, Some(MacAddr([2, 0, 0, 0, 0, 5])));

        let v = tracker.view(&input(&[flow(2, 10, 9, 90)], t0 + Duration::from_secs(3)));
        let laptop = &v[1];
        assert_eq!(laptop.flows, 1);
        assert_eq!(
            (laptop.bytes_out, laptop.bytes_in),
            (109, 1090),
            "flow 1 closed, kept"
        );
        assert_eq!(v[0].bytes_out, 7, "host 5's closed flow kept too");
    }
}
