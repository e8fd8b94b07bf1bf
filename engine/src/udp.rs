//! UDP mappings: one uplink socket per hidden endpoint (endpoint-independent mapping,
//! RFC 4787 REQ-1), with configurable filtering of what may come back (REQ-8).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::command::{IcmpErrorReport, SocketCommand};
use crate::config::{UdpConfig, UdpFiltering};
use crate::flow::SocketId;
use crate::out::Out;
use crate::stats::DropReason;
use crate::wire::emit;

/// Datagrams held while the socket is being opened; a burst beyond this is dropped, as a
/// router's queue would.
const PENDING_MAX: usize = 32;
/// Remote endpoints remembered per mapping for filtering; the least recently used is
/// forgotten beyond this (bounds memory for a host that sprays many destinations).
const PEERS_MAX: usize = 512;

/// The remote endpoints a mapping has sent to, for filtering what comes back: sorted by
/// address, so the usual single peer (a DNS server, a game server) costs one small allocation
/// instead of a tree node sized for eleven.
#[derive(Debug, Default)]
struct Peers(Vec<(SocketAddr, Instant)>);

impl Peers {
    /// Remembers `peer` as contacted at `now`, forgetting the least recently contacted one
    /// beyond [`PEERS_MAX`].
    fn touch(&mut self, peer: SocketAddr, now: Instant) {
        match self.0.binary_search_by(|(p, _)| p.cmp(&peer)) {
            Ok(i) => self.0[i].1 = now,
            Err(i) => {
                if self.0.len() >= PEERS_MAX
                    && let Some(oldest) = (0..self.0.len()).min_by_key(|&j| self.0[j].1)
                {
                    self.0.remove(oldest);
                    self.0
                        .insert(if oldest < i { i - 1 } else { i }, (peer, now));
                    return;
                }
                if self.0.capacity() == 0 {
                    self.0.reserve_exact(1);
                }
                self.0.insert(i, (peer, now));
            }
        }
    }

    fn has(&self, peer: SocketAddr) -> bool {
        self.0.binary_search_by(|(p, _)| p.cmp(&peer)).is_ok()
    }

    fn has_address(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(p, _)| p.ip() == ip)
    }
}

/// How the gateway's socket must send one of the host's datagrams.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendAs {
    pub dst: SocketAddr,
    /// The host's TTL (already lowered by the gateway's hop).
    pub ttl: u8,
    /// The host forbade fragmenting it (`SocketCommand::UdpSend`).
    pub dont_fragment: bool,
}

/// One hidden UDP endpoint's mapping.
#[derive(Debug)]
pub(crate) struct UdpMapping {
    lan: SocketAddr,
    socket: SocketId,
    gateway: Option<SocketAddr>,
    /// Remote endpoints the host sent to, with when it last did.
    peers: Peers,
    /// Remotes whose datagrams were delivered last.
    recent_senders: RecentSenders,
    /// Datagrams sent before the socket was open.
    pending: Vec<(SendAs, Vec<u8>)>,
    last_out: Instant,
    last_activity: Instant,
    last_remote: Option<SocketAddr>,
    failed: bool,
    /// The socket is a port forward's: it lives as long as the forward, and anyone may send.
    forwarded: bool,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub packets_out: u64,
    pub packets_in: u64,
}

/// The last few remotes whose datagrams a mapping delivered to its host, newest last: only an
/// error quoting one of them may go back out (RFC 5508 REQ-5). Endpoint-independent filtering
/// and port forwards admit anyone, so the filter alone would let a LAN host aim the gateway's
/// errors at any internet host with a forged quote. Empty (no allocation) until something
/// arrives.
#[derive(Debug, Default)]
struct RecentSenders(Vec<SocketAddr>);

/// How many senders a mapping remembers: a host's error follows the datagram at once.
const RECENT_SENDERS: usize = 4;

impl RecentSenders {
    fn record(&mut self, from: SocketAddr) {
        if self.0.last() == Some(&from) {
            return;
        }
        self.0.retain(|s| *s != from);
        if self.0.len() >= RECENT_SENDERS {
            self.0.remove(0);
        }
        self.0.push(from);
    }

    fn contains(&self, from: SocketAddr) -> bool {
        self.0.contains(&from)
    }
}

