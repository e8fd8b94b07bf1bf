//! The [`Engine`]: the flow table, the timer queue and the dispatch of every input.

mod forwarding;
mod id_hash;
mod key_index;
mod socket_events;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tracing::{debug, trace, trace_span};

use crate::command::{IcmpErrorKind, SocketCommand};
use crate::config::{Config, ConfigError, TcpConfig};
use crate::flow::{
    FlowId, FlowKey, GatewayEndpoint, LanEndpoint, Protocol, RemoteEndpoint, SocketId,
};
use crate::forward::{ForwardKey, ForwardProtocol, Forwards};
use crate::icmp::EchoMapping;
use crate::icmp_budget::IcmpBudget;
use crate::inbound::InboundLog;
use crate::ip_idents::IpIdents;
use crate::offload::{RxMeta, TunPacket};
use crate::out::Out;
use crate::reassembly::{Fragment, Reassembler};
use crate::shaper::{Admission, Shaper};
use crate::snapshot::{EngineStatus, InboundAttempt, RefusalReason, Translation};
use crate::stats::{Counters, DropReason};
use crate::tcp::buffers::BufferBudget;
use crate::tcp::isn::IsnSource;
use crate::tcp::{TcpFlow, TcpInit};
use crate::udp::{SendAs, UdpMapping};
use crate::wire::{self, L4, Packet, TcpSegment, emit};
use id_hash::IdHash;
use key_index::KeyIndex;

/// Hairpinning's two addresses: the alias the shell's steering gives LAN packets addressed to
/// the gateway's public address (which the host would otherwise deliver to itself), and that
/// public address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hairpin {
    /// The destination such packets arrive with (Linux: 192.0.0.8, RFC 7600's dummy address).
    pub alias: std::net::Ipv4Addr,
    /// The uplink's IPv4 address, which the hidden host addressed.
    pub public: std::net::Ipv4Addr,
}

/// The masquerading state machine. See the crate documentation for the calling contract.
#[derive(Debug)]
pub struct Engine {
    cfg: Config,
    lan_net: (u32, u32),
    /// Hashed, not a B-tree: flow ids only grow, and a B-tree filled in key order leaves its
    /// nodes half empty (a third of the table's memory per idle flow).
    flows: HashMap<FlowId, Entry, IdHash>,
    by_key: KeyIndex,
    by_socket: HashMap<SocketId, FlowId, IdHash>,
    by_gateway: HashMap<(Protocol, SocketAddr), FlowId>,
    per_host: HashMap<IpAddr, usize>,
    timers: BTreeSet<(Instant, FlowId)>,
    next_flow: u64,
    next_socket: u64,
    tun_out: VecDeque<TunPacket>,
    /// Buffers of written super-segments, returned by the shell for reuse (64 KiB
    /// allocations per packet otherwise cost more in page faults than the packet itself).
    pool: Vec<Vec<u8>>,
    cmds: VecDeque<SocketCommand>,
    counters: Counters,
    inbound: InboundLog,
    /// Port forwards and their listening sockets (see [`crate::forward`]).
    forwards: Forwards,
    /// When port mappings expire.
    forward_timers: BTreeSet<(Instant, ForwardKey)>,
    /// Per-client rate limits on the commands leaving the engine (see [`crate::shaper`]).
    shaper: Shaper,
    /// TCP flows that owe an ACK for the batch of packets being handed over; sent when the
    /// shell next takes packets, so one ACK covers what it read in one go.
    batched_acks: Vec<FlowId>,
    /// The latest time an input carried (when batched ACKs are flushed).
    last_now: Option<Instant>,
    /// IPv4 identifications of fragmented datagrams toward the LAN.
    ip_idents: IpIdents,
    /// Endpoint-independent TCP mapping (RFC 5382 REQ-1): each LAN endpoint's gateway port.
    tcp_ports: HashMap<SocketAddr, TcpPortMapping>,
    /// Where LAN packets for the gateway's public address arrive, and that address.
    hairpin: Option<Hairpin>,
    /// IPv4 datagrams from the LAN arriving in fragments.
    reassembly: Reassembler,
    /// The rate limit of the gateway's own ICMP errors.
    icmp_budget: IcmpBudget,
    /// Initial sequence numbers of the TCP connections toward the LAN (RFC 6528).
    isn: IsnSource,
    /// `cfg.tcp`, shared by every TCP flow instead of a copy in each.
    tcp_cfg: Arc<TcpConfig>,
    /// What TCP flows' buffers may grow by beyond `tcp.buffer_bytes`, all together.
    buffers: BufferBudget,
}

