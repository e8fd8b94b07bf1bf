//! One relayed TCP connection: the LAN-side state machine and its two bounded buffers.
//!
//! Up (LAN → remote): in-order bytes are handed to the shell at once (`TcpSend`); the
//! advertised window is the buffer cap minus bytes the shell has not yet confirmed written,
//! so a remote that stops reading closes the hidden host's window instead of growing memory.
//! Out-of-order bytes wait in the [`Assembler`] inside that window.
//!
//! Down (remote → LAN): the shell reads only with credit (`TcpReadCredit`); what it reads
//! stays in `down` until the LAN host acknowledges it, which makes `down` the retransmission
//! store. Credit is returned as the LAN acknowledges, so the kernel's receive buffer, and
//! with it the remote, is slowed when the hidden host is slow.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tracing::trace;

use super::Seq;
use super::assembler::Assembler;
use super::rtt::RttEstimator;
use super::scoreboard::Scoreboard;
use crate::command::{ConnectError, IcmpErrorKind, IcmpErrorReport, SocketCommand};
use crate::config::{ConnectTimeoutReply, TcpConfig};
use crate::flow::SocketId;
use crate::offload::MAX_SUPER_PAYLOAD;
use crate::out::Out;
use crate::stats::DropReason;
use crate::wire::TcpSegment;
use crate::wire::emit::{self, TcpOut};

/// Delayed-ACK timer: short, because the LAN hop is fast and the host's cwnd grows with ACKs.
const DELAYED_ACK: Duration = Duration::from_millis(5);
/// Fast retransmit threshold (RFC 5681 3.2).
const DUPACK_THRESHOLD: u32 = 3;
/// Floor of the slow-start threshold after a loss, in segments. RFC 5681 says 2, but on the
/// one short LAN hop losses are rarely congestion, and hosts delay ACKs by 40 ms (Linux) to
/// 200 ms (Windows) when fewer than two segments arrive: a window of a few segments turns
/// every loss into a delayed-ACK stall (measured: 2 Mbit/s at 5 % loss with a floor of 2).
const MIN_SSTHRESH_SEGMENTS: u64 = 10;
/// Initial congestion window in segments (RFC 6928).
const INITIAL_WINDOW_SEGMENTS: u64 = 10;
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
    pub gateway_ip: IpAddr,
    pub syn: &'a TcpSegment<'a>,
    /// The SYN as the LAN host sent it (quoted in ICMP errors about it).
    pub syn_packet: &'a [u8],
    pub ttl: u8,
    pub iss: u32,
    pub tun_mtu: u16,
    /// The adapter splits super-segments for us (see [`crate::offload`]).
    pub offload: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// SYN received, upstream connect in progress; the hidden host hears nothing yet.
    Connecting { deadline: Instant },
    /// Upstream connected, SYN-ACK sent, waiting for the LAN host's ACK.
    SynReceived { deadline: Instant },
    /// Accepted by a port forward: our SYN went to the hidden host, waiting for its SYN-ACK.
    SynSent { deadline: Instant },
    /// Data may flow; half-closes are tracked by flags.
    Established,
    /// Both directions finished; remembered briefly to re-ACK a retransmitted FIN.
    TimeWait { until: Instant },
    /// Gone: the engine removes the flow.
    Closed,
}

/// A relayed TCP connection.
#[derive(Debug)]
pub(crate) struct TcpFlow {
    lan: SocketAddr,
    remote: SocketAddr,
    socket: SocketId,
    gateway_ip: IpAddr,
    state: State,
    cfg: TcpConfig,
    last_activity: Instant,

    // Handshake facts.
    irs: u32,
    iss: u32,
    /// Segment size toward the LAN: min(the host's MSS, adapter MTU - headers).
    seg_size: u64,
    /// Shift the LAN host applies to its windows (0 without window scaling).
    snd_shift: u8,
    /// Shift we apply to ours (0 without window scaling).
    rcv_shift: u8,
    /// MSS we announce: what fits the adapter's MTU.
    our_mss: u16,
    /// The adapter splits super-segments for us.
    offload: bool,
    /// Most payload one emitted packet may carry: a segment, or with offload a
    /// super-segment of whole segments.
    max_send: u64,
    syn_quote: Vec<u8>,

    // Up: LAN → remote.
    rcv: Seq,
    rcv_nxt: u64,
    rcv_edge: u64,
    /// Right edge the host last heard from us (what it believes it may send up to).
    adv_edge: u64,
    up_unconfirmed: usize,
    ooo: Assembler,
    ooo_fin: Option<u64>,
    lan_fin: bool,
    acks_owed: u32,
    ack_deadline: Option<Instant>,

