//! Opening a relayed connection, both ways.
//!
//! Outbound (the hidden host connects): its SYN is held while the shell connects upstream,
//! and answered only with the outcome, so the host sees what a direct path would have shown
//! it: a SYN-ACK, a RST (refused) or an ICMP error (unreachable, timed out).
//!
//! Inbound (a port forward accepted a connection): our SYN goes to the hidden host from the
//! remote's own address; the shell reads nothing from the socket until the host answered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tracing::trace;

use super::flow::{Ends, HANDSHAKE_RTO, HandshakeTimer, State, TcpFlow, shift_for};
use crate::command::{ConnectError, IcmpErrorKind, IcmpErrorReport, SocketCommand};
use crate::config::{ConnectTimeoutReply, TcpConfig};
use crate::flow::SocketId;
use crate::out::Out;
use crate::stats::DropReason;
use crate::wire::TcpSegment;
use crate::wire::emit::{self, TcpOut};

/// What the engine knows when a port forward accepted a connection.
pub(crate) struct TcpAcceptInit {
    pub ends: Ends,
    pub iss: u32,
    pub tun_mtu: u16,
    /// The adapter splits super-segments for us (see [`crate::offload`]).
    pub offload: bool,
}

/// What the engine knows when a SYN opens a flow.
pub(crate) struct TcpInit<'a> {
    pub lan: SocketAddr,
    pub remote: SocketAddr,
    pub socket: SocketId,
    pub gateway_ip: std::net::IpAddr,
    pub syn: &'a TcpSegment<'a>,
    /// The SYN as the LAN host sent it (quoted in ICMP errors about it).
    pub syn_packet: &'a [u8],
    pub ttl: u8,
    pub iss: u32,
    pub tun_mtu: u16,
    /// The adapter splits super-segments for us (see [`crate::offload`]).
    pub offload: bool,
    /// The gateway port the LAN endpoint's other connections leave from, if any.
    pub local_port: Option<u16>,
}

impl TcpFlow {
    /// Creates the flow for a SYN and asks the shell to connect upstream.
    pub(crate) fn open(
        now: Instant,
        init: TcpInit<'_>,
        cfg: Arc<TcpConfig>,
        out: &mut Out<'_>,
    ) -> TcpFlow {
        let state = State::Connecting {
            deadline: now + cfg.connect_timeout,
        };
        let mut flow = TcpFlow::new(
            now,
            Ends {
                lan: init.lan,
                remote: init.remote,
                socket: init.socket,
                gateway_ip: init.gateway_ip,
            },
            init.iss,
            init.tun_mtu,
            init.offload,
            cfg,
            state,
        );
        flow.learn_syn(init.syn);
        let quote_len = init.syn_packet.len().min(128);
        flow.syn_quote = init.syn_packet[..quote_len].to_vec();
        flow.packets_out = 1;
        out.cmd(SocketCommand::TcpConnect {
            id: flow.socket,
            remote: flow.remote,
            ttl: init.ttl,
            mss: flow.our_mss,
            local_port: init.local_port,
        });
        flow
    }

    /// Creates the flow for a connection a port forward accepted and opens it toward the
    /// hidden host: the SYN comes from the remote's own address, so the server sees who
    /// connects. The shell reads nothing from the socket until the host has answered.
    pub(crate) fn accept(
        now: Instant,
        init: TcpAcceptInit,
        cfg: Arc<TcpConfig>,
        out: &mut Out<'_>,
    ) -> TcpFlow {
        let state = State::SynSent {
            deadline: now + cfg.handshake_timeout,
        };
        let mut flow = TcpFlow::new(
            now,
            init.ends,
            init.iss,
            init.tun_mtu,
            init.offload,
            cfg,
            state,
        );
        // Offer everything; the host's SYN-ACK decides what is used.
        flow.rcv_shift = shift_for(flow.cfg.max_buffer_bytes);
        flow.send_syn(out);
        flow.handshake_timer = Some(HandshakeTimer {
            at: now + HANDSHAKE_RTO.max(flow.cfg.rto_min),
            sent: now,
            retries: 0,
        });
        flow
    }