/// What the engine should do with an inbound datagram.
pub(crate) enum Inbound {
    /// Delivered to the hidden host.
    Delivered,
    /// Dropped by the mapping's filter: log it as a refused inbound attempt.
    Filtered,
}

impl UdpMapping {
    /// Creates the mapping and asks for its socket.
    pub(crate) fn open(now: Instant, lan: SocketAddr, socket: SocketId, out: &mut Out<'_>) -> Self {
        out.cmd(SocketCommand::UdpOpen {
            id: socket,
            family: crate::command::Family::of(lan.ip()),
        });
        UdpMapping::open_quietly(now, lan, socket)
    }

    fn open_quietly(now: Instant, lan: SocketAddr, socket: SocketId) -> Self {
        UdpMapping {
            lan,
            socket,
            gateway: None,
            peers: Peers::default(),
            recent_senders: RecentSenders::default(),
            pending: Vec::new(),
            last_out: now,
            last_activity: now,
            last_remote: None,
            failed: false,
            forwarded: false,
            bytes_out: 0,
            bytes_in: 0,
            packets_out: 0,
            packets_in: 0,
        }
    }

    /// Creates the mapping of a UDP port forward's target and asks for its socket on the
    /// forward's public port. Datagrams from anyone are delivered; the host's replies leave
    /// from that port.
    pub(crate) fn listen(
        now: Instant,
        lan: SocketAddr,
        socket: SocketId,
        port: u16,
        out: &mut Out<'_>,
    ) -> Self {
        out.cmd(SocketCommand::UdpListen {
            id: socket,
            family: crate::command::Family::of(lan.ip()),
            port,
        });
        let mut m = UdpMapping::open_quietly(now, lan, socket);
        m.forwarded = true;
        m
    }

    pub(crate) fn is_forwarded(&self) -> bool {
        self.forwarded
    }

    pub(crate) fn socket(&self) -> SocketId {
        self.socket
    }

    pub(crate) fn gateway(&self) -> Option<SocketAddr> {
        self.gateway
    }

    pub(crate) fn last_remote(&self) -> Option<SocketAddr> {
        self.last_remote
    }

    pub(crate) fn last_activity(&self) -> Instant {
        self.last_activity
    }

    /// Mappings live until `mapping_timeout` after the last outbound datagram (REQ-6: only
    /// outbound refreshes, so a remote cannot keep a mapping open by itself).
    /// A forward's mapping never expires by itself (`None`).
    pub(crate) fn expires(&self, cfg: &UdpConfig) -> Option<Instant> {
        (!self.forwarded).then(|| self.last_out + cfg.mapping_timeout)
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.failed
    }

    /// A datagram from the hidden host.
    pub(crate) fn on_outbound(
        &mut self,
        now: Instant,
        to: SendAs,
        payload: &[u8],
        out: &mut Out<'_>,
    ) {
        let dst = to.dst;
        self.last_out = now;
        self.last_activity = now;
        self.last_remote = Some(dst);
        self.packets_out += 1;
        self.bytes_out += payload.len() as u64;
        self.peers.touch(dst, now);
        if self.gateway.is_none() {
            if self.pending.len() < PENDING_MAX {
                self.pending.push((to, payload.to_vec()));
            } else {
                out.counters.drop(DropReason::BufferFull);
            }
            return;
        }
        out.cmd(SocketCommand::UdpSend {
            id: self.socket,
            dst,
            ttl: to.ttl,
            dont_fragment: to.dont_fragment,
            payload: payload.to_vec(),
        });
    }

    /// The socket is open: flush what waited.
    pub(crate) fn on_opened(&mut self, local: SocketAddr, out: &mut Out<'_>) {
        self.gateway = Some(local);
        // Taken, not drained: the emptied queue would keep its allocation for the mapping's
        // whole life.
        for (to, payload) in std::mem::take(&mut self.pending) {
            out.cmd(SocketCommand::UdpSend {
                id: self.socket,
                dst: to.dst,
                ttl: to.ttl,
                dont_fragment: to.dont_fragment,
                payload,
            });
        }
    }