    // Down: remote → LAN.
    snd: Seq,
    /// Bytes read but not yet acknowledged by the host: offsets `snd_una..down_end`.
    down: VecDeque<u8>,
    /// Offset one past the last byte read from the socket; our FIN, once the remote has
    /// finished, sits at this offset. (Not `snd_una + down.len()`: once the FIN is
    /// acknowledged `snd_una` is one past it.)
    down_end: u64,
    snd_una: u64,
    snd_nxt: u64,
    /// Highest offset ever sent (the FIN counts), for validating ACKs and counting new bytes.
    snd_max: u64,
    snd_wnd: u64,
    remote_eof: bool,
    credit_out: usize,
    credit_owed: usize,
    cwnd: u64,
    ssthresh: u64,
    dupacks: u32,
    recover: Option<u64>,
    /// Both SYNs carried SACK-permitted: the host reports holes and we may report ours.
    sack_ok: bool,
    sacked: Scoreboard,
    /// During SACK recovery: where the search for the next hole to resend continues.
    rexmit_next: u64,
    rtt: RttEstimator,
    rto_deadline: Option<Instant>,
    persist_deadline: Option<Instant>,
    retries: u32,
    timed: Option<(u64, Instant)>,

    /// Counters shown in the translation table.
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub packets_out: u64,
    pub packets_in: u64,
}

