//! The engine's output queues, lent to one flow at a time while it handles an input.

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::command::SocketCommand;
use crate::ip_idents::IpIdents;
use crate::offload::{Segmentation, TunPacket};
use crate::stats::{Counters, DropReason};
use crate::tcp::buffers::BufferBudget;
use crate::wire::{emit, udp_super};

/// Where a flow puts the packets and commands it produces.
pub(crate) struct Out<'a> {
    pub tun: &'a mut VecDeque<TunPacket>,
    pub cmds: &'a mut VecDeque<SocketCommand>,
    pub counters: &'a mut Counters,
    pub pool: &'a mut Vec<Vec<u8>>,
    /// The adapter cuts UDP super-datagrams: consecutive datagrams of a flow may be joined.
    pub udp_offload: bool,
    /// Identifications for datagrams that must be fragmented toward the LAN.
    pub ip_idents: &'a mut IpIdents,
    /// What TCP flows' buffers may still grow by, all flows together.
    pub buffers: &'a mut BufferBudget,
}

impl Out<'_> {
    /// Queues a packet toward the LAN; a builder's `None` (impossible input) is counted.
    pub(crate) fn packet(&mut self, packet: Option<Vec<u8>>) {
        match packet {
            Some(p) => {
                self.counters.tun_packets_out += 1;
                self.counters.tun_bytes_out += p.len() as u64;
                self.tun.push_back(TunPacket {
                    data: p,
                    segmentation: None,
                });
            }
            None => self.counters.drop(DropReason::Malformed),
        }
    }

    /// Queues a super-segment the OS will split (see [`crate::offload`]).
    pub(crate) fn segmented(&mut self, packet: Option<(Vec<u8>, Segmentation)>) {
        match packet {
            Some((p, seg)) => {
                let segments = (p.len().saturating_sub(usize::from(seg.header_len)))
                    .div_ceil(usize::from(seg.segment_size).max(1));
                self.counters.tun_packets_out += segments as u64;
                self.counters.tun_bytes_out += p.len() as u64;
                self.tun.push_back(TunPacket {
                    data: p,
                    segmentation: Some(seg),
                });
            }
            None => self.counters.drop(DropReason::Malformed),
        }
    }

    /// Queues a datagram from `src` (the remote) to `dst` (the LAN host): joined to the packet
    /// queued just before when that is one of the same flow and the adapter can cut it back
    /// ([`crate::wire::udp_super`]), else as its own packet, or as IPv4 fragments when it
    /// exceeds `mtu` (identified uniquely for the pair, [`IpIdents`]).
    pub(crate) fn udp(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8], mtu: u16) {
        let ip_header = if src.is_ipv6() { 40 } else { 20 };
        if self.udp_offload
            && ip_header + 8 + payload.len() <= usize::from(mtu)
            && self
                .tun
                .back_mut()
                .is_some_and(|tail| udp_super::try_append(tail, src, dst, payload))
        {
            self.counters.tun_packets_out += 1;
            self.counters.tun_bytes_out += payload.len() as u64;
            return;
        }
        let ident = if ip_header + 8 + payload.len() > usize::from(mtu) {
            self.ip_idents.next(src.ip(), dst.ip())
        } else {
            0
        };
        match emit::udp(src, dst, payload, mtu, ident) {
            Some(fragments) => fragments.into_iter().for_each(|f| self.packet(Some(f))),
            None => self.counters.drop(DropReason::BufferFull),
        }
    }

    /// An empty buffer for a large packet, recycled when the shell returned one.
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    /// Queues a socket command.
    pub(crate) fn cmd(&mut self, cmd: SocketCommand) {
        self.cmds.push_back(cmd);
    }
}
