//! The engine's output queues, lent to one flow at a time while it handles an input.

use std::collections::VecDeque;

use crate::command::SocketCommand;
use crate::stats::{Counters, DropReason};

/// Where a flow puts the packets and commands it produces.
pub(crate) struct Out<'a> {
    pub tun: &'a mut VecDeque<Vec<u8>>,
    pub cmds: &'a mut VecDeque<SocketCommand>,
    pub counters: &'a mut Counters,
}

impl Out<'_> {
    /// Queues a packet toward the LAN; a builder's `None` (impossible input) is counted.
    pub(crate) fn packet(&mut self, packet: Option<Vec<u8>>) {
        match packet {
            Some(p) => {
                self.counters.tun_packets_out += 1;
                self.counters.tun_bytes_out += p.len() as u64;
                self.tun.push_back(p);
            }
            None => self.counters.drop(DropReason::Malformed),
        }
    }

    /// Queues a socket command.
    pub(crate) fn cmd(&mut self, cmd: SocketCommand) {
        self.cmds.push_back(cmd);
    }
}
