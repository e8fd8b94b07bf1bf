//! What the engine shows to users: live translations, refused inbound attempts and counters.
//!
//! These are plain serde types: the control API sends them as they are, so field names here
//! are the JSON field names the CLI's `--json` output and the GUI rely on.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::flow::{FlowId, GatewayEndpoint, LanEndpoint, Protocol, RemoteEndpoint};
use crate::stats::Counters;

/// One live translation: a hidden host's conversation and the gateway endpoint it wears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translation {
    /// Stable id of the flow for its lifetime (lets a watcher diff snapshots).
    pub id: FlowId,
    /// Transport protocol.
    pub protocol: Protocol,
    /// The hidden host's endpoint.
    pub lan: LanEndpoint,
    /// The remote endpoint; for UDP the most recent peer (UDP mappings are per LAN endpoint).
    pub remote: Option<RemoteEndpoint>,
    /// The uplink endpoint remote peers see; `None` until the OS has bound the socket.
    pub gateway: Option<GatewayEndpoint>,
    /// Protocol state in plain words (`connecting`, `established`, `fin_wait` …, `active`).
    pub state: String,
    /// Whether the flow was opened from outside (only ever true through a port forward).
    pub inbound: bool,
    /// Payload bytes from the hidden host toward the remote.
    pub bytes_out: u64,
    /// Payload bytes from the remote toward the hidden host.
    pub bytes_in: u64,
    /// Packets from the hidden host.
    pub packets_out: u64,
    /// Packets toward the hidden host.
    pub packets_in: u64,
    /// Seconds since the flow was created.
    pub age_s: f64,
    /// Seconds since the last packet in either direction.
    pub idle_s: f64,
    /// Seconds until the flow expires if nothing more happens.
    pub expires_in_s: f64,
    /// How the LAN leg of a TCP flow is doing (loss recovery toward the hidden host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFlowStats>,
}

/// Loss recovery of one TCP flow toward its hidden host: how often segments were lost and
/// how each loss was repaired. Retransmission timeouts should be rare (blackouts); most
/// losses are repaired by fast recovery or a tail loss probe within a round trip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpFlowStats {
    /// Segments sent again (fast recovery, probes and timeouts).
    pub retransmits: u64,
    /// Retransmission timeouts with data outstanding.
    pub rtos: u64,
    /// Tail loss probes sent (RFC 8985).
    pub tail_loss_probes: u64,
    /// Losses that a tail loss probe alone repaired.
    pub tlp_recoveries: u64,
    /// Fast-recovery episodes (losses found by SACK/RACK or duplicate ACKs).
    pub fast_recoveries: u64,
    /// Retransmissions the host reported it did not need (DSACK).
    pub spurious_retransmits: u64,
    /// Window reductions undone because every retransmission proved spurious.
    pub undos: u64,
    /// Smoothed round-trip time to the hidden host, in microseconds.
    pub srtt_us: Option<u64>,
    /// Congestion window toward the hidden host, in bytes.
    pub cwnd_bytes: u64,
    /// Segment size toward the hidden host, in bytes.
    pub mss: u64,
}

/// Why an inbound attempt was not delivered to any hidden host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Nothing hidden owns this gateway port: inbound connections cannot be made to a
    /// masqueraded LAN (no translation and no port forward exists).
    NoTranslation,
    /// A UDP mapping exists for this gateway port, but the hidden host never sent to this
    /// remote (address- and port-dependent filtering, RFC 4787).
    FilteredByMapping,
    /// Addressed to a hidden host's private LAN address from the uplink side; the gateway
    /// never routes inward.
    AddressedToHiddenHost,
}

impl RefusalReason {
    /// A plain sentence for people who wonder why their inbound connection failed.
    pub fn explanation(self) -> &'static str {
        match self {
            RefusalReason::NoTranslation => {
                "no hidden host has a connection using this gateway port, and no port forward \
                 exists for it: with masquerading, connections can only be started from the LAN"
            }
            RefusalReason::FilteredByMapping => {
                "a hidden host uses this gateway port, but it never sent anything to this remote \
                 address and port, so the datagram was filtered"
            }
            RefusalReason::AddressedToHiddenHost => {
                "the packet was addressed to a hidden host's private address; hidden hosts are \
                 only reachable through the gateway's own address and a port forward"
            }
        }
    }
}

/// A refused inbound attempt, merged with repeats of the same (protocol, remote, gateway, reason).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundAttempt {
    /// Transport protocol.
    pub protocol: Protocol,
    /// Who tried to get in.
    pub remote: SocketAddr,
    /// Where they knocked: the gateway endpoint (or the hidden address they tried).
    pub gateway: SocketAddr,
    /// Why it was refused.
    pub reason: RefusalReason,
    /// The same reason in plain words.
    pub explanation: String,
    /// How many times this was seen.
    pub count: u64,
    /// Seconds since the first attempt.
    pub first_seen_s: f64,
    /// Seconds since the latest attempt.
    pub last_seen_s: f64,
}

/// Totals for the status screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineStatus {
    /// Live flows per protocol.
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
