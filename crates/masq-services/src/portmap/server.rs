//! The port-mapping server's decisions: one request in, at most one answer out.
//!
//! Sans-IO and synchronous: the runtime passes each datagram with its source, the current
//! time and the forward table (through [`MappingTable`]), and sends back what
//! [`Server::handle`] returns. Version 0 datagrams are NAT-PMP, version 2 PCP, any other
//! version gets PCP's UNSUPP_VERSION naming version 2 (RFC 6887 §9). Requests from outside
//! the LAN are dropped unanswered; malformed ones are dropped or refused as the RFCs say,
//! and counted.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use tracing::{debug, info};

use super::natpmp_wire::{self as natpmp, Response as NatPmpResponse};
use super::pcp_wire::{self as pcp, ResultCode as PcpResult};
use super::policy::Policy;
use super::table::{ClientMapping, MapProtocol, MapRefusal, MappingTable, RequestedVia};

/// What the server has seen, for logs and status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Datagrams received.
    pub requests: u64,
    /// Datagrams dropped unanswered (malformed, responses, not from the LAN).
    pub dropped: u64,
    /// Requests answered with an error result code.
    pub refused: u64,
    /// Mappings opened.
    pub opened: u64,
    /// Mappings renewed.
    pub renewed: u64,
    /// Mappings deleted by their client.
    pub deleted: u64,
}

/// The NAT-PMP/PCP server of one sharing session.
#[derive(Debug)]
pub struct Server {
    policy: Policy,
    started: Instant,
    external: Option<Ipv4Addr>,
    counters: Counters,
}

/// One mapping request, whichever protocol carried it.
struct Want {
    client: Ipv4Addr,
    protocol: MapProtocol,
    internal_port: u16,
    suggested_port: u16,
    lifetime: u32,
    via: RequestedVia,
    prefer_failure: bool,
}

enum Outcome {
    Granted { external_port: u16, lifetime: u32 },
    Deleted,
    Refused(Refusal),
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    NotAuthorized,
    NoExternalAddress,
    Quota,
    NoFreePort,
    CannotProvide,
}

impl Refusal {
    fn natpmp(self) -> natpmp::ResultCode {
        match self {
            Refusal::NotAuthorized | Refusal::CannotProvide => natpmp::ResultCode::NotAuthorized,
            Refusal::NoExternalAddress => natpmp::ResultCode::NetworkFailure,
            Refusal::Quota | Refusal::NoFreePort => natpmp::ResultCode::OutOfResources,
        }
    }

    fn pcp(self) -> PcpResult {
        match self {
            Refusal::NotAuthorized => PcpResult::NotAuthorized,
            Refusal::NoExternalAddress => PcpResult::NetworkFailure,
            Refusal::Quota => PcpResult::UserExQuota,
            Refusal::NoFreePort => PcpResult::NoResources,
            Refusal::CannotProvide => PcpResult::CannotProvideExternal,
        }
    }
}

impl Server {
    /// A server whose epoch starts `now`, with no external address known yet.
    pub fn new(policy: Policy, now: Instant) -> Server {
        Server {
            policy,
            started: now,
            external: None,
            counters: Counters::default(),
        }
    }

    /// The limits in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Sets the uplink's IPv4 address; returns whether it changed, in which case clients
    /// should be told through [`Server::announcements`] (RFC 6886 §3.2.1).
    pub fn set_external_address(&mut self, address: Option<Ipv4Addr>) -> bool {
        let changed = self.external != address;
        self.external = address;
        changed
    }

    /// Seconds since the mapping table started (wraps after 136 years).
    pub fn epoch(&self, now: Instant) -> u32 {
        let secs = now.saturating_duration_since(self.started).as_secs();
        u32::try_from(secs).unwrap_or(u32::MAX)
    }

    /// What is counted so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The datagrams multicast to 224.0.0.1:5350 when the server starts or the external
    /// address changes: a NAT-PMP external-address answer and an unsolicited PCP ANNOUNCE.
    /// None while port mapping is off.
    pub fn announcements(&self, now: Instant) -> Vec<Vec<u8>> {
        if !self.policy.enabled {
            return Vec::new();
        }
        let epoch = self.epoch(now);
        vec![
            self.natpmp_address(epoch).to_bytes(),
            pcp::announce_response(epoch),
        ]
    }

    /// Answers one datagram from `client`; `None` means no answer is sent.
    pub fn handle(
        &mut self,
        now: Instant,
        client: SocketAddrV4,
        request: &[u8],
        table: &mut dyn MappingTable,
    ) -> Option<Vec<u8>> {
        self.counters.requests += 1;
        if !self.policy.is_lan_client(*client.ip()) {
            return self.drop(client, "not a host of the LAN");
        }
        let answer = match request.first() {
            None => return self.drop(client, "empty datagram"),
            Some(&natpmp::VERSION) => self.handle_natpmp(now, client, request, table),
            Some(_) => self.handle_pcp(now, client, request, table),
        };
        if answer.is_none() {
            self.counters.dropped += 1;
        }
        answer
    }

