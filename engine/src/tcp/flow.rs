//! One relayed TCP connection: its life from SYN to TIME_WAIT, and the glue between the LAN
//! host's segments, the uplink socket's events and the two directions.
//!
//! Up (LAN → remote, [`Receiver`]): in-order bytes are handed to the shell at once
//! (`TcpSend`); the window is what the shell has not yet confirmed written.
//!
//! Down (remote → LAN, [`Sender`]): the shell reads only with credit (`TcpReadCredit`); what
//! it reads stays in the sender until the LAN host acknowledges it, which makes that buffer
//! the retransmission store. Credit is returned as the LAN acknowledges, so the kernel's
//! receive buffer, and with it the remote, is slowed when the hidden host is slow.
//!
//! The handshake (SYN held until the upstream connect succeeds, SYN-ACK, forwarded
//! connections' SYN toward the host) is in [`super::handshake`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::trace;

use super::recv::{AckNeed, Receiver};
use super::send::{AckIn, AckResult, SendStats, Sender, SenderConfig, TimerResult, Transmit};
use crate::command::{ConnectError, IcmpErrorReport, SocketCommand};
use crate::config::TcpConfig;
use crate::flow::SocketId;
use crate::offload::MAX_SUPER_PAYLOAD;
use crate::out::Out;
use crate::snapshot::TcpFlowStats;
use crate::stats::{Counters, DropReason};
use crate::wire::TcpSegment;
use crate::wire::emit::{self, TcpOut};

/// Credit is returned to the shell in chunks of at least this much, to keep commands few.
const CREDIT_CHUNK: usize = 16 * 1024;

/// Who a flow connects: the same four facts whichever side opened it.
pub(crate) struct Ends {
    /// The hidden host's endpoint.
    pub lan: SocketAddr,
    /// The remote peer's endpoint (the source the hidden host sees).
    pub remote: SocketAddr,
    /// The uplink socket.
    pub socket: SocketId,
    /// The gateway's LAN address (source of ICMP errors we send).
    pub gateway_ip: IpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// SYN received, upstream connect in progress; the hidden host hears nothing yet.
    Connecting { deadline: Instant },
    /// Upstream connected, SYN-ACK sent, waiting for the LAN host's ACK.
    SynReceived { deadline: Instant },
    /// Accepted by a port forward: our SYN went to the hidden host, waiting for its SYN-ACK.
    SynSent { deadline: Instant },
    /// Data may flow; half-closes are tracked by the two directions.
    Established,
    /// Both directions finished; remembered briefly to re-ACK a retransmitted FIN.
    TimeWait { until: Instant },
    /// Gone: the engine removes the flow.
    Closed,
}

/// Where a flow's end-of-batch ACK stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchedAck {
    No,
    /// The last segment asked for one; the engine has not queued the flow yet.
    Wanted,
    /// The engine will call [`TcpFlow::flush_batched_ack`].
    Queued,
}

/// The retransmission timer of our SYN or SYN-ACK (RFC 6298 2.1: 1 s, doubling).
#[derive(Debug, Clone, Copy)]
pub(super) struct HandshakeTimer {
    pub at: Instant,
    pub sent: Instant,
    pub retries: u32,
}

/// A relayed TCP connection.
#[derive(Debug)]
pub(crate) struct TcpFlow {
    pub(super) lan: SocketAddr,
    pub(super) remote: SocketAddr,
    pub(super) socket: SocketId,
    pub(super) gateway_ip: IpAddr,
    pub(super) state: State,
    pub(super) cfg: Arc<TcpConfig>,
    pub(super) last_activity: Instant,

    // Handshake facts.
    pub(super) irs: u32,
    pub(super) iss: u32,
    /// Shift the LAN host applies to its windows (0 without window scaling).
    pub(super) snd_shift: u8,
    /// Shift we apply to ours (0 without window scaling).
    pub(super) rcv_shift: u8,
    /// MSS we announce: what fits the adapter's MTU.
    pub(super) our_mss: u16,
    /// The adapter splits super-segments for us.
    pub(super) offload: bool,
    pub(super) sack_ok: bool,
    /// The SYN as the host sent it, quoted in ICMP errors about it (until connected).
    pub(super) syn_quote: Vec<u8>,
    pub(super) handshake_timer: Option<HandshakeTimer>,

