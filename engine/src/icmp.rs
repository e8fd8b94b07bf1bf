//! ICMP echo mappings: a hidden host's pings relayed through an unprivileged ICMP socket
//! (RFC 5508: the echo identifier plays the role of a port).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::command::{Family, IcmpErrorReport, SocketCommand};
use crate::flow::SocketId;
use crate::out::Out;
use crate::stats::DropReason;
use crate::wire::emit;

/// Echo requests held while the socket opens.
const PENDING_MAX: usize = 8;

/// One hidden host's echo identifier and the socket that carries it.
#[derive(Debug)]
pub(crate) struct EchoMapping {
    lan_ip: IpAddr,
    ident: u16,
    socket: SocketId,
    gateway: Option<SocketAddr>,
    pending: Vec<(IpAddr, u16, u8, Vec<u8>)>,
    last_activity: Instant,
    last_remote: Option<IpAddr>,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub packets_out: u64,
    pub packets_in: u64,
}

impl EchoMapping {
    pub(crate) fn open(
        now: Instant,
        lan_ip: IpAddr,
        ident: u16,
        socket: SocketId,
        out: &mut Out<'_>,
    ) -> Self {
        out.cmd(SocketCommand::IcmpOpen {
            id: socket,
            family: Family::of(lan_ip),
        });
        EchoMapping {
            lan_ip,
            ident,
            socket,
            gateway: None,
            pending: Vec::new(),
            last_activity: now,
            last_remote: None,
            bytes_out: 0,
            bytes_in: 0,
            packets_out: 0,
            packets_in: 0,
        }
    }

    pub(crate) fn socket(&self) -> SocketId {
        self.socket
    }
    pub(crate) fn gateway(&self) -> Option<SocketAddr> {
        self.gateway
    }
    pub(crate) fn last_remote(&self) -> Option<IpAddr> {
        self.last_remote
    }
    pub(crate) fn last_activity(&self) -> Instant {
        self.last_activity
    }

    pub(crate) fn on_request(
        &mut self,
        now: Instant,
        dst: IpAddr,
        seq: u16,
        ttl: u8,
        payload: &[u8],
        out: &mut Out<'_>,
    ) {
        self.last_activity = now;
        self.last_remote = Some(dst);
        self.packets_out += 1;
        self.bytes_out += payload.len() as u64;
        if self.gateway.is_none() {
            if self.pending.len() < PENDING_MAX {
                self.pending.push((dst, seq, ttl, payload.to_vec()));
            } else {
                out.counters.drop(DropReason::BufferFull);
            }
            return;
        }
        out.cmd(SocketCommand::IcmpEchoSend {
            id: self.socket,
            dst,
            seq,
            ttl,
            payload: payload.to_vec(),
        });
    }

    pub(crate) fn on_opened(&mut self, local: SocketAddr, out: &mut Out<'_>) {
        self.gateway = Some(local);
        // Taken, not drained: the emptied queue would keep its allocation.
        for (dst, seq, ttl, payload) in std::mem::take(&mut self.pending) {
            out.cmd(SocketCommand::IcmpEchoSend {
                id: self.socket,
                dst,
                seq,
                ttl,
                payload,
            });
        }
    }

    pub(crate) fn on_reply(
        &mut self,
        now: Instant,
        from: IpAddr,
        seq: u16,
        payload: &[u8],
        out: &mut Out<'_>,
    ) {
        self.last_activity = now;
        self.packets_in += 1;
        self.bytes_in += payload.len() as u64;
        out.packet(emit::echo_reply(
            from,
            self.lan_ip,
            self.ident,
            seq,
            payload,
        ));
    }

    /// An ICMP error about one of our echo requests (traceroute -I): relay it with the
    /// request quoted as the host sent it (its own identifier, not the socket's).
    pub(crate) fn on_icmp_error(&mut self, report: &IcmpErrorReport, out: &mut Out<'_>) {
        let dst = report.original_dst.ip();
        // The OS returns the ICMP header we sent; its sequence number is at bytes 6..8.
        let seq = report
            .payload
            .get(6..8)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
        let body = report.payload.get(8..).unwrap_or(&[]);
        let body = &body[..body.len().min(64)];
        let (ty, proto) = match self.lan_ip {
            IpAddr::V4(_) => (8u8, etherparse::IpNumber::ICMP),
            IpAddr::V6(_) => (128u8, etherparse::IpNumber::IPV6_ICMP),
        };
        let mut icmp = vec![ty, 0, 0, 0];
        icmp.extend_from_slice(&self.ident.to_be_bytes());
        icmp.extend_from_slice(&seq.to_be_bytes());
        icmp.extend_from_slice(body);
        if matches!(self.lan_ip, IpAddr::V4(_)) {
            let c = crate::wire::checksum::fold(crate::wire::checksum::sum(&icmp));
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
        }
        let quote = emit::reconstruct_quote(self.lan_ip, dst, proto, &icmp, icmp.len());
        out.packet(
            quote.and_then(|q| emit::icmp_error(report.offender, self.lan_ip, report.kind, &q)),
        );
    }
}
