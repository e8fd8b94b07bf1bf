//! What the engine shows: the translation table, refused inbound attempts, totals.

use std::net::SocketAddr;
use std::time::Instant;

use crate::flow::{GatewayEndpoint, RemoteEndpoint};
use crate::snapshot::{EngineStatus, InboundAttempt, Translation};
use crate::stats::Counters;

use super::{Engine, Kind};

impl Engine {
    /// The live translation table, ordered by flow id.
    pub fn translations(&self, now: Instant) -> Vec<Translation> {
        let mut table = self
            .flows
            .iter()
            .map(|(&id, e)| {
                let (state, remote, bytes, packets, last, expires) = match &e.kind {
                    Kind::Tcp(f) => (
                        f.state_name().to_string(),
                        e.key.remote,
                        (f.bytes_out, f.bytes_in),
                        (f.packets_out, f.packets_in),
                        f.last_activity(),
                        f.idle_deadline(),
                    ),
                    Kind::Udp(m) => (
                        match (m.is_forwarded(), m.gateway().is_some()) {
                            (_, false) => "opening",
                            (true, true) => "forwarded",
                            (false, true) => "active",
                        }
                        .to_string(),
                        m.last_remote().map(RemoteEndpoint),
                        (m.bytes_out, m.bytes_in),
                        (m.packets_out, m.packets_in),
                        m.last_activity(),
                        m.expires(&self.cfg.udp)
                            .or_else(|| self.forward_expiry(e.forward))
                            .unwrap_or(now),
                    ),
                    Kind::Icmp(m) => (
                        if m.gateway().is_some() {
                            "active"
                        } else {
                            "opening"
                        }
                        .to_string(),
                        m.last_remote()
                            .map(|ip| RemoteEndpoint(SocketAddr::new(ip, 0))),
                        (m.bytes_out, m.bytes_in),
                        (m.packets_out, m.packets_in),
                        m.last_activity(),
                        m.last_activity() + self.cfg.icmp.echo_timeout,
                    ),
                };
                Translation {
                    id,
                    protocol: e.key.protocol,
                    lan: e.key.lan,
                    remote,
                    gateway: e.gateway.map(GatewayEndpoint),
                    state,
                    inbound: e.forward.is_some(),
                    bytes_out: bytes.0,
                    bytes_in: bytes.1,
                    packets_out: packets.0,
                    packets_in: packets.1,
                    age_s: now.saturating_duration_since(e.created).as_secs_f64(),
                    idle_s: now.saturating_duration_since(last).as_secs_f64(),
                    expires_in_s: expires.saturating_duration_since(now).as_secs_f64(),
                    tcp: match &e.kind {
                        Kind::Tcp(f) => Some(f.stats()),
                        _ => None,
                    },
                }
            })
            .collect::<Vec<_>>();
        table.sort_unstable_by_key(|t| t.id);
        table
    }

    /// Refused inbound attempts, newest first.
    pub fn inbound_attempts(&self, now: Instant) -> Vec<InboundAttempt> {
        self.inbound.snapshot(now)
    }

    /// Forgets the refused inbound attempts (the user cleared the list).
    pub fn clear_inbound(&mut self) {
        self.inbound.clear();
    }

    /// Totals for the status screen.
    pub fn status(&self) -> EngineStatus {
        let mut counts = [0usize; 3];
        for e in self.flows.values() {
            counts[match e.kind {
                Kind::Tcp(_) => 0,
                Kind::Udp(_) => 1,
                Kind::Icmp(_) => 2,
            }] += 1;
        }
        EngineStatus {
            flows_tcp: counts[0],
            flows_udp: counts[1],
            flows_icmp: counts[2],
            max_flows: self.cfg.max_flows,
            lan_hosts: self.per_host.len(),
            counters: self.counters.clone(),
            tcp_buffer_growth_bytes: self.buffers.granted() as u64,
        }
    }

    /// Counters since start.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}
