//! The engine's output queues, lent to one flow at a time while it handles an input.

use std::collections::VecDeque;

use crate::command::SocketCommand;
use crate::offload::{TcpSegmentation, TunPacket};
use crate::stats::{Counters, DropReason};

/// Where a flow puts the packets and commands it produces.
pub(crate) struct Out<'a> {
    pub tun: &'a mut VecDeque<TunPacket>,
    pub cmds: &'a mut VecDeque<SocketCommand>,
    pub counters: &'a mut Counters,
    pub pool: &'a mut Vec<Vec<u8>>,
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
    pub(crate) fn segmented(&mut self, packet: Option<(Vec<u8>, TcpSegmentation)>) {
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

    /// An empty buffer for a large packet, recycled when the shell returned one.
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    /// Queues a socket command.
    pub(crate) fn cmd(&mut self, cmd: SocketCommand) {
        self.cmds.push_back(cmd);
    }
}
