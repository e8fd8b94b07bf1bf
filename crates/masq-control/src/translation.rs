//! What the API shows of the engine's work: live translations and refused inbound attempts.
//!
//! These are the API's own types, not the engine's: the daemon converts the engine's snapshot
//! into them, so the engine can change inside without changing what clients read. Field names
//! are the JSON names that `masq … --json` prints and the GUI reads.

use std::net::SocketAddr;

use masq_vocab::{FlowId, GatewayEndpoint, LanEndpoint, Protocol, RemoteEndpoint};
use serde::{Deserialize, Serialize};

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
///
/// A newer daemon may know reasons this client does not; they read as [`RefusalReason::Other`]
/// (the attempt's `explanation` still says what happened), so old clients keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Nothing hidden owns this gateway port: no translation and no port forward exists.
    NoTranslation,
    /// A UDP mapping exists for this gateway port, but the hidden host never sent to this
    /// remote (address- and port-dependent filtering, RFC 4787).
    FilteredByMapping,
    /// Addressed to a hidden host's private LAN address from the uplink side.
    AddressedToHiddenHost,
    /// A reason this client does not know yet.
    #[serde(other)]
    Other,
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
    /// The same reason in plain words, as the daemon says it.
    pub explanation: String,
    /// How many times this was seen.
    pub count: u64,
    /// Seconds since the first attempt.
    pub first_seen_s: f64,
    /// Seconds since the latest attempt.
    pub last_seen_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_refusal_reason_reads_as_other() {
        let r: RefusalReason = serde_json::from_str("\"blocked_by_policy\"").unwrap();
        assert_eq!(r, RefusalReason::Other);
        let r: RefusalReason = serde_json::from_str("\"filtered_by_mapping\"").unwrap();
        assert_eq!(r, RefusalReason::FilteredByMapping);
    }
}
