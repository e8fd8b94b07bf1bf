//! The LAN side of each protocol: what a hidden host's TCP segment, UDP datagram, echo
//! request or ICMP error does to the flow table, and the address and limit checks before it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use crate::command::{IcmpErrorKind, SocketCommand};
use crate::flow::{FlowKey, LanEndpoint, Protocol, RemoteEndpoint};
use crate::icmp::EchoMapping;
use crate::stats::DropReason;
use crate::tcp::{TcpFlow, TcpInit};
use crate::udp::{SendAs, UdpMapping};
use crate::wire::{self, Packet, TcpSegment, emit};

use super::{Engine, Kind};

impl Engine {
    pub(super) fn on_lan_tcp(&mut self, now: Instant, p: &Packet<'_>, seg: &TcpSegment<'_>) {
        let lan = SocketAddr::new(p.src, seg.src_port);
        let remote = SocketAddr::new(p.dst, seg.dst_port);
        let key = FlowKey {
            protocol: Protocol::Tcp,
            lan: LanEndpoint(lan),
            remote: Some(RemoteEndpoint(remote)),
        };
        self.last_now = Some(now);
        if let Some(fid) = self.by_key.get(&key, &self.flows) {
            let replace = seg.flags.syn
                && !seg.flags.ack
                && self.flows.get(&fid).is_some_and(
                    |e| matches!(&e.kind, Kind::Tcp(f) if f.is_reusable() && f.irs() != seg.seq),
                );
            if !replace {
                let mut queue = false;
                self.with_flow(now, fid, |e, out, _| {
                    if let Kind::Tcp(f) = &mut e.kind {
                        f.on_segment(now, seg, out);
                        queue = f.queue_batched_ack();
                    }
                });
                if queue {
                    self.batched_acks.push(fid);
                }
                return;
            }
            self.remove_flow(fid);
        }
        if !seg.flags.syn || seg.flags.ack || seg.flags.rst {
            self.counters.drop(DropReason::NoState);
            if !seg.flags.rst {
                // Tell a host that outlived a gateway restart that its connection is gone.
                let (sq, ak) = if seg.flags.ack {
                    (seg.ack, None)
                } else {
                    let len = seg.payload.len() as u32
                        + u32::from(seg.flags.syn)
                        + u32::from(seg.flags.fin);
                    (0, Some(seg.seq.wrapping_add(len)))
                };
                let h = emit::TcpOut {
                    seq: sq,
                    ack: ak,
                    rst: true,
                    ..Default::default()
                };
                let mut out = self.out();
                out.packet(emit::tcp(remote, lan, &h, &[]));
            }
            return;
        }
        if let Err(reason) = self.admit(p.src) {
            self.counters.drop(reason);
            let h = emit::TcpOut {
                seq: 0,
                ack: Some(seg.seq.wrapping_add(1)),
                rst: true,
                ..Default::default()
            };
            let mut out = self.out();
            out.packet(emit::tcp(remote, lan, &h, &[]));
            return;
        }
        let socket = self.alloc_socket();
        let iss = self.isn.isn(now, lan, remote);
        let init = TcpInit {
            lan,
            remote,
            socket,
            gateway_ip: self.gateway_ip_for(p.src),
            syn: seg,
            syn_packet: p.raw,
            ttl: self.outbound_ttl(p.ttl),
            iss,
            tun_mtu: self.cfg.tun_mtu,
            offload: self.cfg.tun_offload,
            local_port: self.tcp_ports.get(&lan).map(|m| m.port),
        };
        let cfg = Arc::clone(&self.tcp_cfg);
        let flow = {
            let mut out = self.out();
            TcpFlow::open(now, init, cfg, &mut out)
        };
        self.insert_flow(now, key, socket, Kind::Tcp(Box::new(flow)));
    }