impl TcpFlow {
    /// Creates the flow for a SYN and asks the shell to connect upstream.
    pub(crate) fn open(
        now: Instant,
        init: TcpInit<'_>,
        cfg: &TcpConfig,
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
        });
        flow
    }

    /// Creates the flow for a connection a port forward accepted and opens it toward the
    /// hidden host: the SYN comes from the remote's own address, so the server sees who
    /// connects. The shell reads nothing from the socket until the host has answered.
    pub(crate) fn accept(
        now: Instant,
        init: TcpAcceptInit,
        cfg: &TcpConfig,
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
        flow.rcv_shift = shift_for(cfg.buffer_bytes);
        flow.sack_ok = true;
        flow.send_syn(out);
        flow.rto_deadline = Some(now + flow.rtt.rto());
        flow.timed = Some((0, now));
        flow
    }

    /// A flow with nothing learned from the hidden host yet.
    fn new(
        now: Instant,
        ends: Ends,
        iss: u32,
        tun_mtu: u16,
        offload: bool,
        cfg: &TcpConfig,
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
            cfg: cfg.clone(),
            last_activity: now,
            irs: 0,
            iss,
            seg_size: our_mss,
            snd_shift: 0,
            rcv_shift: 0,
            our_mss: u16::try_from(our_mss).unwrap_or(u16::MAX),
            offload,
            max_send: our_mss,
            syn_quote: Vec::new(),
            rcv: Seq::new(0),
            rcv_nxt: 0,
            rcv_edge: 0,
            adv_edge: 0,
            up_unconfirmed: 0,
            ooo: Assembler::default(),
            ooo_fin: None,
            lan_fin: false,
            acks_owed: 0,
            ack_deadline: None,
            snd: Seq::new(iss),
            down: VecDeque::new(),
            down_end: 0,
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            snd_wnd: 0,
            remote_eof: false,
            credit_out: 0,
            credit_owed: 0,
            cwnd: INITIAL_WINDOW_SEGMENTS * our_mss,
            ssthresh: u64::MAX,
            dupacks: 0,
            recover: None,
            sack_ok: false,
            sacked: Scoreboard::default(),
            rexmit_next: 0,
            rtt: RttEstimator::new(cfg.rto_min, cfg.rto_max),
            rto_deadline: None,
            persist_deadline: None,
            retries: 0,
            timed: None,
            bytes_out: 0,
            bytes_in: 0,
            packets_out: 0,
            packets_in: 0,
        }
    }

    /// Takes what the host's SYN (or SYN-ACK) tells: its sequence numbers, segment size,
    /// window scaling and SACK. Scaling and SACK are used only if both sides offered them,
    /// and a SYN-ACK can only carry what our SYN offered.
    fn learn_syn(&mut self, syn: &TcpSegment<'_>) {
        self.irs = syn.seq;
        self.rcv = Seq::new(syn.seq);
        // RFC 9293 3.7.1: without the option the host can take 536 (IPv4) / 1220 (IPv6).
        let default_mss = if self.lan.is_ipv4() { 536 } else { 1220 };
        let lan_mss = syn.mss.map_or(default_mss, u64::from).max(64);
        self.seg_size = lan_mss.min(u64::from(self.our_mss));
        self.max_send = if self.offload {
            (MAX_SUPER_PAYLOAD / self.seg_size).max(1) * self.seg_size
        } else {
            self.seg_size
        };
        self.cwnd = INITIAL_WINDOW_SEGMENTS * self.seg_size;
        (self.snd_shift, self.rcv_shift) = match syn.wscale {
            Some(theirs) => (theirs, shift_for(self.cfg.buffer_bytes)),
            None => (0, 0),
        };
        self.sack_ok = syn.sack_permitted;
        // RFC 7323 2.2: the window in a SYN is never scaled.
        self.snd_wnd = u64::from(syn.window);
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
            State::Established => match (self.lan_fin, self.remote_eof) {
                (false, false) => "established",
                (true, false) => "lan_closed",
                (false, true) => "remote_closed",
                (true, true) => "closing",
            },
            State::TimeWait { .. } => "time_wait",
            State::Closed => "closed",
        }
    }

    /// Seconds of idleness after which the flow is dropped, for the table.
    pub(crate) fn idle_deadline(&self) -> Instant {
        let timeout = match self.state {
            State::Established if !self.lan_fin && !self.remote_eof => {
                self.cfg.established_idle_timeout
            }
            _ => self.cfg.transitory_idle_timeout,
        };
        self.last_activity + timeout
    }

    /// Last time anything happened on the flow.
    pub(crate) fn last_activity(&self) -> Instant {
        self.last_activity
    }

    /// The earliest moment `handle_timeout` must be called.
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
            self.rto_deadline,
            self.persist_deadline,
            self.ack_deadline,
            Some(self.idle_deadline()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ------------------------------------------------------------------ socket events

    /// The upstream connect succeeded: answer the SYN.
    pub(crate) fn on_connected(&mut self, now: Instant, out: &mut Out<'_>) {
        let State::Connecting { .. } = self.state else {
            return;
        };
        self.last_activity = now;
        self.state = State::SynReceived {
            deadline: now + self.cfg.handshake_timeout,
        };
        self.rcv_edge = self.rcv_window_cap() as u64;
        self.send_syn_ack(out);
        self.rto_deadline = Some(now + self.rtt.rto());
        self.timed = Some((0, now));
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
    fn answer_failed_syn(
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

    /// An ICMP error arrived for an established connection (e.g. a late PMTU change): the
    /// kernel handles the WAN leg, so nothing is relayed; kept for the trace.
    pub(crate) fn on_icmp_error(&mut self, report: &IcmpErrorReport) {
        trace!(?report.kind, "icmp error on an established tcp socket (handled by the kernel)");
    }

    /// Bytes read from the socket.
    pub(crate) fn on_data(&mut self, now: Instant, data: &[u8], out: &mut Out<'_>) {
        if data.is_empty() || !matches!(self.state, State::Established) || self.remote_eof {
            return;
        }
        self.last_activity = now;
        self.credit_out = self.credit_out.saturating_sub(data.len());
        self.down.extend(data);
        self.down_end += data.len() as u64;
        self.try_send(now, out);
    }

    /// The remote finished sending.
    pub(crate) fn on_eof(&mut self, now: Instant, out: &mut Out<'_>) {
        if !matches!(self.state, State::Established) || self.remote_eof {
            return;
        }
        self.last_activity = now;
        self.remote_eof = true;
        self.try_send(now, out);
    }

    /// The shell wrote `n` more bytes of earlier `TcpSend`s into the socket.
    pub(crate) fn on_sent(&mut self, now: Instant, n: usize, out: &mut Out<'_>) {
        self.up_unconfirmed = self.up_unconfirmed.saturating_sub(n);
        if !matches!(self.state, State::Established) {
            return;
        }
        // Measured against what the host last heard, so that many small confirmations add
        // up to an update instead of each one falling below the threshold.
        let believed = self.adv_edge.saturating_sub(self.rcv_nxt);
        self.advance_edge();
        let reopened = self.rcv_edge.saturating_sub(self.adv_edge);
        let cap = self.rcv_window_cap() as u64;
        // Window update without waiting for a probe once it reopened meaningfully (receiver
        // silly window avoidance, RFC 9293 3.8.6.2.2).
        let blocked = believed < self.seg_size && reopened >= self.seg_size.min(cap / 2);
        if blocked || reopened >= (cap / 4).max(2 * self.seg_size) {
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

    fn on_segment_syn_received(&mut self, now: Instant, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        if seg.flags.rst {
            if seg.seq == self.rcv.wire(0) {
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
        if !seg.flags.ack || seg.ack != self.snd.wire(0) {
            out.counters.drop(DropReason::OutOfWindow);
            return;
        }
        self.last_activity = now;
        if let Some((0, sent)) = self.timed {
            self.rtt.sample(now.saturating_duration_since(sent));
        }
        self.timed = None;
        self.rto_deadline = None;
        self.state = State::Established;
        self.snd_wnd = u64::from(seg.window) << self.snd_shift;
        self.syn_quote = Vec::new();
        self.grant_credit(self.cfg.buffer_bytes, true, out);
        if !seg.payload.is_empty() || seg.flags.fin {
            self.on_segment_established(now, seg, out);
        }
    }

    /// The hidden host's answer to the SYN we sent for a forwarded connection.
    fn on_segment_syn_sent(&mut self, now: Instant, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        let expected = self.snd.wire(0);
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
        self.learn_syn(seg);
        self.last_activity = now;
        if let Some((0, sent)) = self.timed {
            self.rtt.sample(now.saturating_duration_since(sent));
        }
        self.timed = None;
        self.rto_deadline = None;
        self.retries = 0;
        self.state = State::Established;
        self.rcv_edge = self.rcv_window_cap() as u64;
        self.send_ack(now, out);
        self.grant_credit(self.cfg.buffer_bytes, true, out);
    }

    fn on_segment_established(&mut self, now: Instant, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        let Some(start) = self.rcv.offset(seg.seq, self.rcv_nxt) else {
            out.counters.drop(DropReason::OutOfWindow);
            if !seg.flags.rst {
                // RFC 5961 3.2: a RST outside the window is dropped without a word.
                self.send_ack(now, out);
            }
            return;
        };
        if seg.flags.rst {
            if start == self.rcv_nxt {
                self.abort(out);
            } else if start > self.rcv_nxt && start < self.rcv_edge.max(self.rcv_nxt + 1) {
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
        self.last_activity = now;
        if seg.flags.ack {
            self.on_ack(now, seg, out);
            if self.state == State::Closed {
                return;
            }
        }
        self.on_payload(now, start, seg, out);
        self.try_send(now, out);
        self.check_finished(now, out);
    }

    fn on_payload(&mut self, now: Instant, start: u64, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        let payload = seg.payload;
        let end = start + payload.len() as u64;
        if payload.is_empty() && !seg.flags.fin {
            if start < self.rcv_nxt {
                // Keep-alive (RFC 9293 3.8.4): answer with the current state.
                self.send_ack(now, out);
            }
            return;
        }
        if self.lan_fin {
            // Anything after the host's FIN is a retransmission.
            self.send_ack(now, out);
            return;
        }
        if end < self.rcv_nxt || (end == self.rcv_nxt && !seg.flags.fin) {
            // Entirely old: a retransmission of something already delivered.
            self.send_ack(now, out);
            return;
        }
        let edge = self.rcv_edge.max(self.rcv_nxt);
        let from = start.max(self.rcv_nxt);
        let to = end.min(edge);
        if from >= to && !payload.is_empty() && from >= edge {
            out.counters.drop(DropReason::BufferFull);
            self.send_ack(now, out);
            return;
        }
        let data = &payload[(from - start) as usize..(to.max(from) - start) as usize];
        let fin_at = (seg.flags.fin && to == end).then_some(end);
        if from == self.rcv_nxt {
            let filled_hole = !self.ooo.is_empty();
            self.deliver(data, out);
            while let Some(more) = self.ooo.take_contiguous(self.rcv_nxt) {
                self.deliver(&more, out);
            }
            let fin = fin_at.or(self.ooo_fin);
            if fin == Some(self.rcv_nxt) {
                self.lan_fin = true;
                self.rcv_nxt += 1;
                self.ooo.clear();
                out.cmd(SocketCommand::TcpShutdownWrite { id: self.socket });
                self.send_ack(now, out);
                return;
            }
            // RFC 5681 4.2: ACK at once when a hole is (partly) filled or remains, and for
            // a retransmission that overlapped old data.
            let ack_now = filled_hole || !self.ooo.is_empty() || start < from;
            self.acks_owed += 1;
            if ack_now || self.acks_owed >= 2 || seg.flags.fin {
                self.send_ack(now, out);
            } else if self.ack_deadline.is_none() {
                self.ack_deadline = Some(now + DELAYED_ACK);
            }
        } else {
            if !self.ooo.insert(from, data) {
                out.counters.drop(DropReason::BufferFull);
            }
            if let Some(f) = fin_at {
                self.ooo_fin = Some(f);
            }
            // Immediate duplicate ACK tells the host about the hole (RFC 5681 4.2).
            self.send_ack(now, out);
        }
    }

    fn deliver(&mut self, data: &[u8], out: &mut Out<'_>) {
        if data.is_empty() {
            return;
        }
        self.rcv_nxt += data.len() as u64;
        self.up_unconfirmed += data.len();
        self.bytes_out += data.len() as u64;
        out.cmd(SocketCommand::TcpSend {
            id: self.socket,
            data: data.to_vec(),
        });
    }

    fn on_ack(&mut self, now: Instant, seg: &TcpSegment<'_>, out: &mut Out<'_>) {
        let snd_max = self.snd_max();
        let Some(acked_to) = self.snd.offset(seg.ack, self.snd_una) else {
            return;
        };
        if acked_to > snd_max {
            // Acknowledges something never sent (RFC 9293 3.10.7.4): re-ACK and ignore.
            self.send_ack(now, out);
            return;
        }
        let old_wnd = self.snd_wnd;
        if acked_to >= self.snd_una {
            self.snd_wnd = u64::from(seg.window) << self.snd_shift;
            // Any acceptable ACK shows the host is alive: persist probing may go on.
            self.retries = 0;
        }
        if self.sack_ok {
            self.note_sack(seg);
        }
        if acked_to > self.snd_una {
            let newly = acked_to - self.snd_una;
            let data_acked = (newly as usize).min(self.down.len());
            self.down.drain(..data_acked);
            self.snd_una = acked_to;
            self.sacked.advance(acked_to);
            self.rexmit_next = self.rexmit_next.max(acked_to);
            if self.snd_nxt < self.snd_una {
                self.snd_nxt = self.snd_una;
            }
            if let Some((timed_end, sent)) = self.timed
                && acked_to >= timed_end
            {
                self.rtt.sample(now.saturating_duration_since(sent));
                self.timed = None;
            }
            self.rtt.reset_backoff();
            self.dupacks = 0;
            match self.recover {
                Some(recover) if acked_to < recover => {
                    // Partial ACK: resend the next hole (RFC 6675 with SACK, RFC 6582 3.2
                    // step 3 without).
                    if self.sack_ok {
                        self.sack_retransmit(now, 2, out);
                    } else {
                        self.retransmit_one(now, out);
                    }
                    self.cwnd = self.cwnd.saturating_sub(newly).max(self.seg_size) + self.seg_size;
                }
                Some(_) => {
                    self.recover = None;
                    self.cwnd = self.ssthresh.max(2 * self.seg_size);
                }
                None if self.cwnd < self.ssthresh => self.cwnd += newly.min(self.seg_size),
                None => self.cwnd += (self.seg_size * self.seg_size / self.cwnd.max(1)).max(1),
            }
            self.rto_deadline = (self.snd_nxt > self.snd_una).then(|| now + self.rtt.rto());
            self.persist_deadline = None;
            self.grant_credit(data_acked, false, out);
        } else if acked_to == self.snd_una
            && seg.payload.is_empty()
            && !seg.flags.fin
            && self.snd_nxt > self.snd_una
        {
            // With SACK a changed window does not hide a duplicate: the blocks say what
            // arrived (RFC 6675 2, "duplicate acknowledgment").
            if self.snd_wnd == old_wnd || self.sack_ok {
                self.dupacks += 1;
            }
            let sack_says_lost = self.sack_ok
                && self.sacked.sacked_bytes() >= u64::from(DUPACK_THRESHOLD) * self.seg_size;
            if self.recover.is_none() && (self.dupacks >= DUPACK_THRESHOLD || sack_says_lost) {
                let flight = self.snd_nxt - self.snd_una;
                self.ssthresh = (flight / 2).max(MIN_SSTHRESH_SEGMENTS * self.seg_size);
                self.recover = Some(self.snd_nxt);
                self.rexmit_next = self.snd_una;
                if self.sack_ok {
                    self.cwnd = self.ssthresh;
                    self.sack_retransmit(now, 2, out);
                } else {
                    self.retransmit_one(now, out);
                    self.cwnd = self.ssthresh + u64::from(DUPACK_THRESHOLD) * self.seg_size;
                }
            } else if self.recover.is_some() {
                if self.sack_ok {
                    self.sack_retransmit(now, 1, out);
                } else if self.dupacks > DUPACK_THRESHOLD {
                    self.cwnd += self.seg_size;
                }
            }
        }
    }

    /// Records the SACK blocks of an ACK that lie within what we sent.
    fn note_sack(&mut self, seg: &TcpSegment<'_>) {
        let snd_max = self.snd_max();
        for (left, right) in seg.sack.iter().flatten().copied() {
            let (Some(start), Some(end)) = (
                self.snd.offset(left, self.snd_una),
                self.snd.offset(right, self.snd_una),
            ) else {
                continue;
            };
            if start >= self.snd_una && end > start && end <= snd_max {
                self.sacked.insert(start, end);
            }
        }
    }

    /// Resends up to `budget` segments from the holes the host reported (RFC 6675 4).
    fn sack_retransmit(&mut self, now: Instant, budget: usize, out: &mut Out<'_>) {
        for _ in 0..budget {
            let from = self.rexmit_next.max(self.snd_una);
            // Without SACK information the oldest unacknowledged segment is the hole (as
            // in NewReno); it is resent once per recovery step.
            let hole = self.sacked.next_hole(from).or_else(|| {
                (from == self.snd_una && self.sacked.is_empty())
                    .then_some((from, from + self.seg_size))
            });
            let Some((start, end)) = hole else {
                break;
            };
            let len = (end - start)
                .min(self.seg_size)
                .min(self.down_end.saturating_sub(start));
            if start >= self.snd_nxt || len == 0 {
                break;
            }
            out.counters.tcp_retransmits += 1;
            self.send_data(now, start, len, out);
            self.rexmit_next = start + len;
        }
        self.rto_deadline = Some(now + self.rtt.rto());
    }

    /// SACK blocks for our ACKs: the out-of-order data we hold (receiver side, RFC 2018).
    fn sack_blocks(&self) -> [Option<(u32, u32)>; 3] {
        let mut blocks = [None; 3];
        if self.sack_ok {
            for (slot, (s, e)) in blocks.iter_mut().zip(self.ooo.ranges()) {
                *slot = Some((self.rcv.wire(s), self.rcv.wire(e)));
            }
        }
        blocks
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
        if self.ack_deadline.is_some_and(|d| now >= d) {
            self.send_ack(now, out);
        }
        if self.persist_deadline.is_some_and(|d| now >= d) {
            self.persist_deadline = None;
            self.send_probe(now, out);
        }
        if self.rto_deadline.is_some_and(|d| now >= d) {
            self.on_rto(now, out);
        }
    }

    fn on_rto(&mut self, now: Instant, out: &mut Out<'_>) {
        self.retries += 1;
        if self.retries > self.cfg.max_retransmits {
            trace!(retries = self.retries, "tcp flow gave up retransmitting");
            self.send_rst(out);
            self.abort(out);
            return;
        }
        self.rtt.back_off();
        self.timed = None;
        match self.state {
            State::SynReceived { .. } => self.send_syn_ack(out),
            State::SynSent { .. } => self.send_syn(out),
            _ => {}
        }
        if let State::SynReceived { .. } | State::SynSent { .. } = self.state {
            out.counters.tcp_retransmits += 1;
            self.rto_deadline = Some(now + self.rtt.rto());
            return;
        }
        let flight = self.snd_nxt.saturating_sub(self.snd_una);
        if flight == 0 {
            self.rto_deadline = None;
            return;
        }
        // RFC 5681 3.1 eq. 4, then go back to the oldest unacknowledged byte.
        self.ssthresh = (flight / 2).max(MIN_SSTHRESH_SEGMENTS * self.seg_size);
        self.cwnd = self.seg_size;
        self.recover = None;
        self.dupacks = 0;
        self.snd_nxt = self.snd_una;
        self.rexmit_next = self.snd_una;
        out.counters.tcp_retransmits += 1;
        self.rto_deadline = None;
        self.try_send(now, out);
        if self.rto_deadline.is_none() {
            self.rto_deadline = Some(now + self.rtt.rto());
        }
    }

    // ------------------------------------------------------------------ sending

    /// Sends what the LAN host's window and the congestion window allow.
    fn try_send(&mut self, now: Instant, out: &mut Out<'_>) {
        if !matches!(self.state, State::Established) {
            return;
        }
        let data_end = self.down_end;
        loop {
            let flight = self.snd_nxt - self.snd_una;
            let window = self.snd_wnd.min(self.cwnd);
            if self.snd_nxt < data_end {
                if let Some(end) = self.sacked.covering(self.snd_nxt) {
                    // The host already has this (go-back-N after a timeout skips it).
                    self.snd_nxt = end.min(data_end);
                    continue;
                }
                let room = window.saturating_sub(flight);
                let avail = data_end - self.snd_nxt;
                if room == 0 {
                    if self.snd_wnd == 0 && flight == 0 && self.persist_deadline.is_none() {
                        self.persist_deadline = Some(now + self.rtt.rto());
                    }
                    break;
                }
                let len = avail.min(room).min(self.max_send);
                // Sender-side silly window avoidance (RFC 9293 3.8.6.2.1): no small segment
                // while more data waits and something is still in flight.
                if len < self.seg_size && len < avail && flight > 0 {
                    break;
                }
                self.send_data(now, self.snd_nxt, len, out);
                self.snd_nxt += len;
            } else if self.remote_eof && self.snd_nxt == data_end {
                // FIN occupies the offset after the data.
                self.send_fin(data_end, out);
                self.snd_nxt = data_end + 1;
                self.snd_max = self.snd_max.max(self.snd_nxt);
                if self.rto_deadline.is_none() {
                    self.rto_deadline = Some(now + self.rtt.rto());
                }
            } else {
                break;
            }
        }
        self.check_finished(now, out);
    }

    fn send_data(&mut self, now: Instant, offset: u64, len: u64, out: &mut Out<'_>) {
        let start = (offset - self.snd_una) as usize;
        let is_new = offset + len > self.snd_max;
        if is_new {
            self.bytes_in += offset + len - self.snd_max.max(offset);
        } else {
            // Karn: never time a retransmitted segment.
            self.timed = None;
        }
        let h = TcpOut {
            seq: self.snd.wire(offset),
            ack: Some(self.rcv.wire(self.rcv_nxt)),
            psh: offset + len == self.down_end,
            window: self.advertised_window(),
            ..TcpOut::default()
        };
        if len > self.seg_size {
            let size = u16::try_from(self.seg_size).unwrap_or(u16::MAX);
            // Headers and payload go straight into a recycled buffer: no intermediate copy.
            let payload = ring_range(&self.down, start, len as usize);
            let buf = out.buffer();
            out.segmented(emit::tcp_segmented(
                self.remote,
                self.lan,
                &h,
                payload,
                size,
                buf,
            ));
            self.packets_in += len.div_ceil(self.seg_size);
        } else {
            let payload = copy_range(&self.down, start, len as usize);
            out.packet(emit::tcp(self.remote, self.lan, &h, &payload));
            self.packets_in += 1;
        }
        self.note_ack_sent();
        if is_new && self.timed.is_none() {
            self.timed = Some((offset + len, now));
        }
        self.snd_max = self.snd_max.max(offset + len);
        if self.rto_deadline.is_none() {
            self.rto_deadline = Some(now + self.rtt.rto());
        }
    }

    fn retransmit_one(&mut self, now: Instant, out: &mut Out<'_>) {
        let data_end = self.down_end;
        out.counters.tcp_retransmits += 1;
        if self.snd_una < data_end {
            let len = (data_end - self.snd_una).min(self.seg_size);
            self.send_data(now, self.snd_una, len, out);
        } else if self.remote_eof && self.snd_nxt > data_end {
            self.send_fin(data_end, out);
        }
        self.rto_deadline = Some(now + self.rtt.rto());
    }

    fn send_probe(&mut self, now: Instant, out: &mut Out<'_>) {
        let data_end = self.down_end;
        if self.snd_nxt < data_end && self.snd_nxt == self.snd_una {
            // Zero-window probe: one byte past the window (RFC 9293 3.8.6.1).
            self.send_data(now, self.snd_nxt, 1, out);
            self.snd_nxt += 1;
        }
    }

    fn send_fin(&mut self, offset: u64, out: &mut Out<'_>) {
        let h = TcpOut {
            seq: self.snd.wire(offset),
            ack: Some(self.rcv.wire(self.rcv_nxt)),
            fin: true,
            window: self.advertised_window(),
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
        self.note_ack_sent();
    }

    fn send_ack(&mut self, _now: Instant, out: &mut Out<'_>) {
        let h = TcpOut {
            seq: self.snd.wire(self.snd_nxt),
            ack: Some(self.rcv.wire(self.rcv_nxt)),
            window: self.advertised_window(),
            sack: self.sack_blocks(),
            ..TcpOut::default()
        };
        out.packet(emit::tcp(self.remote, self.lan, &h, &[]));
        self.packets_in += 1;
        self.note_ack_sent();
    }

    fn send_syn_ack(&mut self, out: &mut Out<'_>) {
        // RFC 7323 2.2: the window in a SYN is never scaled.
        let window = u16::try_from(self.rcv_window_cap()).unwrap_or(u16::MAX);
        self.adv_edge = u64::from(window);
        let h = TcpOut {
            seq: self.iss,
            ack: Some(self.irs.wrapping_add(1)),
            syn: true,
            window,
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

    fn send_rst(&mut self, out: &mut Out<'_>) {
        let (seq, ack) = match self.state {
            State::Connecting { .. } => (0, Some(self.irs.wrapping_add(1))),
            // Nothing heard from the host yet: a RST in our SYN's sequence space.
            State::SynSent { .. } => (self.snd.wire(0), None),
            _ => (
                self.snd.wire(self.snd_nxt),
                Some(self.rcv.wire(self.rcv_nxt)),
            ),
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

    fn note_ack_sent(&mut self) {
        self.acks_owed = 0;
        self.ack_deadline = None;
    }

    // ------------------------------------------------------------------ bookkeeping

    /// Moves the right edge of the receive window as the shell drains; it never moves left.
    fn advance_edge(&mut self) {
        let free = self.rcv_window_cap().saturating_sub(self.up_unconfirmed) as u64;
        self.rcv_edge = self.rcv_edge.max(self.rcv_nxt + free);
    }

    fn advertised_window(&mut self) -> u16 {
        self.advance_edge();
        let wnd = self.rcv_edge.saturating_sub(self.rcv_nxt) >> self.rcv_shift;
        let field = u16::try_from(wnd).unwrap_or(u16::MAX);
        self.adv_edge = self.rcv_nxt + (u64::from(field) << self.rcv_shift);
        field
    }

    /// Largest window we ever offer: the buffer cap, limited to 64 KiB without scaling.
    fn rcv_window_cap(&self) -> usize {
        if self.rcv_shift == 0 && self.snd_shift == 0 {
            self.cfg.buffer_bytes.min(65_535)
        } else {
            self.cfg.buffer_bytes.min(65_535 << self.rcv_shift)
        }
    }

    fn snd_max(&self) -> u64 {
        self.snd_max.max(self.snd_nxt)
    }

    fn grant_credit(&mut self, bytes: usize, force: bool, out: &mut Out<'_>) {
        if self.remote_eof {
            return;
        }
        self.credit_owed += bytes;
        let room = self
            .cfg
            .buffer_bytes
            .saturating_sub(self.down.len() + self.credit_out);
        let grant = self.credit_owed.min(room);
        if grant > 0 && (force || grant >= CREDIT_CHUNK || self.down.is_empty()) {
            self.credit_owed -= grant;
            self.credit_out += grant;
            out.cmd(SocketCommand::TcpReadCredit {
                id: self.socket,
                bytes: grant,
            });
        }
    }

    /// Closes the flow once both directions are finished and acknowledged.
    fn check_finished(&mut self, now: Instant, out: &mut Out<'_>) {
        let data_end = self.down_end;
        let our_fin_acked = self.remote_eof && self.snd_una == data_end + 1;
        if self.state == State::Established && self.lan_fin && our_fin_acked {
            out.cmd(SocketCommand::Close { id: self.socket });
            self.rto_deadline = None;
            self.persist_deadline = None;
            self.ack_deadline = None;
            self.state = State::TimeWait {
                until: now + self.cfg.time_wait,
            };
        }
    }

    /// Resets the upstream connection and forgets the flow.
    fn abort(&mut self, out: &mut Out<'_>) {
        out.cmd(SocketCommand::TcpAbort { id: self.socket });
        self.state = State::Closed;
        self.down.clear();
        self.ooo.clear();
        self.sacked.clear();
    }

    /// Closes quietly (the upstream socket is closed, nothing is said to the LAN).
    fn close(&mut self, out: &mut Out<'_>) {
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

/// The `len` bytes at `start` of the ring, as at most two slices.
fn ring_range(ring: &VecDeque<u8>, start: usize, len: usize) -> [&[u8]; 2] {
    let (a, b) = ring.as_slices();
    let end = start + len;
    let first = &a[start.min(a.len())..end.min(a.len())];
    let second = if end > a.len() {
        &b[start.saturating_sub(a.len())..end - a.len()]
    } else {
        &[]
    };
    [first, second]
}

/// Copies `len` bytes at `start` out of the ring in at most two slice copies.
fn copy_range(ring: &VecDeque<u8>, start: usize, len: usize) -> Vec<u8> {
    ring_range(ring, start, len).concat()
}

/// Window-scale shift so that `buffer` fits the 16-bit window field (RFC 7323 2.3, max 14).
fn shift_for(buffer: usize) -> u8 {
    let mut shift = 0u8;
    while shift < 14 && (buffer >> shift) > 65_535 {
        shift += 1;
    }
    shift
}
