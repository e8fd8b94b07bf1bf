//! The [`Engine`]: its state, construction, outputs and timers. Each kind of input and upkeep
//! has its own file below: `lan_input` (adapter packets, fragments, hairpinning), `lan_flows`
//! (each protocol's LAN side), `socket_events`, `forwarding`, `snapshots` (what users see) and
//! `flow_table` (inserting, removing and finding flows).

mod client_limits;
mod flow_table;
mod forwarding;
mod id_hash;
mod key_index;
mod lan_flows;
mod lan_input;
mod snapshots;
mod socket_events;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tracing::debug;

use crate::command::SocketCommand;
use crate::config::{Config, ConfigError, TcpConfig};
use crate::flow::{FlowId, FlowKey, LanEndpoint, Protocol, RemoteEndpoint, SocketId};
use crate::forward::{ForwardKey, Forwards};
use crate::icmp::EchoMapping;
use crate::icmp_budget::IcmpBudget;
use crate::inbound::InboundLog;
use crate::ip_idents::IpIdents;
use crate::offload::TunPacket;
use crate::reassembly::Reassembler;
use crate::shaper::{Admission, Shaper};
use crate::snapshot::RefusalReason;
use crate::stats::{Counters, DropReason};
use crate::tcp::TcpFlow;
use crate::tcp::buffers::BufferBudget;
use crate::tcp::isn::IsnSource;
use crate::udp::UdpMapping;
use crate::wire::{self, L4};
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
    /// The rate limit of LAN hosts' ICMP errors relayed to the internet (RFC 5508 REQ-5).
    relayed_error_budget: IcmpBudget,
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
            relayed_error_budget: IcmpBudget::new(),
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
        // Released commands first: they were queued before anything in `cmds`, also when the
        // last limit was just lifted.
        if let Some(cmd) = self.shaper.pop_ready() {
            return Some(cmd);
        }
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
}