    /// An ICMP error from `sender` on the LAN about a packet we delivered there. A Packet Too
    /// Big (or Fragmentation Needed) about a TCP segment lowers that flow's segment size: a
    /// router between the adapter and the host has a smaller MTU (RFC 8201, RFC 1191); the
    /// relay's own TCP is what the error is about, so nothing goes further. An error about a
    /// UDP datagram goes back to the remote that sent it (RFC 5508 REQ-5). Anything else is
    /// counted.
    pub(super) fn on_lan_icmp_error(
        &mut self,
        now: Instant,
        sender: IpAddr,
        too_big: Option<u32>,
        head: [u8; 8],
        quote: &[u8],
    ) {
        let Some(q) = wire::quoted(quote) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        // An ICMPv6 error quoting IPv4 (or the reverse) is nothing a host sends.
        if sender.is_ipv4() != q.src.is_ipv4() {
            self.counters.drop(DropReason::Malformed);
            return;
        }
        // About a packet from a remote to a hidden host, or nothing of ours.
        if !self.in_lan(q.dst) || self.in_lan(q.src) {
            self.counters.drop(DropReason::BadDestination);
            return;
        }
        match (too_big, q.protocol) {
            (Some(mtu), etherparse::IpNumber::TCP) => self.on_lan_too_big(now, mtu, &q),
            (_, etherparse::IpNumber::UDP) => self.relay_udp_error(
                now,
                sender,
                head,
                &q,
                quote.get(q.l4_at..).unwrap_or_default(),
            ),
            _ => self.counters.drop(DropReason::UnsupportedIcmp),
        }
    }

    fn on_lan_too_big(&mut self, now: Instant, mtu: u32, q: &wire::parse::Quoted) {
        let key = FlowKey {
            protocol: Protocol::Tcp,
            lan: LanEndpoint(SocketAddr::new(q.dst, q.dst_port)),
            remote: Some(RemoteEndpoint(SocketAddr::new(q.src, q.src_port))),
        };
        let Some(fid) = self.by_key.get(&key, &self.flows) else {
            self.counters.drop(DropReason::NoState);
            return;
        };
        let mtu = u16::try_from(mtu).unwrap_or(u16::MAX);
        let seq = q.seq;
        self.with_flow(now, fid, |e, out, _| {
            if let Kind::Tcp(f) = &mut e.kind {
                f.on_path_mtu(now, mtu, seq, out);
            }
        });
    }

    /// A hidden host's error about a datagram its mapping delivered (a closed port, a smaller
    /// MTU further in): translated back to what the remote sent and sent out of the uplink,
    /// so the remote's socket sees the error as it would without masq. Only the host itself
    /// may speak for its datagrams, only about a remote whose datagram the mapping delivered
    /// lately, and within their own rate limit: a LAN host cannot make the gateway send errors
    /// to internet hosts that never sent it anything.
    fn relay_udp_error(
        &mut self,
        now: Instant,
        sender: IpAddr,
        head: [u8; 8],
        q: &wire::parse::Quoted,
        udp: &[u8],
    ) {
        let host = SocketAddr::new(q.dst, q.dst_port);
        let remote = SocketAddr::new(q.src, q.src_port);
        if sender != host.ip() {
            self.counters.drop(DropReason::Filtered);
            return;
        }
        let key = FlowKey {
            protocol: Protocol::Udp,
            lan: LanEndpoint(host),
            remote: None,
        };
        let found =
            self.by_key
                .get(&key, &self.flows)
                .and_then(|fid| match &self.flows.get(&fid)?.kind {
                    Kind::Udp(m) => Some((m.socket(), m.delivered_from(remote))),
                    _ => None,
                });
        let (id, gateway) = match found {
            None => return self.counters.drop(DropReason::NoState),
            Some((_, None)) => return self.counters.drop(DropReason::Filtered),
            Some((id, Some(gateway))) => (id, gateway),
        };
        let Some(message) = emit::icmp_error_outward(head, host, remote, gateway, udp) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        if !self.relayed_error_budget.allow(now) {
            self.counters.drop(DropReason::RateLimited);
            return;
        }
        self.out().cmd(SocketCommand::IcmpErrorSend {
            id,
            from: gateway.ip(),
            to: remote.ip(),
            message,
        });
    }

    pub(super) fn on_lan_udp(
        &mut self,
        now: Instant,
        p: &Packet<'_>,
        lan: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) {
        let key = FlowKey {
            protocol: Protocol::Udp,
            lan: LanEndpoint(lan),
            remote: None,
        };
        let to = SendAs {
            dst,
            ttl: self.outbound_ttl(p.ttl),
            dont_fragment: p.dont_fragment,
        };
        if let Some(fid) = self.by_key.get(&key, &self.flows) {
            self.with_flow(now, fid, |e, out, _| {
                if let Kind::Udp(m) = &mut e.kind {
                    m.on_outbound(now, to, payload, out);
                }
            });
            return;
        }
        if let Err(reason) = self.admit(p.src) {
            self.refuse_admin(now, p, reason);
            return;
        }
        let socket = self.alloc_socket();
        let mut mapping = {
            let mut out = self.out();
            UdpMapping::open(now, lan, socket, &mut out)
        };
        {
            let mut out = self.out();
            mapping.on_outbound(now, to, payload, &mut out);
        }
        self.insert_flow(now, key, socket, Kind::Udp(Box::new(mapping)));
    }

