//! The engine's side of [`SocketEvent`]: one entry point that routes each event to the flow
//! that owns the socket.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::{Engine, Kind};
use crate::command::{ConnectError, IcmpErrorReport};
use crate::flow::{Protocol, SocketId};
use crate::snapshot::RefusalReason;
use crate::socket_event::SocketEvent;
use crate::stats::DropReason;
use crate::udp::Inbound;

impl Engine {
    /// Something happened on a socket the shell owns for the engine.
    ///
    /// Payloads are borrowed; a shell that queued owned events passes
    /// [`SocketEvent::borrowed`].
    pub fn handle_socket_event(&mut self, now: Instant, event: SocketEvent<&[u8]>) {
        match event {
            SocketEvent::TcpConnected { id, local } => self.on_tcp_connected(now, id, local),
            SocketEvent::TcpConnectFailed { id, error, icmp } => {
                self.on_tcp_connect_failed(now, id, error, icmp)
            }
            SocketEvent::TcpData { id, data } => self.on_tcp_data(now, id, data),
            SocketEvent::TcpEof { id } => self.on_tcp_eof(now, id),
            SocketEvent::TcpSent { id, bytes } => self.on_tcp_sent(now, id, bytes),
            SocketEvent::TcpReset { id } => self.on_tcp_reset(now, id),
            SocketEvent::Opened { id, local } => self.on_socket_opened(now, id, local),
            SocketEvent::OpenFailed { id } => self.on_socket_open_failed(now, id),
            SocketEvent::Datagram { id, from, data } => self.on_udp_datagram(now, id, from, data),
            SocketEvent::EchoReply {
                id,
                from,
                seq,
                data,
            } => self.on_echo_reply(now, id, from, seq, data),
            SocketEvent::IcmpError { id, report } => self.on_icmp_error(now, id, report),
            SocketEvent::ListenFailed { id, reason } => self.on_listen_failed(id, &reason),
        }
    }

    /// The upstream connect of a TCP flow succeeded; `local` is the gateway endpoint.
    fn on_tcp_connected(&mut self, now: Instant, id: SocketId, local: SocketAddr) {
        self.with_socket(now, id, |e, out| {
            e.gateway = Some(local);
            if let Kind::Tcp(f) = &mut e.kind {
                f.on_connected(now, out);
            }
        });
        self.hold_tcp_port(id, local);
        if let Some(&fid) = self.by_socket.get(&id) {
            self.by_gateway.insert((Protocol::Tcp, local), fid);
        }
    }

    /// The upstream connect failed; `icmp` is the error the OS queued, if any (it names the
    /// router that answered, which `traceroute -T` needs).
    fn on_tcp_connect_failed(
        &mut self,
        now: Instant,
        id: SocketId,
        error: ConnectError,
        icmp: Option<IcmpErrorReport>,
    ) {
        self.with_socket(now, id, |e, out| {
            if let Kind::Tcp(f) = &mut e.kind {
                f.on_connect_failed(now, error, icmp.as_ref(), out);
            }
        });
    }

    /// Bytes read from a TCP socket (never more than the credit granted).
    fn on_tcp_data(&mut self, now: Instant, id: SocketId, data: &[u8]) {
        self.shaper.observe(now);
        self.with_tcp(now, id, |f, out| f.on_data(now, data, out));
    }

    /// The remote closed its sending side (read returned 0).
    fn on_tcp_eof(&mut self, now: Instant, id: SocketId) {
        self.with_tcp(now, id, |f, out| f.on_eof(now, out));
    }

    /// `n` more bytes of earlier `TcpSend` data were written to the socket.
    fn on_tcp_sent(&mut self, now: Instant, id: SocketId, n: usize) {
        self.shaper.observe(now);
        self.with_tcp(now, id, |f, out| f.on_sent(now, n, out));
    }

    /// The TCP connection failed after it was established (reset, timeout, error).
    fn on_tcp_reset(&mut self, now: Instant, id: SocketId) {
        self.with_tcp(now, id, |f, out| f.on_reset(now, out));
    }

