//! The engine's totals as the API reports them (`masq status`, the GUI's Overview).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Totals for the status screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineStatus {
    /// Live TCP flows.
    pub flows_tcp: usize,
    /// Live UDP mappings.
    pub flows_udp: usize,
    /// Live ICMP echo mappings.
    pub flows_icmp: usize,
    /// Configured global flow cap.
    pub max_flows: usize,
    /// Distinct hidden hosts with at least one flow.
    pub lan_hosts: usize,
    /// Packet, byte and drop counters since start.
    pub counters: Counters,
    /// Bytes by which fast TCP flows' buffers have grown beyond `tcp.buffer_bytes`, of the
    /// `tcp.buffer_budget_bytes` allowed.
    #[serde(default)]
    pub tcp_buffer_growth_bytes: u64,
}

/// Monotonic counters since sharing started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Packets read from the adapter.
    pub tun_packets_in: u64,
    /// Packets the engine produced for the adapter.
    pub tun_packets_out: u64,
    /// Bytes read from the adapter (whole IP packets).
    pub tun_bytes_in: u64,
    /// Bytes produced for the adapter (whole IP packets).
    pub tun_bytes_out: u64,
    /// Packets the OS refused to take from the adapter.
    pub tun_write_failures: u64,
    /// Flows created since start.
    pub flows_created: u64,
    /// Flows closed or expired since start.
    pub flows_closed: u64,
    /// TCP segments retransmitted toward the LAN.
    pub tcp_retransmits: u64,
    /// Retransmission timeouts toward the LAN with data outstanding (should be rare: the
    /// ratio to `tcp_fast_recoveries` says how often a loss was not repaired in time).
    pub tcp_rtos: u64,
    /// Tail loss probes sent toward the LAN.
    pub tcp_tail_loss_probes: u64,
    /// Losses toward the LAN repaired by a tail loss probe alone.
    pub tcp_tlp_recoveries: u64,
    /// Fast-recovery episodes toward the LAN.
    pub tcp_fast_recoveries: u64,
    /// Retransmissions toward the LAN that the host reported unneeded (DSACK).
    pub tcp_spurious_retransmits: u64,
    /// Window reductions toward the LAN undone as spurious.
    pub tcp_undos: u64,
    /// ICMP errors of the gateway's own not sent because they exceeded the rate limit.
    pub icmp_errors_suppressed: u64,
    /// IPv4 datagrams from the LAN put back together from fragments.
    pub datagrams_reassembled: u64,
    /// LAN packets to the gateway's own public address, relayed back in (hairpinning).
    pub hairpinned_packets: u64,
    /// Dropped packets by reason (`bad_checksum`, `no_state`, …, the engine's `DropReason`
    /// names). Keyed by name, so a newer daemon's new reasons reach old clients.
    pub drops: BTreeMap<String, u64>,
}