    pub(super) fn on_lan_echo(
        &mut self,
        now: Instant,
        p: &Packet<'_>,
        ident: u16,
        seq: u16,
        payload: &[u8],
    ) {
        let key = FlowKey {
            protocol: Protocol::Icmp,
            lan: LanEndpoint(SocketAddr::new(p.src, ident)),
            remote: None,
        };
        let ttl = self.outbound_ttl(p.ttl);
        let dst = p.dst;
        if let Some(fid) = self.by_key.get(&key, &self.flows) {
            self.with_flow(now, fid, |e, out, _| {
                if let Kind::Icmp(m) = &mut e.kind {
                    m.on_request(now, dst, seq, ttl, payload, out);
                }
            });
            return;
        }
        if let Err(reason) = self.admit(p.src) {
            self.refuse_admin(now, p, reason);
            return;
        }
        let socket = self.alloc_socket();
        let mut mapping = {
            let mut out = self.out();
            EchoMapping::open(now, p.src, ident, socket, &mut out)
        };
        {
            let mut out = self.out();
            mapping.on_request(now, dst, seq, ttl, payload, &mut out);
        }
        self.insert_flow(now, key, socket, Kind::Icmp(Box::new(mapping)));
    }

    /// A packet arriving with this TTL or less expires at the gateway.
    pub(super) fn hop_floor(&self) -> u8 {
        if self.cfg.os_counts_gateway_hop { 0 } else { 1 }
    }

    /// TTL for the uplink socket: one hop less than the host sent, unless the OS already
    /// took that hop off while forwarding the packet into the adapter.
    pub(super) fn outbound_ttl(&self, ttl: u8) -> u8 {
        if self.cfg.os_counts_gateway_hop {
            ttl
        } else {
            ttl.saturating_sub(1)
        }
    }

    pub(super) fn refuse_admin(&mut self, now: Instant, p: &Packet<'_>, reason: DropReason) {
        self.counters.drop(reason);
        if !self.icmp_budget.allow(now) {
            self.counters.icmp_errors_suppressed += 1;
            return;
        }
        let src = self.gateway_ip_for(p.src);
        let mut out = self.out();
        out.packet(emit::icmp_error(
            src,
            p.src,
            IcmpErrorKind::AdminProhibited,
            p.raw,
        ));
    }

    pub(super) fn check_addresses(&self, p: &Packet<'_>) -> Result<(), DropReason> {
        match p.src {
            IpAddr::V6(_) if self.cfg.gateway_v6.is_none() => {
                return Err(DropReason::Ipv6Disabled);
            }
            // In-prefix only: link-local, multicast and foreign sources are never masqueraded.
            _ if !self.in_lan(p.src) => return Err(DropReason::NotFromLan),
            _ => {}
        }
        if !wire::is_routable_destination(p.dst)
            || self.in_lan(p.dst)
            || p.dst == self.gateway_ip_for(p.dst)
        {
            return Err(DropReason::BadDestination);
        }
        Ok(())
    }

    pub(super) fn in_lan(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => u32::from(a) & self.lan_net.1 == self.lan_net.0,
            IpAddr::V6(a) => self.cfg.gateway_v6.is_some_and(|gw| {
                let len = u32::from(self.cfg.lan_v6_prefix_len.min(128));
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                u128::from(a) & mask == u128::from(gw) & mask
            }),
        }
    }

    /// The gateway's own address in the host's IP version: the source of the ICMP errors
    /// the gateway itself sends to that host.
    pub(super) fn gateway_ip_for(&self, host: IpAddr) -> IpAddr {
        match (host, self.cfg.gateway_v6) {
            (IpAddr::V6(_), Some(gw)) => IpAddr::V6(gw),
            _ => IpAddr::V4(self.cfg.gateway_v4),
        }
    }

    pub(super) fn admit(&self, host: IpAddr) -> Result<(), DropReason> {
        if self.flows.len() >= self.cfg.max_flows {
            return Err(DropReason::FlowCapGlobal);
        }
        let cap = self
            .cfg
            .client_limits
            .iter()
            .find(|l| l.ip == host)
            .and_then(|l| l.max_flows)
            .unwrap_or(self.cfg.max_flows_per_host);
        if self.per_host.get(&host).copied().unwrap_or(0) >= cap {
            return Err(DropReason::FlowCapPerHost);
        }
        Ok(())
    }
}