    /// A UDP or ICMP socket was opened; `local` is its gateway endpoint (for ICMP the port is
    /// the echo identifier the kernel chose).
    fn on_socket_opened(&mut self, now: Instant, id: SocketId, local: SocketAddr) {
        if self.on_listener_opened(id) == Some(crate::forward::ForwardProtocol::Tcp) {
            return;
        }
        let mut proto = None;
        self.with_socket(now, id, |e, out| {
            e.gateway = Some(local);
            match &mut e.kind {
                Kind::Udp(m) => {
                    m.on_opened(local, out);
                    proto = Some(Protocol::Udp);
                }
                Kind::Icmp(m) => {
                    m.on_opened(local, out);
                    proto = Some(Protocol::Icmp);
                }
                Kind::Tcp(_) => {}
            }
        });
        if let (Some(p), Some(&fid)) = (proto, self.by_socket.get(&id)) {
            self.by_gateway.insert((p, local), fid);
        }
    }

    /// A UDP or ICMP socket could not be opened (e.g. no uplink address); the mapping ends.
    fn on_socket_open_failed(&mut self, now: Instant, id: SocketId) {
        let Some(&fid) = self.by_socket.get(&id) else {
            self.counters.drop(DropReason::StaleSocket);
            return;
        };
        let gw = match self.flows.get(&fid) {
            Some(e) => self.gateway_ip_for(e.key.lan.ip()),
            None => IpAddr::V4(self.cfg.gateway_v4),
        };
        self.with_socket(now, id, |e, out| {
            if let Kind::Udp(m) = &mut e.kind {
                m.on_open_failed(gw, out);
            }
        });
        if let Some(&fid) = self.by_socket.get(&id) {
            self.remove_flow(fid);
        }
    }

    /// A datagram arrived on a UDP mapping's socket.
    fn on_udp_datagram(&mut self, now: Instant, id: SocketId, from: SocketAddr, payload: &[u8]) {
        if self.shaper.is_active() {
            self.shaper.observe(now);
            if let Some(host) = self.host_of(id)
                && !self.shaper.take_down(host, payload.len())
            {
                self.counters.drop(DropReason::RateLimited);
                return;
            }
        }
        let cfg = self.cfg.udp.clone();
        let mtu = self.cfg.tun_mtu;
        let mut filtered = None;
        self.with_socket(now, id, |e, out| {
            if let Kind::Udp(m) = &mut e.kind
                && let Inbound::Filtered = m.on_inbound(now, from, payload, &cfg, mtu, out)
            {
                filtered = m.gateway();
            }
        });
        if let Some(gateway) = filtered {
            self.inbound.record(
                now,
                Protocol::Udp,
                from,
                gateway,
                RefusalReason::FilteredByMapping,
            );
        }
    }

    /// An echo reply arrived on an ICMP mapping's socket.
    fn on_echo_reply(
        &mut self,
        now: Instant,
        id: SocketId,
        from: IpAddr,
        seq: u16,
        payload: &[u8],
    ) {
        self.with_socket(now, id, |e, out| {
            if let Kind::Icmp(m) = &mut e.kind {
                m.on_reply(now, from, seq, payload, out);
            }
        });
    }

    /// The OS reported an ICMP error on a socket (Linux: read from the error queue).
    fn on_icmp_error(&mut self, now: Instant, id: SocketId, mut report: IcmpErrorReport) {
        if report.offender.is_unspecified() {
            // The gateway's own stack refused the datagram (too big for the uplink with DF):
            // to the host, the router that says so is the gateway.
            if let Some(e) = self.by_socket.get(&id).and_then(|f| self.flows.get(f)) {
                report.offender = self.gateway_ip_for(e.key.lan.ip());
            }
        }
        self.with_socket(now, id, |e, out| match &mut e.kind {
            Kind::Udp(m) => m.on_icmp_error(&report, out),
            Kind::Icmp(m) => m.on_icmp_error(&report, out),
            Kind::Tcp(f) => f.on_icmp_error(&report),
        });
    }
}