    /// The upstream connect succeeded: answer the SYN.
    pub(crate) fn on_connected(&mut self, now: Instant, out: &mut Out<'_>) {
        let State::Connecting { .. } = self.state else {
            return;
        };
        self.last_activity = now;
        self.state = State::SynReceived {
            deadline: now + self.cfg.handshake_timeout,
        };
        self.rx.open();
        self.send_syn_ack(out);
        self.handshake_timer = Some(HandshakeTimer {
            at: now + HANDSHAKE_RTO.max(self.cfg.rto_min),
            sent: now,
            retries: 0,
        });
    }

    /// The upstream connect failed: tell the hidden host what a direct path would have told it.
    pub(crate) fn on_connect_failed(
        &mut self,
        now: Instant,
        error: ConnectError,
        icmp: Option<&IcmpErrorReport>,
        out: &mut Out<'_>,
    ) {
        if !matches!(self.state, State::Connecting { .. }) {
            return;
        }
        self.last_activity = now;
        self.answer_failed_syn(error, icmp, out);
        self.close(out);
    }

    /// Tells the hidden host why its SYN got nowhere. A router's ICMP error that the OS
    /// queued wins over the gateway's own generic answer, whatever errno came with it: with
    /// `traceroute -T` the host must see each hop's time exceeded from that hop.
    pub(super) fn answer_failed_syn(
        &mut self,
        error: ConnectError,
        icmp: Option<&IcmpErrorReport>,
        out: &mut Out<'_>,
    ) {
        let from_gateway = |kind| Some((self.gateway_ip, kind));
        let reply = match (error, icmp) {
            (ConnectError::Refused, _) => None,
            (ConnectError::Prohibited, _) => from_gateway(IcmpErrorKind::AdminProhibited),
            (_, Some(r)) => Some((r.offender, r.kind)),
            (ConnectError::HostUnreachable | ConnectError::Other, None) => {
                from_gateway(IcmpErrorKind::HostUnreachable)
            }
            (ConnectError::NetUnreachable, None) => from_gateway(IcmpErrorKind::NetUnreachable),
            (ConnectError::TimedOut, None) => match self.cfg.connect_timeout_reply {
                ConnectTimeoutReply::Silence => return,
                ConnectTimeoutReply::HostUnreachable => {
                    from_gateway(IcmpErrorKind::HostUnreachable)
                }
            },
        };
        match reply {
            None => self.send_rst_for_syn(out),
            Some((src, kind)) => {
                out.packet(emit::icmp_error(src, self.lan.ip(), kind, &self.syn_quote))
            }
        }
    }

    pub(super) fn on_segment_syn_received(
        &mut self,
        now: Instant,
        seg: &TcpSegment<'_>,
        out: &mut Out<'_>,
    ) {
        if seg.flags.rst {
            if seg.seq == self.rx.wire(0) {
                self.abort(out);
            }
            return;
        }
        if seg.flags.syn {
            if seg.seq == self.irs {
                // Our SYN-ACK was lost: say it again, same ISS.
                self.send_syn_ack(out);
            }
            return;
        }
        if !seg.flags.ack || seg.ack != self.tx.wire(0) {
            out.counters.drop(DropReason::OutOfWindow);
            return;
        }
        self.last_activity = now;
        self.established(now, u64::from(seg.window) << self.snd_shift);
        self.syn_quote = Vec::new();
        self.grant_credit(self.cfg.buffer_bytes, true, out);
        if !seg.payload.is_empty() || seg.flags.fin {
            self.on_segment_established(now, seg, out);
        }
    }