#[derive(Debug)]
struct Entry {
    key: FlowKey,
    created: Instant,
    deadline: Option<Instant>,
    gateway: Option<SocketAddr>,
    /// The port forward that let this flow in, if it came from outside.
    forward: Option<ForwardKey>,
    /// Counted against its host's flow cap. A TCP flow in TIME_WAIT has closed its uplink
    /// socket and holds only this entry, so it stops counting: a host that opens and closes
    /// connections quickly (a few thousand a second) would otherwise be refused by its own
    /// finished connections for the whole TIME_WAIT.
    counted: bool,
    /// An outbound TCP connection counted in `Engine::tcp_ports` for its LAN endpoint.
    holds_tcp_port: bool,
    kind: Kind,
}

/// The gateway port the outbound TCP connections of one LAN endpoint leave from.
#[derive(Debug, Clone, Copy)]
struct TcpPortMapping {
    port: u16,
    /// Live connections of the endpoint that use it; the mapping ends with the last.
    connections: u32,
}

#[derive(Debug)]
enum Kind {
    /// Every kind boxed: the flow table's buckets then hold a pointer instead of the largest
    /// state inline (368 bytes per bucket before, in a table kept partly empty by design),
    /// which was a quarter of masq's memory per idle flow.
    Tcp(Box<TcpFlow>),
    Udp(Box<UdpMapping>),
    Icmp(Box<EchoMapping>),
}