    /// The socket could not be opened: the mapping is dead; tell the host per datagram.
    pub(crate) fn on_open_failed(&mut self, gateway_ip: IpAddr, out: &mut Out<'_>) {
        self.failed = true;
        for (to, payload) in std::mem::take(&mut self.pending) {
            let quote = udp_quote(self.lan, to.dst, &payload);
            out.packet(quote.and_then(|q| {
                emit::icmp_error(
                    gateway_ip,
                    self.lan.ip(),
                    crate::IcmpErrorKind::NetUnreachable,
                    &q,
                )
            }));
        }
    }

    /// Whether the filter lets datagrams from `from` in (RFC 4787 REQ-8).
    fn admits(&self, from: SocketAddr, cfg: &UdpConfig) -> bool {
        self.forwarded
            || match cfg.filtering {
                UdpFiltering::EndpointIndependent => true,
                UdpFiltering::AddressDependent => self.peers.has_address(from.ip()),
                UdpFiltering::AddressAndPortDependent => self.peers.has(from),
            }
    }

    /// The gateway endpoint a datagram from `remote` came in through, if this mapping
    /// delivered one lately: an error the host sends about it may go back to `remote` from
    /// there (RFC 5508 REQ-5). `None` for anything else, whatever the filter would admit.
    pub(crate) fn delivered_from(&self, remote: SocketAddr) -> Option<SocketAddr> {
        self.gateway
            .filter(|g| !g.ip().is_unspecified() && self.recent_senders.contains(remote))
    }

    /// A datagram arrived on the uplink socket.
    pub(crate) fn on_inbound(
        &mut self,
        now: Instant,
        from: SocketAddr,
        payload: &[u8],
        cfg: &UdpConfig,
        mtu: u16,
        out: &mut Out<'_>,
    ) -> Inbound {
        if !self.admits(from, cfg) {
            out.counters.drop(DropReason::Filtered);
            return Inbound::Filtered;
        }
        self.last_activity = now;
        self.packets_in += 1;
        self.bytes_in += payload.len() as u64;
        self.recent_senders.record(from);
        out.udp(from, self.lan, payload, mtu);
        Inbound::Delivered
    }

    /// An ICMP error about a datagram we sent: relay it to the host, quoting its datagram.
    pub(crate) fn on_icmp_error(&mut self, report: &IcmpErrorReport, out: &mut Out<'_>) {
        let quote = udp_quote(self.lan, report.original_dst, &report.payload);
        out.packet(
            quote.and_then(|q| emit::icmp_error(report.offender, self.lan.ip(), report.kind, &q)),
        );
    }
}

/// The LAN host's view of a datagram it sent: its own addresses, for an ICMP error quote.
fn udp_quote(lan: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Option<Vec<u8>> {
    let mut transport = emit::udp_header_bytes(lan.port(), dst.port(), payload.len()).to_vec();
    transport.extend_from_slice(&payload[..payload.len().min(64)]);
    emit::reconstruct_quote(
        lan.ip(),
        dst.ip(),
        etherparse::IpNumber::UDP,
        &transport,
        8 + payload.len(),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn peer(i: u32) -> SocketAddr {
        SocketAddr::from(([198, 51, (i >> 8) as u8, i as u8], 5000 + (i % 7) as u16))
    }

    #[test]
    fn peers_stay_sorted_and_bounded_and_forget_the_least_recent() {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        let t0 = Instant::now();
        let mut peers = Peers::default();
        // Contacted in a scrambled order; peer 0 again near the end, so peer 1 is the oldest.
        let order: Vec<u32> = (0..PEERS_MAX as u32)
            .map(|i| (i * 37) % PEERS_MAX as u32)
            .collect();
        for (t, &i) in order.iter().enumerate() {
            peers.touch(peer(i), t0 + Duration::from_millis(t as u64));
        }
        peers.touch(peer(0), t0 + Duration::from_secs(10));
        let oldest = order[1];
        peers.touch(peer(9999), t0 + Duration::from_secs(11));
        assert_eq!(peers.0.len(), PEERS_MAX);
        assert!(peers.0.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
        assert!(
            !peers.has(peer(oldest)),
            "the least recently contacted went"
        );
        assert!(peers.has(peer(9999)) && peers.has(peer(0)));
        assert!(peers.has_address(peer(9999).ip()));
        assert!(!peers.has_address("203.0.113.1".parse().expect("address")));
    }
}