    fn drop(&mut self, client: SocketAddrV4, why: &str) -> Option<Vec<u8>> {
        self.counters.dropped += 1;
        debug!(%client, why, "port-mapping request dropped");
        None
    }

    fn natpmp_address(&self, epoch: u32) -> NatPmpResponse {
        let (result, address) = match (self.policy.enabled, self.external) {
            (false, _) => (natpmp::ResultCode::NotAuthorized, Ipv4Addr::UNSPECIFIED),
            (true, None) => (natpmp::ResultCode::NetworkFailure, Ipv4Addr::UNSPECIFIED),
            (true, Some(a)) => (natpmp::ResultCode::Success, a),
        };
        NatPmpResponse::ExternalAddress {
            result,
            epoch,
            address,
        }
    }

    fn handle_natpmp(
        &mut self,
        now: Instant,
        client: SocketAddrV4,
        request: &[u8],
        table: &mut dyn MappingTable,
    ) -> Option<Vec<u8>> {
        let epoch = self.epoch(now);
        let parsed = match natpmp::parse_request(request) {
            Ok(r) => r,
            Err(natpmp::Rejection::Drop(why)) => {
                debug!(%client, why, "NAT-PMP request dropped");
                return None;
            }
            Err(natpmp::Rejection::UnsupportedOpcode) => {
                self.counters.refused += 1;
                return Some(natpmp::unsupported_opcode(request, epoch));
            }
        };
        let map = match parsed {
            natpmp::Request::ExternalAddress => {
                let answer = self.natpmp_address(epoch);
                if !matches!(
                    answer,
                    NatPmpResponse::ExternalAddress {
                        result: natpmp::ResultCode::Success,
                        ..
                    }
                ) {
                    self.counters.refused += 1;
                }
                return Some(answer.to_bytes());
            }
            natpmp::Request::Map(m) => m,
        };
        let want = Want {
            client: *client.ip(),
            protocol: map.protocol,
            internal_port: map.internal_port,
            suggested_port: map.suggested_external_port,
            lifetime: map.lifetime,
            via: RequestedVia::NatPmp,
            prefer_failure: false,
        };
        let (result, external_port, lifetime) = match self.decide(&want, table) {
            Outcome::Granted {
                external_port,
                lifetime,
            } => (natpmp::ResultCode::Success, external_port, lifetime),
            Outcome::Deleted => (natpmp::ResultCode::Success, 0, 0),
            Outcome::Refused(r) => {
                self.counters.refused += 1;
                (r.natpmp(), 0, 0)
            }
        };
        Some(
            NatPmpResponse::Map {
                protocol: map.protocol,
                result,
                epoch,
                internal_port: map.internal_port,
                external_port,
                lifetime,
            }
            .to_bytes(),
        )
    }

    fn handle_pcp(
        &mut self,
        now: Instant,
        client: SocketAddrV4,
        request: &[u8],
        table: &mut dyn MappingTable,
    ) -> Option<Vec<u8>> {
        let epoch = self.epoch(now);
        let refuse = |this: &mut Server, code: PcpResult| {
            this.counters.refused += 1;
            debug!(%client, ?code, "PCP request refused");
            Some(pcp::error_response(request, code, epoch))
        };
        let parsed = match pcp::parse_request(request) {
            Ok(r) => r,
            Err(pcp::Rejection::Drop(why)) => {
                debug!(%client, why, "PCP request dropped");
                return None;
            }
            Err(pcp::Rejection::Error(code)) => return refuse(self, code),
        };
        if pcp::mapped_v4(parsed.client) != Some(*client.ip()) {
            return refuse(self, PcpResult::AddressMismatch);
        }
        if !self.policy.enabled {
            return refuse(self, PcpResult::NotAuthorized);
        }
        let body = match parsed.op {
            pcp::Op::Announce => return Some(pcp::announce_response(epoch)),
            pcp::Op::Map(body) => body,
        };
        if parsed.options.third_party.is_some() {
            return refuse(self, PcpResult::NotAuthorized);
        }
        if parsed.options.filter {
            return refuse(self, PcpResult::UnsuppOption);
        }
        let protocol = match body.protocol {
            pcp::IPPROTO_TCP => MapProtocol::Tcp,
            pcp::IPPROTO_UDP => MapProtocol::Udp,
            _ => return refuse(self, PcpResult::UnsuppProtocol),
        };
        let wants_other_address = !pcp::is_unspecified(body.external_address)
            && pcp::mapped_v4(body.external_address) != self.external;
        if parsed.lifetime != 0 && parsed.options.prefer_failure && wants_other_address {
            return refuse(self, PcpResult::CannotProvideExternal);
        }
        let want = Want {
            client: *client.ip(),
            protocol,
            internal_port: body.internal_port,
            suggested_port: body.external_port,
            lifetime: parsed.lifetime,
            via: RequestedVia::Pcp { nonce: body.nonce },
            prefer_failure: parsed.options.prefer_failure,
        };
        match self.decide(&want, table) {
            Outcome::Granted {
                external_port,
                lifetime,
            } => Some(pcp::map_response(
                &body,
                &pcp::MapGrant {
                    result: PcpResult::Success,
                    lifetime,
                    epoch,
                    external_port,
                    external_address: self.external.unwrap_or(Ipv4Addr::UNSPECIFIED),
                    prefer_failure: parsed.options.prefer_failure,
                },
            )),
            Outcome::Deleted => Some(pcp::error_response(request, PcpResult::Success, epoch)),
            Outcome::Refused(r) => refuse(self, r.pcp()),
        }
    }

