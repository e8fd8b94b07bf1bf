//! Segmentation offload metadata: how a super-segment for the adapter must be cut, and what
//! the OS vouches for about a packet read from it. The engine fills and reads these; the OS
//! layer turns them into (and out of) a virtio-net header or the like.

/// Which transport the OS cuts: it decides how each piece's header is fixed up (TCP
/// sequence numbers and flags; UDP lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// A TCP super-segment (Linux `SKB_GSO_TCPV4`/`TCPV6`).
    Tcp,
    /// Back-to-back UDP datagrams of one flow (Linux `SKB_GSO_UDP_L4`).
    Udp,
}

/// How the OS must split a super-segment the engine emitted.
///
/// The packet's transport checksum field holds only the pseudo-header sum (a partial
/// checksum, as for `CHECKSUM_PARTIAL` in Linux); the OS completes it for every piece it cuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segmentation {
    /// TCP or UDP.
    pub kind: SegmentKind,
    /// Payload bytes per piece on the wire (the LAN host's MSS; for UDP, the size of every
    /// datagram but the last).
    pub segment_size: u16,
    /// Length of the IP and transport headers that every piece repeats.
    pub header_len: u16,
    /// Where checksumming starts: the TCP header's offset in the packet.
    pub csum_start: u16,
    /// Offset of the checksum field from `csum_start` (16 for TCP, 6 for UDP).
    pub csum_offset: u16,
    /// IPv6 (else IPv4), for the OS's segmentation type.
    pub ipv6: bool,
}

/// A packet for the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunPacket {
    /// The IP packet.
    pub data: Vec<u8>,
    /// `Some` for a super-segment the OS must split; `None` for a complete packet.
    pub segmentation: Option<Segmentation>,
}

/// What the shell knows about a packet it read from the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxMeta {
    /// The OS vouches for the transport checksum (already verified, or not yet computed for
    /// a packet that never left this machine): skip verifying it.
    pub checksum_trusted: bool,
}