    pub(super) rx: Receiver,
    pub(super) tx: Sender,
    credit_out: usize,
    credit_owed: usize,
    /// Bytes the download direction may hold (read from the socket, not yet acknowledged by
    /// the host): `buffer_bytes`, grown with the congestion window ([`TcpFlow::grow_send_buffer`]).
    send_cap: usize,
    /// The sender's counters as last added to the engine's totals.
    reported: SendStats,
    /// An ACK to send once the engine has taken the shell's batch of packets.
    batched_ack: BatchedAck,

    /// Counters shown in the translation table.
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub packets_out: u64,
    pub packets_in: u64,
}

impl TcpFlow {
    /// A flow with nothing learned from the hidden host yet.
    pub(super) fn new(
        now: Instant,
        ends: Ends,
        iss: u32,
        tun_mtu: u16,
        offload: bool,
        cfg: Arc<TcpConfig>,
        state: State,
    ) -> TcpFlow {
        let hdr = if ends.lan.is_ipv4() { 40 } else { 60 };
        let our_mss = u64::from(tun_mtu).saturating_sub(hdr).max(536);
        TcpFlow {
            lan: ends.lan,
            remote: ends.remote,
            socket: ends.socket,
            gateway_ip: ends.gateway_ip,
            state,
            last_activity: now,
            irs: 0,
            iss,
            snd_shift: 0,
            rcv_shift: 0,
            our_mss: u16::try_from(our_mss).unwrap_or(u16::MAX),
            offload,
            sack_ok: false,
            syn_quote: Vec::new(),
            handshake_timer: None,
            rx: Receiver::new(0, cfg.buffer_bytes, cfg.buffer_bytes, 0, false),
            tx: Sender::new(iss, our_mss, our_mss, sender_config(&cfg)),
            credit_out: 0,
            credit_owed: 0,
            send_cap: cfg.buffer_bytes,
            reported: SendStats::default(),
            batched_ack: BatchedAck::No,
            cfg,
            bytes_out: 0,
            bytes_in: 0,
            packets_out: 0,
            packets_in: 0,
        }
    }

    /// Takes what the host's SYN (or SYN-ACK) tells: its sequence numbers, segment size,
    /// window scaling and SACK. Scaling and SACK are used only if both sides offered them,
    /// and a SYN-ACK can only carry what our SYN offered.
    pub(super) fn learn_syn(&mut self, syn: &TcpSegment<'_>) {
        self.irs = syn.seq;
        // RFC 9293 3.7.1: without the option the host can take 536 (IPv4) / 1220 (IPv6).
        let default_mss = if self.lan.is_ipv4() { 536 } else { 1220 };
        let lan_mss = syn.mss.map_or(default_mss, u64::from).max(64);
        let seg_size = lan_mss.min(u64::from(self.our_mss));
        (self.snd_shift, self.rcv_shift) = match syn.wscale {
            Some(theirs) => (theirs, shift_for(self.cfg.max_buffer_bytes)),
            None => (0, 0),
        };
        self.sack_ok = syn.sack_permitted;
        self.rx = Receiver::new(
            syn.seq,
            self.window_cap(),
            self.cfg.max_buffer_bytes,
            self.rcv_shift,
            self.sack_ok,
        );
        // RFC 7323 2.2: the window in a SYN is never scaled.
        self.tx.learn_handshake(
            seg_size,
            self.max_send(seg_size),
            self.sack_ok,
            u64::from(syn.window),
        );
    }

    /// Most payload one emitted packet may carry: a segment, or with offload a super-segment
    /// of whole segments.
    pub(super) fn max_send(&self, seg_size: u64) -> u64 {
        if self.offload {
            (MAX_SUPER_PAYLOAD / seg_size).max(1) * seg_size
        } else {
            seg_size
        }
    }

    /// Largest window we ever offer: the buffer cap, limited to 64 KiB without scaling.
    fn window_cap(&self) -> usize {
        if self.rcv_shift == 0 && self.snd_shift == 0 {
            self.cfg.buffer_bytes.min(65_535)
        } else {
            self.cfg.buffer_bytes.min(65_535 << self.rcv_shift)
        }
    }

    /// The uplink socket of this flow.
    pub(crate) fn socket(&self) -> SocketId {
        self.socket
    }

