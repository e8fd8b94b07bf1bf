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
}
