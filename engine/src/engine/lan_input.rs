//! Packets from the LAN's adapter: fragments put back together, hairpinned packets
//! restored to their real destination, then parsed and handed to the protocol that owns them.

use std::net::SocketAddr;
use std::time::Instant;

use tracing::trace;

use crate::command::IcmpErrorKind;
use crate::flow::Protocol;
use crate::forward::ForwardProtocol;
use crate::offload::RxMeta;
use crate::reassembly::Fragment;
use crate::stats::DropReason;
use crate::wire::{self, L4, emit};

use super::{Engine, Hairpin};

impl Engine {
    /// A packet the LAN sent into the adapter.
    pub fn handle_tun_packet(&mut self, now: Instant, packet: &[u8]) {
        self.handle_tun_packet_with(now, packet, RxMeta::default());
    }

    /// A packet the LAN sent into the adapter, with what the OS told the shell about it
    /// (with offload, large already-verified segments arrive whole).
    pub fn handle_tun_packet_with(&mut self, now: Instant, packet: &[u8], meta: RxMeta) {
        self.shaper.observe(now);
        self.counters.tun_packets_in += 1;
        self.counters.tun_bytes_in += packet.len() as u64;
        if let Some(fragment) = Fragment::of(packet) {
            self.on_lan_fragment(now, &fragment);
            return;
        }
        self.on_lan_packet(now, packet, meta);
    }

    /// A fragment: held until its datagram is whole, which is then handled as if it had
    /// arrived in one piece (`reassembly.rs`).
    pub(super) fn on_lan_fragment(&mut self, now: Instant, fragment: &Fragment<'_>) {
        self.expire_fragments(now);
        if fragment.src.is_ipv6() && self.cfg.gateway_v6.is_none() {
            // Not worth holding: the whole datagram would be dropped as well.
            self.counters.drop(DropReason::Ipv6Disabled);
            return;
        }
        if !fragment.header_checksum_ok() {
            self.counters.drop(DropReason::BadChecksum);
            return;
        }
        match self.reassembly.add(now, fragment) {
            Ok(Some(whole)) => {
                self.counters.datagrams_reassembled += 1;
                self.on_lan_packet(now, &whole, RxMeta::default());
            }
            Ok(None) => {}
            Err(reason) => {
                trace!(?reason, "dropped a fragment");
                self.counters.drop(reason);
            }
        }
    }

    pub(super) fn expire_fragments(&mut self, now: Instant) {
        let expired = self.reassembly.expire(now);
        if expired > 0 {
            *self
                .counters
                .drops
                .entry(DropReason::FragmentExpired)
                .or_insert(0) += expired as u64;
        }
    }

    /// Turns hairpinning on (or off with `None`): LAN packets to `alias` are relayed as if
    /// addressed to `public`, the gateway's own address on the uplink, so a hidden host
    /// reaches port forwards, port mappings and other hosts' mappings through the public
    /// address (`wire/hairpin.rs`). The shell calls it again when the uplink's address changes.
    pub fn set_hairpin(&mut self, hairpin: Option<Hairpin>) {
        self.hairpin = hairpin;
    }

    /// A whole packet from the LAN (as it arrived, or reassembled).
    pub(super) fn on_lan_packet(&mut self, now: Instant, packet: &[u8], meta: RxMeta) {
        let restored = self.hairpin.and_then(|h| {
            wire::hairpin::restore_destination(packet, h.alias, h.public, meta.checksum_trusted)
        });
        match restored {
            Some(packet) if self.hairpin_target_is_masqs(&packet) => {
                self.counters.hairpinned_packets += 1;
                self.on_lan_packet_as_addressed(now, &packet, meta);
            }
            Some(packet) => {
                // The host's own services are not reached this way: they would see the
                // connection come from the host itself and trust it as local. The LAN reaches
                // them on the gateway's LAN address, as before hairpinning.
                if let Ok(p) = wire::parse_with(&packet, true) {
                    self.refuse_admin(now, &p, DropReason::HairpinRefused);
                } else {
                    self.counters.drop(DropReason::HairpinRefused);
                }
            }
            None => self.on_lan_packet_as_addressed(now, packet, meta),
        }
    }

    /// Whether a hairpinned packet (already addressed to the public address) is for a port
    /// masq itself holds there: a port forward (or port mapping) or one of its mappings'
    /// gateway ports. ICMP echo is always relayed (a ping of the public address).
    pub(super) fn hairpin_target_is_masqs(&self, packet: &[u8]) -> bool {
        let Some(h) = self.hairpin else {
            return false;
        };
        let header_len = usize::from(packet[0] & 0x0f) * 4;
        let (protocol, forward_protocol) = match packet.get(9) {
            Some(1) => return true,
            Some(6) => (Protocol::Tcp, ForwardProtocol::Tcp),
            Some(17) => (Protocol::Udp, ForwardProtocol::Udp),
            _ => return false,
        };
        let Some(port) = packet
            .get(header_len + 2..header_len + 4)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
        else {
            return false;
        };
        let mapped = SocketAddr::from((h.public, port));
        self.forwards.owner_of(forward_protocol, port).is_some()
            || self.by_gateway.contains_key(&(protocol, mapped))
    }

    pub(super) fn on_lan_packet_as_addressed(&mut self, now: Instant, packet: &[u8], meta: RxMeta) {
        let parsed = match wire::parse_with(packet, meta.checksum_trusted) {
            Ok(p) => p,
            Err(reason) => {
                trace!(?reason, len = packet.len(), "dropped adapter packet");
                self.counters.drop(reason);
                return;
            }
        };
        if let Err(reason) = self.check_addresses(&parsed) {
            self.counters.drop(reason);
            return;
        }
        if parsed.ttl <= self.hop_floor() {
            self.counters.drop(DropReason::TtlExpired);
            if matches!(parsed.l4, L4::IcmpError { .. }) {
                // Never an ICMP error about an ICMP error (RFC 1122 3.2.2).
                return;
            }
            // We are a router hop: answer like one (RFC 1812 5.3.1), so traceroute sees us.
            if !self.icmp_budget.allow(now) {
                self.counters.icmp_errors_suppressed += 1;
                return;
            }
            let src = self.gateway_ip_for(parsed.src);
            let mut out = self.out();
            out.packet(emit::icmp_error(
                src,
                parsed.src,
                IcmpErrorKind::TimeExceeded,
                parsed.raw,
            ));
            return;
        }
        match &parsed.l4 {
            L4::Tcp(seg) => self.on_lan_tcp(now, &parsed, seg),
            L4::Udp {
                src_port,
                dst_port,
                payload,
            } => {
                let lan = SocketAddr::new(parsed.src, *src_port);
                let dst = SocketAddr::new(parsed.dst, *dst_port);
                self.on_lan_udp(now, &parsed, lan, dst, payload);
            }
            L4::EchoRequest {
                ident,
                seq,
                payload,
            } => self.on_lan_echo(now, &parsed, *ident, *seq, payload),
            L4::IcmpError {
                too_big,
                head,
                quote,
            } => self.on_lan_icmp_error(now, parsed.src, *too_big, *head, quote),
        }
    }
}