    /// The hidden host's answer to the SYN we sent for a forwarded connection.
    pub(super) fn on_segment_syn_sent(
        &mut self,
        now: Instant,
        seg: &TcpSegment<'_>,
        out: &mut Out<'_>,
    ) {
        let expected = self.tx.wire(0);
        if seg.flags.ack && seg.ack != expected {
            // RFC 9293 3.10.7.3: an unacceptable ACK gets a RST (unless it is one).
            out.counters.drop(DropReason::OutOfWindow);
            if !seg.flags.rst {
                let h = TcpOut {
                    seq: seg.ack,
                    rst: true,
                    ..TcpOut::default()
                };
                out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
                self.packets_in += 1;
            }
            return;
        }
        if seg.flags.rst {
            if seg.flags.ack {
                // Nothing listens on the host's port: the remote gets a reset too.
                trace!("hidden host refused a forwarded connection");
                self.abort(out);
            }
            return;
        }
        if !(seg.flags.syn && seg.flags.ack) {
            // A bare SYN (simultaneous open) or stray segment: not something a server sends.
            out.counters.drop(DropReason::NoState);
            return;
        }
        // Our SYN offered scaling and SACK: what the SYN-ACK echoes is used.
        self.learn_syn(seg);
        self.last_activity = now;
        self.established(now, u64::from(seg.window));
        self.rx.open();
        self.send_ack(now, out);
        self.grant_credit(self.cfg.buffer_bytes, true, out);
    }

    /// The three-way handshake completed: its round trip is the first RTT sample (unless
    /// the SYN or SYN-ACK had to be resent, Karn's rule).
    fn established(&mut self, now: Instant, window: u64) {
        let rtt = self
            .handshake_timer
            .take()
            .filter(|t| t.retries == 0)
            .map(|t| now.saturating_duration_since(t.sent));
        self.tx.on_established(now, rtt, window);
        self.state = State::Established;
    }

    /// Our SYN or SYN-ACK was not answered in time: send it again, doubling the wait.
    pub(super) fn on_handshake_timeout(&mut self, now: Instant, out: &mut Out<'_>) {
        let Some(mut t) = self.handshake_timer else {
            return;
        };
        match self.state {
            State::SynReceived { .. } => self.send_syn_ack(out),
            State::SynSent { .. } => self.send_syn(out),
            _ => {
                self.handshake_timer = None;
                return;
            }
        }
        out.counters.tcp_retransmits += 1;
        t.retries += 1;
        let wait = HANDSHAKE_RTO
            .max(self.cfg.rto_min)
            .saturating_mul(1 << t.retries.min(16))
            .min(self.cfg.rto_max);
        t.at = now + wait;
        self.handshake_timer = Some(t);
    }

    fn send_syn_ack(&mut self, out: &mut Out<'_>) {
        let h = TcpOut {
            seq: self.iss,
            ack: Some(self.irs.wrapping_add(1)),
            syn: true,
            window: self.rx.syn_window(),
            mss: Some(self.our_mss),
            wscale: (self.rcv_shift > 0 || self.snd_shift > 0).then_some(self.rcv_shift),
            sack_permitted: self.sack_ok,
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
    }

    /// Our SYN toward the hidden host for a forwarded connection, offering what we support.
    fn send_syn(&mut self, out: &mut Out<'_>) {
        // The window in a SYN is never scaled; with scaling offered it may still be 64 KiB.
        let window = u16::try_from(self.cfg.buffer_bytes.min(65_535)).unwrap_or(u16::MAX);
        let h = TcpOut {
            seq: self.iss,
            ack: None,
            syn: true,
            window,
            mss: Some(self.our_mss),
            wscale: Some(self.rcv_shift),
            sack_permitted: true,
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
    }

    fn send_rst_for_syn(&mut self, out: &mut Out<'_>) {
        let h = TcpOut {
            seq: 0,
            ack: Some(self.irs.wrapping_add(1)),
            rst: true,
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
    }
}