impl Engine {
    /// Creates an engine. `seed` makes initial sequence numbers unpredictable to LAN hosts
    /// while keeping runs reproducible in tests; the shell passes OS randomness. `now` is
    /// taken like every other entry point's, though nothing is timed before the first packet.
    pub fn new(config: Config, seed: u64, now: Instant) -> Result<Engine, ConfigError> {
        config.validate()?;
        let mask = if config.lan_prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(config.lan_prefix_len))
        };
        let lan_net = (u32::from(config.gateway_v4) & mask, mask);
        let tcp_cfg = Arc::new(config.tcp.clone());
        let buffers = BufferBudget::new(config.tcp.buffer_budget_bytes);
        Ok(Engine {
            shaper: Shaper::new(&config.client_limits),
            inbound: InboundLog::new(config.inbound_log_capacity),
            cfg: config,
            lan_net,
            flows: HashMap::default(),
            by_key: KeyIndex::default(),
            by_socket: HashMap::default(),
            by_gateway: HashMap::new(),
            per_host: HashMap::new(),
            timers: BTreeSet::new(),
            next_flow: 1,
            next_socket: 1,
            tun_out: VecDeque::new(),
            pool: Vec::new(),
            cmds: VecDeque::new(),
            counters: Counters::default(),
            forwards: Forwards::default(),
            forward_timers: BTreeSet::new(),
            batched_acks: Vec::new(),
            last_now: None,
            ip_idents: IpIdents::new(seed),
            isn: IsnSource::new(seed, now),
            icmp_budget: IcmpBudget::new(),
            reassembly: Reassembler::default(),
            hairpin: None,
            tcp_ports: HashMap::new(),
            tcp_cfg,
            buffers,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    // ================================================================== outputs

    /// The next packet to write to the adapter, as plain bytes. Enough for a shell without
    /// segmentation offload (`Config::tun_offload` off), where every packet is complete.
    pub fn poll_tun_packet(&mut self) -> Option<Vec<u8>> {
        self.poll_tun_transmit().map(|p| p.data)
    }

    /// The next packet to write to the adapter, with the segmentation the OS must apply.
    pub fn poll_tun_transmit(&mut self) -> Option<TunPacket> {
        if !self.batched_acks.is_empty() {
            self.flush_batched_acks();
        }
        self.tun_out.pop_front()
    }

    /// Sends the ACKs that TCP flows saved up while the shell handed over its batch.
    fn flush_batched_acks(&mut self) {
        let Some(now) = self.last_now else {
            return;
        };
        for fid in std::mem::take(&mut self.batched_acks) {
            self.with_flow(now, fid, |e, out, _| {
                if let Kind::Tcp(f) = &mut e.kind {
                    f.flush_batched_ack(now, out);
                }
            });
        }
    }

    /// Gives back the buffer of a packet the shell has written, so the engine can reuse it.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() >= 16 * 1024 && self.pool.len() < crate::offload::POOL_MAX {
            buf.clear();
            self.pool.push(buf);
        }
    }

    /// The next socket command for the shell.
    pub fn poll_command(&mut self) -> Option<SocketCommand> {
        if !self.shaper.is_active() {
            return self.cmds.pop_front();
        }
        loop {
            if let Some(cmd) = self.shaper.pop_ready() {
                return Some(cmd);
            }
            let cmd = self.cmds.pop_front()?;
            let host = self.host_of(cmd.socket());
            match self.shaper.admit(cmd, host) {
                Admission::Pass(cmd) => return Some(cmd),
                Admission::Held => {}
                Admission::Dropped => self.counters.drop(DropReason::RateLimited),
            }
        }
    }

    /// When [`Engine::handle_timeout`] must next be called; `None` when no flow needs time
    /// (so an idle gateway never wakes up).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let flows = self.timers.first().map(|(t, _)| *t);
        let forwards = self.forward_timers.first().map(|(t, _)| *t);
        flows
            .into_iter()
            .chain(forwards)
            .chain(self.shaper.poll_timeout())
            .chain(self.reassembly.next_deadline())
            .min()
    }

    // ================================================================== inputs

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
    fn on_lan_fragment(&mut self, now: Instant, fragment: &Fragment<'_>) {
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

    fn expire_fragments(&mut self, now: Instant) {
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
    fn on_lan_packet(&mut self, now: Instant, packet: &[u8], meta: RxMeta) {
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
    fn hairpin_target_is_masqs(&self, packet: &[u8]) -> bool {
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

    fn on_lan_packet_as_addressed(&mut self, now: Instant, packet: &[u8], meta: RxMeta) {
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
            L4::IcmpError { too_big, quote } => self.on_lan_icmp_error(now, *too_big, quote),
        }
    }

    /// Writing `packet` (one the engine produced) to the adapter failed: its ring was full
    /// or the device refused it. A TCP segment's flow resends what it carried soon, instead
    /// of waiting for the host's silence to time out; anything else was lost like on a wire.
    pub fn handle_tun_write_failed(&mut self, now: Instant, packet: &[u8]) {
        self.counters.tun_write_failures += 1;
        let Ok(p) = wire::parse_with(packet, true) else {
            return;
        };
        let L4::Tcp(seg) = &p.l4 else {
            return;
        };
        let key = FlowKey {
            protocol: Protocol::Tcp,
            lan: LanEndpoint(SocketAddr::new(p.dst, seg.dst_port)),
            remote: Some(RemoteEndpoint(SocketAddr::new(p.src, seg.src_port))),
        };
        let Some(fid) = self.by_key.get(&key, &self.flows) else {
            return;
        };
        let len = seg.payload.len() as u32 + u32::from(seg.flags.fin);
        if len == 0 {
            return;
        }
        self.with_flow(now, fid, |e, _, _| {
            if let Kind::Tcp(f) = &mut e.kind {
                f.on_transmit_failed(now, seg.seq, len);
            }
        });
    }

    /// Something from the uplink side tried to reach a gateway endpoint or a hidden address
    /// (seen read-only by the shell's packet observer). Logged unless a mapping handles it.
    pub fn handle_uplink_probe(
        &mut self,
        now: Instant,
        protocol: Protocol,
        remote: SocketAddr,
        local: SocketAddr,
    ) {
        let reason = if self.in_lan(local.ip()) {
            RefusalReason::AddressedToHiddenHost
        } else if protocol == Protocol::Udp && self.by_gateway.contains_key(&(Protocol::Udp, local))
        {
            // The mapping's socket sees it too and applies its filter.
            return;
        } else if self.forwards.is_listening(protocol, local) {
            // A port forward takes it.
            return;
        } else {
            RefusalReason::NoTranslation
        };
        debug!(%protocol, %remote, %local, ?reason, "refused inbound attempt");
        self.inbound.record(now, protocol, remote, local, reason);
    }

    /// Runs every timer that is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.shaper.progress(now);
        self.expire_fragments(now);
        self.expire_forwards(now);
        while let Some(&(t, fid)) = self.timers.first() {
            if t > now {
                break;
            }
            self.timers.pop_first();
            if let Some(e) = self.flows.get_mut(&fid) {
                e.deadline = None;
            }
            self.with_flow(now, fid, |e, out, cfg| match &mut e.kind {
                Kind::Tcp(f) => f.on_timeout(now, out),
                Kind::Udp(m) => {
                    if m.expires(&cfg.udp).is_some_and(|t| now >= t) {
                        out.cmd(SocketCommand::Close { id: m.socket() });
                    }
                }
                Kind::Icmp(m) => {
                    if now >= m.last_activity() + cfg.icmp.echo_timeout {
                        out.cmd(SocketCommand::Close { id: m.socket() });
                    }
                }
            });
        }
    }

    /// Ends every flow (shutdown, uplink lost): TCP hosts get RST so they reconnect at once.
    pub fn reset_all(&mut self, now: Instant) {
        self.stop_listeners();
        let mut ids: Vec<FlowId> = self.flows.keys().copied().collect();
        ids.sort_unstable();
        for fid in ids {
            self.with_flow(now, fid, |e, out, _| match &mut e.kind {
                Kind::Tcp(f) => f.reset_both(out),
                Kind::Udp(m) => out.cmd(SocketCommand::Close { id: m.socket() }),
                Kind::Icmp(m) => out.cmd(SocketCommand::Close { id: m.socket() }),
            });
            self.remove_flow(fid);
        }
    }

    // ================================================================== getters

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

    // ================================================================== LAN side

    fn on_lan_tcp(&mut self, now: Instant, p: &Packet<'_>, seg: &TcpSegment<'_>) {
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

    /// An ICMP error from the LAN about a packet we delivered there. A Packet Too Big (or
    /// Fragmentation Needed) about a TCP segment lowers that flow's segment size: a router
    /// between the adapter and the host has a smaller MTU (RFC 8201, RFC 1191). Other errors
    /// are not relayed outward yet and are counted.
    fn on_lan_icmp_error(&mut self, now: Instant, too_big: Option<u32>, quote: &[u8]) {
        let Some(q) = wire::quoted(quote) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        // About a packet from a remote to a hidden host, or nothing of ours.
        if !self.in_lan(q.dst) || self.in_lan(q.src) {
            self.counters.drop(DropReason::BadDestination);
            return;
        }
        let (Some(mtu), etherparse::IpNumber::TCP) = (too_big, q.protocol) else {
            self.counters.drop(DropReason::UnsupportedIcmp);
            return;
        };
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
        self.with_flow(now, fid, |e, out, _| {
            if let Kind::Tcp(f) = &mut e.kind {
                f.on_path_mtu(now, mtu, q.seq, out);
            }
        });
    }

    fn on_lan_udp(
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

    fn on_lan_echo(&mut self, now: Instant, p: &Packet<'_>, ident: u16, seq: u16, payload: &[u8]) {
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
    fn hop_floor(&self) -> u8 {
        if self.cfg.os_counts_gateway_hop { 0 } else { 1 }
    }

    /// TTL for the uplink socket: one hop less than the host sent, unless the OS already
    /// took that hop off while forwarding the packet into the adapter.
    fn outbound_ttl(&self, ttl: u8) -> u8 {
        if self.cfg.os_counts_gateway_hop {
            ttl
        } else {
            ttl.saturating_sub(1)
        }
    }

    fn refuse_admin(&mut self, now: Instant, p: &Packet<'_>, reason: DropReason) {
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

    fn check_addresses(&self, p: &Packet<'_>) -> Result<(), DropReason> {
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

    fn in_lan(&self, ip: IpAddr) -> bool {
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
    fn gateway_ip_for(&self, host: IpAddr) -> IpAddr {
        match (host, self.cfg.gateway_v6) {
            (IpAddr::V6(_), Some(gw)) => IpAddr::V6(gw),
            _ => IpAddr::V4(self.cfg.gateway_v4),
        }
    }

    fn admit(&self, host: IpAddr) -> Result<(), DropReason> {
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

    // ================================================================== table upkeep

    /// The hidden host a socket's flow belongs to (`None` for a forward's listener).
    fn host_of(&self, socket: SocketId) -> Option<IpAddr> {
        let fid = self.by_socket.get(&socket)?;
        Some(self.flows.get(fid)?.key.lan.ip())
    }

    fn out(&mut self) -> Out<'_> {
        Out {
            tun: &mut self.tun_out,
            cmds: &mut self.cmds,
            counters: &mut self.counters,
            pool: &mut self.pool,
            udp_offload: self.cfg.tun_udp_offload,
            ip_idents: &mut self.ip_idents,
            buffers: &mut self.buffers,
        }
    }

    fn alloc_socket(&mut self) -> SocketId {
        let id = SocketId(self.next_socket);
        self.next_socket += 1;
        id
    }

    fn insert_flow(&mut self, now: Instant, key: FlowKey, socket: SocketId, kind: Kind) -> FlowId {
        let fid = FlowId(self.next_flow);
        self.next_flow += 1;
        self.counters.flows_created += 1;
        *self.per_host.entry(key.lan.ip()).or_insert(0) += 1;
        self.by_key.insert(&key, fid, &self.flows);
        self.by_socket.insert(socket, fid);
        let span = trace_span!("flow", id = fid.0, protocol = %key.protocol);
        let _g = span.enter();
        debug!(lan = %key.lan, remote = ?key.remote.map(|r| r.0), "new flow");
        self.flows.insert(
            fid,
            Entry {
                key,
                created: now,
                deadline: None,
                gateway: None,
                forward: None,
                counted: true,
                holds_tcp_port: false,
                kind,
            },
        );
        self.reschedule(fid);
        fid
    }

    /// Takes a flow off its host's count (it no longer holds a socket).
    fn uncount(&mut self, host: IpAddr) {
        if let Some(n) = self.per_host.get_mut(&host) {
            *n -= 1;
            if *n == 0 {
                self.per_host.remove(&host);
            }
        }
    }

    /// Records that an outbound TCP connection leaves from `local`, so the LAN endpoint's next
    /// connections ask for the same port. A connection that got another port (the shell could
    /// not bind the mapped one) does not change the mapping.
    fn hold_tcp_port(&mut self, id: SocketId, local: SocketAddr) {
        let Some(&fid) = self.by_socket.get(&id) else {
            return;
        };
        let Some(e) = self.flows.get_mut(&fid) else {
            return;
        };
        if e.forward.is_some() || e.key.protocol != Protocol::Tcp || e.holds_tcp_port {
            return;
        }
        let lan = e.key.lan.0;
        let m = self.tcp_ports.entry(lan).or_insert(TcpPortMapping {
            port: local.port(),
            connections: 0,
        });
        if m.port == local.port() {
            m.connections += 1;
            e.holds_tcp_port = true;
        }
    }

    fn remove_flow(&mut self, fid: FlowId) {
        let Some(e) = self.flows.remove(&fid) else {
            return;
        };
        if let Some(d) = e.deadline {
            self.timers.remove(&(d, fid));
        }
        self.by_key.remove(&e.key, fid);
        let socket = match &e.kind {
            Kind::Tcp(f) => {
                self.buffers.release(f.buffers_grown());
                f.socket()
            }
            Kind::Udp(m) => m.socket(),
            Kind::Icmp(m) => m.socket(),
        };
        self.by_socket.remove(&socket);
        if let Some(g) = e.gateway
            && self.by_gateway.get(&(e.key.protocol, g)) == Some(&fid)
        {
            self.by_gateway.remove(&(e.key.protocol, g));
        }
        if e.holds_tcp_port {
            let lan = e.key.lan.0;
            if let Some(m) = self.tcp_ports.get_mut(&lan) {
                m.connections -= 1;
                if m.connections == 0 {
                    self.tcp_ports.remove(&lan);
                }
            }
        }
        if e.counted {
            self.uncount(e.key.lan.ip());
        }
        self.counters.flows_closed += 1;
        trace!(id = fid.0, "flow removed");
    }

    fn entry_deadline(&self, e: &Entry) -> Option<Instant> {
        match &e.kind {
            Kind::Tcp(f) => f.deadline(),
            Kind::Udp(m) => m.expires(&self.cfg.udp),
            Kind::Icmp(m) => Some(m.last_activity() + self.cfg.icmp.echo_timeout),
        }
    }

    fn is_finished(&self, e: &Entry, now: Instant) -> bool {
        match &e.kind {
            Kind::Tcp(f) => f.is_closed(),
            Kind::Udp(m) => m.is_failed() || m.expires(&self.cfg.udp).is_some_and(|t| now >= t),
            Kind::Icmp(m) => now >= m.last_activity() + self.cfg.icmp.echo_timeout,
        }
    }

    /// Puts a flow's (new) deadline in the timer queue, or removes it if finished.
    fn reschedule(&mut self, fid: FlowId) {
        let Some(e) = self.flows.get(&fid) else {
            return;
        };
        let new = self.entry_deadline(e);
        let old = e.deadline;
        if new == old {
            return;
        }
        if let Some(d) = old {
            self.timers.remove(&(d, fid));
        }
        if let Some(d) = new {
            self.timers.insert((d, fid));
        }
        if let Some(e) = self.flows.get_mut(&fid) {
            e.deadline = new;
        }
    }

    fn with_flow(
        &mut self,
        now: Instant,
        fid: FlowId,
        f: impl FnOnce(&mut Entry, &mut Out<'_>, &Config),
    ) {
        let Some(e) = self.flows.get_mut(&fid) else {
            return;
        };
        let mut out = Out {
            tun: &mut self.tun_out,
            cmds: &mut self.cmds,
            counters: &mut self.counters,
            pool: &mut self.pool,
            udp_offload: self.cfg.tun_udp_offload,
            ip_idents: &mut self.ip_idents,
            buffers: &mut self.buffers,
        };
        f(e, &mut out, &self.cfg);
        if let Kind::Tcp(t) = &mut e.kind {
            t.report_stats(out.counters);
        }
        if let Some(e) = self.flows.get_mut(&fid)
            && e.counted
            && matches!(&e.kind, Kind::Tcp(t) if t.is_reusable())
        {
            e.counted = false;
            let host = e.key.lan.ip();
            self.uncount(host);
        }
        let finished = self
            .flows
            .get(&fid)
            .is_some_and(|e| self.is_finished(e, now));
        if finished {
            self.remove_flow(fid);
        } else {
            self.reschedule(fid);
        }
    }

    fn with_socket(
        &mut self,
        now: Instant,
        id: SocketId,
        f: impl FnOnce(&mut Entry, &mut Out<'_>),
    ) {
        let Some(&fid) = self.by_socket.get(&id) else {
            self.counters.drop(DropReason::StaleSocket);
            return;
        };
        self.with_flow(now, fid, |e, out, _| f(e, out));
    }

    fn with_tcp(&mut self, now: Instant, id: SocketId, f: impl FnOnce(&mut TcpFlow, &mut Out<'_>)) {
        self.with_socket(now, id, |e, out| {
            if let Kind::Tcp(t) = &mut e.kind {
                f(t, out);
            }
        });
    }
}
