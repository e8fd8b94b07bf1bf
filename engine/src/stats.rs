//! Counters, and the reasons a packet can be dropped.
//!
//! Every packet the engine does not translate is counted under exactly one [`DropReason`], so
//! "where did my packet go?" always has an answer in `masq status`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Why the engine discarded a packet from the adapter or a socket event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Shorter than its headers claim, or not even a whole header.
    Truncated,
    /// Header fields that cannot be right (version, lengths, options).
    Malformed,
    /// IP or transport checksum did not verify.
    BadChecksum,
    /// A fragment the engine cannot reassemble: an IPv6 one behind other extension headers
    /// than its fixed header, or an IPv4 one too short to read (others are reassembled).
    Fragment,
    /// An IPv4 fragment that overlaps another, contradicts the datagram's end, is misaligned
    /// or would make it longer than 65 535 bytes: its whole datagram is dropped (RFC 5722).
    FragmentInvalid,
    /// A fragment beyond the reassembly bounds (64 datagrams, 1 MiB in progress).
    FragmentLimit,
    /// A datagram whose fragments did not all arrive within 30 s.
    FragmentExpired,
    /// A LAN packet to the gateway's public address for a port that no forward or mapping
    /// holds: hairpinning reaches masq's ports only, not the host's own services (answered
    /// with ICMP administratively prohibited).
    HairpinRefused,
    /// A protocol the engine does not translate (e.g. GRE, SCTP).
    UnsupportedProtocol,
    /// IPv6 traffic while IPv6 masquerading is not enabled.
    Ipv6Disabled,
    /// An ICMP type the engine does not relay from the LAN (e.g. a router advertisement).
    UnsupportedIcmp,
    /// Source is not a LAN address we serve (spoofed, or from the wrong interface).
    NotFromLan,
    /// Destination is not something to masquerade toward (multicast, broadcast, loopback, LAN).
    BadDestination,
    /// The global flow cap was reached.
    FlowCapGlobal,
    /// The per-LAN-host flow cap was reached.
    FlowCapPerHost,
    /// A packet for a flow that does not exist (answered with RST for TCP).
    NoState,
    /// A TCP segment outside the receive window, or otherwise unacceptable in its state.
    OutOfWindow,
    /// A segment with no room left in the flow's buffer (the LAN host ignored our window).
    BufferFull,
    /// An uplink datagram from a remote the mapping never sent to (filtering).
    Filtered,
    /// A TTL that ran out at the gateway (answered with ICMP time exceeded).
    TtlExpired,
    /// A socket event for a socket the engine no longer knows (closed meanwhile).
    StaleSocket,
    /// A UDP datagram beyond the hidden host's rate limit (`client_limits`), or a hidden
    /// host's ICMP error beyond the budget for errors relayed to the internet.
    RateLimited,
}

/// Monotonic counters since the engine started.
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
    /// Packets the shell could not write to the adapter (reported with
    /// `Engine::handle_tun_write_failed`).
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
    /// ICMP errors of the gateway's own not sent because they exceeded the rate limit
    /// (1000/s, burst 50; `icmp_budget.rs`).
    pub icmp_errors_suppressed: u64,
    /// IPv4 datagrams from the LAN put back together from fragments.
    pub datagrams_reassembled: u64,
    /// LAN packets to the gateway's own public address, relayed back in (hairpinning).
    pub hairpinned_packets: u64,
    /// Drops by reason.
    pub drops: BTreeMap<DropReason, u64>,
}

impl Counters {
    /// Counts one drop.
    pub fn drop(&mut self, reason: DropReason) {
        *self.drops.entry(reason).or_insert(0) += 1;
    }

    /// How many drops of one kind.
    pub fn drops_of(&self, reason: DropReason) -> u64 {
        self.drops.get(&reason).copied().unwrap_or(0)
    }
}