    /// The hidden host's initial sequence number (to tell a retransmitted SYN from a new one).
    pub(crate) fn irs(&self) -> u32 {
        self.irs
    }

    /// Whether the engine should forget the flow.
    pub(crate) fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether a new SYN on this tuple may replace the flow (it is finished or dying).
    pub(crate) fn is_reusable(&self) -> bool {
        matches!(self.state, State::TimeWait { .. } | State::Closed)
    }

    /// State name for the translation table.
    pub(crate) fn state_name(&self) -> &'static str {
        match self.state {
            State::Connecting { .. } => "connecting",
            State::SynReceived { .. } => "syn_received",
            State::SynSent { .. } => "syn_sent",
            State::Established => match (self.rx.fin_received(), self.tx.fin_queued()) {
                (false, false) => "established",
                (true, false) => "lan_closed",
                (false, true) => "remote_closed",
                (true, true) => "closing",
            },
            State::TimeWait { .. } => "time_wait",
            State::Closed => "closed",
        }
    }

    /// Loss-recovery counters and path estimates, for the translation table.
    pub(crate) fn stats(&self) -> TcpFlowStats {
        let s = self.tx.stats;
        TcpFlowStats {
            retransmits: s.retransmits,
            rtos: s.rtos,
            tail_loss_probes: s.tail_loss_probes,
            tlp_recoveries: s.tlp_recoveries,
            fast_recoveries: s.fast_recoveries,
            spurious_retransmits: s.spurious_retransmits,
            undos: s.undos,
            srtt_us: self.tx.srtt().map(|d| d.as_micros() as u64),
            cwnd_bytes: self.tx.cwnd(),
            mss: self.tx.seg_size(),
        }
    }

    /// Whether the engine must queue this flow for an end-of-batch ACK (true once per
    /// batch).
    pub(crate) fn queue_batched_ack(&mut self) -> bool {
        if self.batched_ack == BatchedAck::Wanted {
            self.batched_ack = BatchedAck::Queued;
            return true;
        }
        false
    }

    /// The batch of packets is taken: send the ACK it earned, unless one went out since
    /// (a data segment carries it as well).
    pub(crate) fn flush_batched_ack(&mut self, now: Instant, out: &mut Out<'_>) {
        self.batched_ack = BatchedAck::No;
        if matches!(self.state, State::Established | State::TimeWait { .. }) && self.rx.ack_owed() {
            self.send_ack(now, out);
        }
    }

    /// Adds what the sender counted since the last call to the engine's totals.
    pub(crate) fn report_stats(&mut self, c: &mut Counters) {
        let now = self.tx.stats;
        let was = std::mem::replace(&mut self.reported, now);
        c.tcp_retransmits += now.retransmits - was.retransmits;
        c.tcp_rtos += now.rtos - was.rtos;
        c.tcp_tail_loss_probes += now.tail_loss_probes - was.tail_loss_probes;
        c.tcp_tlp_recoveries += now.tlp_recoveries - was.tlp_recoveries;
        c.tcp_fast_recoveries += now.fast_recoveries - was.fast_recoveries;
        c.tcp_spurious_retransmits += now.spurious_retransmits - was.spurious_retransmits;
        c.tcp_undos += now.undos - was.undos;
    }

    /// When the flow is dropped if nothing more happens. A connection that is only
    /// half-closed is as alive as an established one (a long download after the request's
    /// FIN): only opening and closing connections get the short transitory timeout (RFC 5382
    /// REQ-5).
    pub(crate) fn idle_deadline(&self) -> Instant {
        let closing = self.rx.fin_received() && self.tx.fin_queued();
        let timeout = match self.state {
            State::Established if !closing => self.cfg.established_idle_timeout,
            _ => self.cfg.transitory_idle_timeout,
        };
        self.last_activity + timeout
    }

    /// Last time anything happened on the flow.
    pub(crate) fn last_activity(&self) -> Instant {
        self.last_activity
    }

    /// The earliest moment `on_timeout` must be called.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let state_deadline = match self.state {
            State::Connecting { deadline }
            | State::SynReceived { deadline }
            | State::SynSent { deadline } => Some(deadline),
            State::TimeWait { until } => return Some(until),
            State::Established => None,
            State::Closed => return None,
        };
        [
            state_deadline,
            self.handshake_timer.map(|t| t.at),
            self.tx.deadline(),
            self.rx.ack_deadline(),
            Some(self.idle_deadline()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ------------------------------------------------------------------ socket events

    /// An ICMP error arrived for an established connection (a router's unreachable, a late
    /// PMTU change): the kernel handles the WAN leg, and RFC 5382 REQ-10 forbids ending the
    /// connection for it, so it is only traced.
    pub(crate) fn on_icmp_error(&mut self, report: &IcmpErrorReport) {
        trace!(?report.kind, "icmp error on an established tcp socket (handled by the kernel)");
    }

    /// Bytes read from the socket.
    pub(crate) fn on_data(&mut self, now: Instant, data: &[u8], out: &mut Out<'_>) {
        if data.is_empty() || !matches!(self.state, State::Established) || self.tx.fin_queued() {
            return;
        }
        self.last_activity = now;
        self.credit_out = self.credit_out.saturating_sub(data.len());
        self.tx.push_data(data);
        self.try_send(now, out);
    }

    /// The remote finished sending.
    pub(crate) fn on_eof(&mut self, now: Instant, out: &mut Out<'_>) {
        if !matches!(self.state, State::Established) || self.tx.fin_queued() {
            return;
        }
        self.last_activity = now;
        self.tx.push_fin();
        self.try_send(now, out);
    }

    /// The shell wrote `n` more bytes of earlier `TcpSend`s into the socket.
    pub(crate) fn on_sent(&mut self, now: Instant, n: usize, out: &mut Out<'_>) {
        let rtt = self.tx.srtt().unwrap_or(DEFAULT_LAN_RTT);
        let update = self
            .rx
            .on_written(now, n, self.tx.seg_size(), rtt, out.buffers);
        if matches!(self.state, State::Established) && update {
            self.send_ack(now, out);
        }
    }

    /// The connection to the remote broke (RST, error): reset the hidden host's side.
    pub(crate) fn on_reset(&mut self, now: Instant, out: &mut Out<'_>) {
        self.last_activity = now;
        match self.state {
            State::Connecting { .. } => {
                self.on_connect_failed(now, ConnectError::Refused, None, out)
            }
            State::SynReceived { .. } | State::SynSent { .. } | State::Established => {
                self.send_rst(out);
                self.state = State::Closed;
                out.cmd(SocketCommand::Close { id: self.socket });
            }
            State::TimeWait { .. } | State::Closed => {}
        }
    }

    /// The path to the host has a smaller MTU than the adapter's (a Packet Too Big or
    /// Fragmentation Needed from the LAN quoting one of our segments at `quoted_seq`):
    /// segments shrink to fit, the oversized ones in flight are sent again.
    pub(crate) fn on_path_mtu(
        &mut self,
        now: Instant,
        mtu: u16,
        quoted_seq: u32,
        out: &mut Out<'_>,
    ) {
        if !matches!(self.state, State::Established) {
            return;
        }
        // RFC 5927 4.1: only an error quoting data in flight is believed.
        let una = self.tx.una();
        let quoted = u64::from(quoted_seq.wrapping_sub(self.tx.wire(una)));
        if quoted >= self.tx.nxt() - una {
            out.counters.drop(DropReason::OutOfWindow);
            return;
        }
        let hdr = if self.lan.is_ipv4() { 40 } else { 60 };
        // RFC 8201 / RFC 1191: never below the protocol minimums.
        let floor = if self.lan.is_ipv4() { 536 } else { 1220 };
        let seg_size = u64::from(mtu).saturating_sub(hdr).max(floor);
        if seg_size < self.tx.seg_size() {
            trace!(mtu, seg_size, "path to the host has a smaller MTU");
            let max_send = self.max_send(seg_size);
            self.tx.on_mtu_reduced(seg_size, max_send);
            self.try_send(now, out);
        }
    }

    /// Writing one of our segments, `[seq, seq + len)` on the wire, to the adapter failed.
    pub(crate) fn on_transmit_failed(&mut self, now: Instant, seq: u32, len: u32) {
        if !matches!(self.state, State::Established) {
            return;
        }
        let una = self.tx.una();
        let start = una + u64::from(seq.wrapping_sub(self.tx.wire(una)));
        if start >= self.tx.nxt() {
            return;
        }
        self.tx
            .on_transmit_failed(now, start, start + u64::from(len.max(1)));
    }

    // ------------------------------------------------------------------ LAN segments

    /// A segment from the hidden host for this flow.
    pub(crate) fn on_segment(&mut self, now: Instant, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        self.packets_out += 1;
        match self.state {
            State::Connecting { .. } => {
                if seg.flags.rst && seg.seq == self.irs.wrapping_add(1) {
                    // The host gave up before the upstream answered.
                    self.abort(out);
                }
                // Retransmitted SYNs and anything else wait for the connect outcome.
            }
            State::SynReceived { .. } => self.on_segment_syn_received(now, seg, out),
            State::SynSent { .. } => self.on_segment_syn_sent(now, seg, out),
            State::Established => self.on_segment_established(now, seg, out),
            State::TimeWait { .. } => {
                if seg.flags.fin {
                    self.send_ack(now, out);
                } else if !seg.flags.rst {
                    out.counters.drop(DropReason::NoState);
                }
            }
            State::Closed => out.counters.drop(DropReason::NoState),
        }
    }

    pub(super) fn on_segment_established(
        &mut self,
        now: Instant,
        seg: &TcpSegment<'_>,
        out: &mut Out<'_>,
    ) {
        let Some(start) = self.rx.offset(seg.seq) else {
            out.counters.drop(DropReason::OutOfWindow);
            if !seg.flags.rst {
                // RFC 5961 3.2: a RST outside the window is dropped without a word.
                self.send_ack(now, out);
            }
            return;
        };
        let rcv_nxt = self.rx.nxt() + u64::from(self.rx.fin_received());
        if seg.flags.rst {
            if start == rcv_nxt {
                self.abort(out);
            } else if start > rcv_nxt && start < self.rx.edge().max(rcv_nxt + 1) {
                // RFC 5961 3.2: in the window but not exact: challenge ACK.
                self.send_ack(now, out);
            }
            return;
        }
        if seg.flags.syn {
            // A SYN on an open connection (RFC 5961 4.2): challenge ACK; a host that really
            // restarted answers it with RST, which frees the tuple.
            self.send_ack(now, out);
            return;
        }
        if !seg.flags.ack {
            // RFC 9293 3.10.7.4: a segment without ACK is dropped once established.
            out.counters.drop(DropReason::OutOfWindow);
            return;
        }
        self.last_activity = now;
        let ack = AckIn {
            ack: seg.ack,
            window: u64::from(seg.window) << self.snd_shift,
            seq: start,
            pure: seg.payload.is_empty() && !seg.flags.fin,
            sack: &seg.sack,
        };
        match self.tx.on_ack(now, &ack) {
            AckResult::Unacceptable => {
                // RFC 9293 3.10.7.4: acknowledges something never sent: re-ACK, drop it.
                out.counters.drop(DropReason::OutOfWindow);
                self.send_ack(now, out);
                return;
            }
            AckResult::Processed { data_acked } => {
                self.grow_send_buffer(out);
                self.grant_credit(data_acked as usize, false, out);
            }
        }
        self.on_payload(now, start, seg, out);
        self.try_send(now, out);
        self.check_finished(now, out);
    }

    fn on_payload(&mut self, now: Instant, start: u64, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        let socket = self.socket;
        let mut delivered = 0;
        let r = self.rx.on_segment(
            now,
            start,
            seg.payload,
            seg.flags.fin,
            self.tx.seg_size(),
            |data| {
                delivered += data.len() as u64;
                out.cmd(SocketCommand::TcpSend {
                    id: socket,
                    data: data.to_vec(),
                });
            },
        );
        self.bytes_out += delivered;
        if r.refused {
            out.counters.drop(DropReason::BufferFull);
        }
        if r.fin {
            out.cmd(SocketCommand::TcpShutdownWrite { id: self.socket });
        }
        match r.ack {
            AckNeed::Now => self.send_ack(now, out),
            AckNeed::Batched if self.batched_ack == BatchedAck::No => {
                self.batched_ack = BatchedAck::Wanted;
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------------ timers

    /// Handles every timer of this flow that is due.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Out<'_>) {
        match self.state {
            State::Connecting { deadline } if now >= deadline => {
                // The socket is still connecting: abort it (one command, not Close + Abort).
                self.answer_failed_syn(ConnectError::TimedOut, None, out);
                self.abort(out);
                return;
            }
            State::SynReceived { deadline } | State::SynSent { deadline } if now >= deadline => {
                self.send_rst(out);
                self.abort(out);
                return;
            }
            State::TimeWait { until } if now >= until => {
                self.state = State::Closed;
                return;
            }
            _ => {}
        }
        if now >= self.idle_deadline() {
            trace!("tcp flow idle timeout");
            self.send_rst(out);
            self.abort(out);
            return;
        }
        if self.rx.ack_deadline().is_some_and(|d| now >= d) {
            self.send_ack(now, out);
        }
        if self.handshake_timer.is_some_and(|t| now >= t.at) {
            self.on_handshake_timeout(now, out);
            return;
        }
        if !matches!(self.state, State::Established) {
            return;
        }
        match self.tx.on_timeout(now) {
            Some(TimerResult::GiveUp) => {
                trace!("tcp flow gave up retransmitting");
                self.send_rst(out);
                self.abort(out);
            }
            Some(TimerResult::Transmit) => self.try_send(now, out),
            None => {}
        }
    }

    // ------------------------------------------------------------------ sending

    /// Sends what the LAN host's window and the congestion window allow.
    pub(super) fn try_send(&mut self, now: Instant, out: &mut Out<'_>) {
        if !matches!(self.state, State::Established) {
            return;
        }
        while let Some(t) = self.tx.poll_transmit(now) {
            self.emit(&t, out);
            self.tx.on_transmit(now, &t);
        }
        self.check_finished(now, out);
    }

    /// Builds and queues the packet for `t`: one super-segment where the adapter splits
    /// them, else one packet per segment.
    fn emit(&mut self, t: &Transmit, out: &mut Out<'_>) {
        let seg_size = self.tx.seg_size();
        if t.len > seg_size && !self.offload {
            let mut at = t.offset;
            while at < t.offset + t.len {
                let len = seg_size.min(t.offset + t.len - at);
                let piece = Transmit {
                    offset: at,
                    len,
                    fin: t.fin && at + len == t.offset + t.len,
                    ..*t
                };
                self.emit_one(&piece, out);
                at += len;
            }
        } else {
            self.emit_one(t, out);
        }
    }

    fn emit_one(&mut self, t: &Transmit, out: &mut Out<'_>) {
        let h = TcpOut {
            seq: self.tx.wire(t.offset),
            ack: Some(self.rx.ack_wire()),
            fin: t.fin,
            psh: t.len > 0 && t.offset + t.len == self.tx.data_end(),
            window: self.rx.window_field(),
            ..TcpOut::default()
        };
        let seg_size = self.tx.seg_size();
        let new = t.offset + t.len > self.bytes_in;
        if new {
            self.bytes_in = t.offset + t.len;
        }
        let payload = self.tx.payload(t);
        if t.len > seg_size {
            let size = u16::try_from(seg_size).unwrap_or(u16::MAX);
            // Headers and payload go straight into a recycled buffer: no intermediate copy.
            let buf = out.buffer();
            out.segmented(emit::tcp_segmented(
                self.remote,
                self.lan,
                &h,
                payload,
                size,
                buf,
            ));
            self.packets_in += t.len.div_ceil(seg_size);
        } else {
            let data = payload.concat();
            out.packet(emit::tcp(self.remote, self.lan, &h, &data));
            self.packets_in += 1;
        }
        self.rx.on_ack_sent();
    }

    pub(super) fn send_ack(&mut self, _now: Instant, out: &mut Out<'_>) {
        let h = TcpOut {
            seq: self.tx.wire(self.tx.nxt()),
            ack: Some(self.rx.ack_wire()),
            window: self.rx.window_field(),
            sack: self.rx.take_sack_blocks(),
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
        self.rx.on_ack_sent();
    }

    pub(super) fn send_rst(&mut self, out: &mut Out<'_>) {
        let (seq, ack) = match self.state {
            State::Connecting { .. } => (0, Some(self.irs.wrapping_add(1))),
            // Nothing heard from the host yet: a RST in our SYN's sequence space.
            State::SynSent { .. } => (self.tx.wire(0), None),
            _ => (self.tx.wire(self.tx.nxt()), Some(self.rx.ack_wire())),
        };
        let h = TcpOut {
            seq,
            ack,
            rst: true,
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
    }

    // ------------------------------------------------------------------ bookkeeping

    pub(super) fn grant_credit(&mut self, bytes: usize, force: bool, out: &mut Out<'_>) {
        if self.tx.fin_queued() {
            return;
        }
        self.credit_owed += bytes;
        let room = self
            .send_cap
            .saturating_sub(self.tx.buffered() + self.credit_out);
        let grant = self.credit_owed.min(room);
        if grant > 0 && (force || grant >= CREDIT_CHUNK || self.tx.buffered() == 0) {
            self.credit_owed -= grant;
            self.credit_out += grant;
            out.cmd(SocketCommand::TcpReadCredit {
                id: self.socket,
                bytes: grant,
            });
        }
    }

    /// Keeps twice the congestion window readable from the socket (Linux
    /// `tcp_sndbuf_expand`): a window larger than the buffer would leave the sender without
    /// data to fill it. Grows within `max_buffer_bytes` and the engine's budget, never shrinks.
    fn grow_send_buffer(&mut self, out: &mut Out<'_>) {
        let want = usize::try_from(self.tx.cwnd().saturating_mul(2))
            .unwrap_or(usize::MAX)
            .min(self.cfg.max_buffer_bytes);
        if want > self.send_cap {
            let more = out.buffers.grant(want - self.send_cap);
            self.send_cap += more;
            self.credit_owed += more;
        }
    }

    /// Bytes both directions' buffers grew beyond `buffer_bytes` (given back to the budget
    /// when the flow ends).
    pub(crate) fn buffers_grown(&self) -> usize {
        (self.send_cap - self.cfg.buffer_bytes) + self.rx.grown()
    }

    /// Closes the flow once both directions are finished and acknowledged.
    pub(super) fn check_finished(&mut self, now: Instant, out: &mut Out<'_>) {
        if self.state == State::Established && self.rx.fin_received() && self.tx.fin_acked() {
            out.cmd(SocketCommand::Close { id: self.socket });
            self.tx.stop_timers();
            self.state = State::TimeWait {
                until: now + self.cfg.time_wait,
            };
        }
    }

    /// Resets the upstream connection and forgets the flow.
    pub(super) fn abort(&mut self, out: &mut Out<'_>) {
        out.cmd(SocketCommand::TcpAbort { id: self.socket });
        self.state = State::Closed;
        self.tx.clear();
        self.rx.clear();
    }

    /// Closes quietly (the upstream socket is closed, nothing is said to the LAN).
    pub(super) fn close(&mut self, out: &mut Out<'_>) {
        out.cmd(SocketCommand::Close { id: self.socket });
        self.state = State::Closed;
    }

    /// Ends the flow from outside (flow cap, user request): RST both ways.
    pub(crate) fn reset_both(&mut self, out: &mut Out<'_>) {
        if matches!(self.state, State::Closed) {
            return;
        }
        if !matches!(self.state, State::TimeWait { .. }) {
            self.send_rst(out);
        }
        self.abort(out);
    }
}

/// The sender's part of the TCP settings.
fn sender_config(cfg: &TcpConfig) -> SenderConfig {
    SenderConfig {
        rto_min: cfg.rto_min,
        rto_max: cfg.rto_max,
        max_retransmits: cfg.max_retransmits,
        congestion_control: cfg.congestion_control.unwrap_or_default(),
    }
}

/// Window-scale shift so that `buffer` fits the 16-bit window field (RFC 7323 2.3, max 14).
/// Round trip assumed toward the host before one is measured (a wired LAN's is well below).
const DEFAULT_LAN_RTT: Duration = Duration::from_millis(1);

pub(super) fn shift_for(buffer: usize) -> u8 {
    let mut shift = 0u8;
    while shift < 14 && (buffer >> shift) > 65_535 {
        shift += 1;
    }
    shift
}

/// The first retransmission timeout of a SYN or SYN-ACK (RFC 6298 2.1).
pub(super) const HANDSHAKE_RTO: Duration = Duration::from_secs(1);