    fn decide(&mut self, want: &Want, table: &mut dyn MappingTable) -> Outcome {
        if !self.policy.enabled {
            return Outcome::Refused(Refusal::NotAuthorized);
        }
        let held = table.mappings_of(want.client);
        if want.lifetime == 0 {
            return self.delete(want, &held, table);
        }
        if want.internal_port == 0 {
            return Outcome::Refused(Refusal::NotAuthorized);
        }
        let lifetime = self.policy.lifetime(want.lifetime);
        let life = Duration::from_secs(u64::from(lifetime));
        if let Some(m) = held
            .iter()
            .find(|m| m.protocol == want.protocol && m.internal_port == want.internal_port)
        {
            if !same_owner(m.via, want.via) {
                return Outcome::Refused(Refusal::NotAuthorized);
            }
            return match table.renew(m, life) {
                Ok(()) => {
                    self.counters.renewed += 1;
                    debug!(client = %want.client, protocol = %m.protocol, external_port = m.external_port, lifetime, "port mapping renewed");
                    Outcome::Granted {
                        external_port: m.external_port,
                        lifetime,
                    }
                }
                Err(e) => {
                    info!(client = %want.client, "port mapping not renewed: {e}");
                    Outcome::Refused(Refusal::NoFreePort)
                }
            };
        }
        if self.external.is_none() {
            return Outcome::Refused(Refusal::NoExternalAddress);
        }
        if held.len() >= self.policy.max_per_client {
            info!(client = %want.client, limit = self.policy.max_per_client, "port mapping refused: the client holds its quota");
            return Outcome::Refused(Refusal::Quota);
        }
        let preferred = if want.suggested_port != 0 {
            want.suggested_port
        } else {
            want.internal_port
        };
        let candidates: Vec<u16> = if want.prefer_failure {
            vec![preferred]
        } else {
            self.policy.candidate_ports(preferred).collect()
        };
        for port in candidates {
            if !self.policy.ports.contains(&port) || table.port_taken(want.protocol, port) {
                continue;
            }
            let mapping = ClientMapping {
                client: want.client,
                protocol: want.protocol,
                internal_port: want.internal_port,
                external_port: port,
                via: want.via,
            };
            match table.open(&mapping, life) {
                Ok(()) => {
                    self.counters.opened += 1;
                    info!(client = %want.client, protocol = %want.protocol, internal_port = want.internal_port, external_port = port, lifetime, "port mapping opened");
                    return Outcome::Granted {
                        external_port: port,
                        lifetime,
                    };
                }
                Err(MapRefusal::PortTaken { .. }) => continue,
                Err(e @ MapRefusal::Unavailable(_)) => {
                    info!(client = %want.client, "port mapping refused: {e}");
                    return Outcome::Refused(Refusal::NoFreePort);
                }
            }
        }
        if want.prefer_failure {
            Outcome::Refused(Refusal::CannotProvide)
        } else {
            Outcome::Refused(Refusal::NoFreePort)
        }
    }

    fn delete(
        &mut self,
        want: &Want,
        held: &[ClientMapping],
        table: &mut dyn MappingTable,
    ) -> Outcome {
        let all = want.internal_port == 0;
        let targets = held.iter().filter(|m| {
            m.protocol == want.protocol && (all || m.internal_port == want.internal_port)
        });
        let mut mine = Vec::new();
        for m in targets {
            if same_owner(m.via, want.via) {
                mine.push(*m);
            } else if !all {
                return Outcome::Refused(Refusal::NotAuthorized);
            }
        }
        for m in &mine {
            table.close(m);
            self.counters.deleted += 1;
            info!(client = %m.client, protocol = %m.protocol, internal_port = m.internal_port, external_port = m.external_port, "port mapping deleted by its client");
        }
        Outcome::Deleted
    }
}

/// Whether a request made `via` may change a mapping made `held_via`: the same protocol,
/// and for PCP the same nonce (RFC 6887 §11.3).
fn same_owner(held_via: RequestedVia, via: RequestedVia) -> bool {
    held_via == via
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
