//! The flow table's upkeep: inserting and removing flows with their indexes, timers and
//! per-host counts, and running a closure on the flow a socket or key names.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use tracing::{debug, trace, trace_span};

use crate::config::Config;
use crate::flow::{FlowId, FlowKey, Protocol, SocketId};
use crate::out::Out;
use crate::stats::DropReason;
use crate::tcp::TcpFlow;

use super::{Engine, Entry, Kind, TcpPortMapping};

impl Engine {
    /// The hidden host a socket's flow belongs to (`None` for a forward's listener).
    pub(super) fn host_of(&self, socket: SocketId) -> Option<IpAddr> {
        let fid = self.by_socket.get(&socket)?;
        Some(self.flows.get(fid)?.key.lan.ip())
    }

    pub(super) fn out(&mut self) -> Out<'_> {
        Out {
            tun: &mut self.tun_out,
            cmds: &mut self.cmds,
            counters: &mut self.counters,
            pool: &mut self.pool,
            udp_offload: self.cfg.tun_udp_offload,
            ip_idents: &mut self.ip_idents,
            buffers: &mut self.buffers,
        }
    }

    pub(super) fn alloc_socket(&mut self) -> SocketId {
        let id = SocketId(self.next_socket);
        self.next_socket += 1;
        id
    }

    pub(super) fn insert_flow(
        &mut self,
        now: Instant,
        key: FlowKey,
        socket: SocketId,
        kind: Kind,
    ) -> FlowId {
        let fid = FlowId(self.next_flow);
        self.next_flow += 1;
        self.counters.flows_created += 1;
        *self.per_host.entry(key.lan.ip()).or_insert(0) += 1;
        self.by_key.insert(&key, fid, &self.flows);
        self.by_socket.insert(socket, fid);
        let span = trace_span!("flow", id = fid.0, protocol = %key.protocol);
        let _g = span.enter();
        debug!(lan = %key.lan, remote = ?key.remote.map(|r| r.0), "new flow");
        self.flows.insert(
            fid,
            Entry {
                key,
                created: now,
                deadline: None,
                gateway: None,
                forward: None,
                counted: true,
                holds_tcp_port: false,
                kind,
            },
        );
        self.reschedule(fid);
        fid
    }

    /// Takes a flow off its host's count (it no longer holds a socket).
    pub(super) fn uncount(&mut self, host: IpAddr) {
        if let Some(n) = self.per_host.get_mut(&host) {
            *n -= 1;
            if *n == 0 {
                self.per_host.remove(&host);
            }
        }
    }

    /// Records that an outbound TCP connection leaves from `local`, so the LAN endpoint's next
    /// connections ask for the same port. A connection that got another port (the shell could
    /// not bind the mapped one) does not change the mapping.
    pub(super) fn hold_tcp_port(&mut self, id: SocketId, local: SocketAddr) {
        let Some(&fid) = self.by_socket.get(&id) else {
            return;
        };
        let Some(e) = self.flows.get_mut(&fid) else {
            return;
        };
        if e.forward.is_some() || e.key.protocol != Protocol::Tcp || e.holds_tcp_port {
            return;
        }
        let lan = e.key.lan.0;
        let m = self.tcp_ports.entry(lan).or_insert(TcpPortMapping {
            port: local.port(),
            connections: 0,
        });
        if m.port == local.port() {
            m.connections += 1;
            e.holds_tcp_port = true;
        }
    }

    pub(super) fn remove_flow(&mut self, fid: FlowId) {
        let Some(e) = self.flows.remove(&fid) else {
            return;
        };
        if let Some(d) = e.deadline {
            self.timers.remove(&(d, fid));
        }
        self.by_key.remove(&e.key, fid);
        let socket = match &e.kind {
            Kind::Tcp(f) => {
                self.buffers.release(f.buffers_grown());
                f.socket()
            }
            Kind::Udp(m) => m.socket(),
            Kind::Icmp(m) => m.socket(),
        };
        self.by_socket.remove(&socket);
        if let Some(g) = e.gateway
            && self.by_gateway.get(&(e.key.protocol, g)) == Some(&fid)
        {
            self.by_gateway.remove(&(e.key.protocol, g));
        }
        if e.holds_tcp_port {
            let lan = e.key.lan.0;
            if let Some(m) = self.tcp_ports.get_mut(&lan) {
                m.connections -= 1;
                if m.connections == 0 {
                    self.tcp_ports.remove(&lan);
                }
            }
        }
        if e.counted {
            self.uncount(e.key.lan.ip());
        }
        self.counters.flows_closed += 1;
        trace!(id = fid.0, "flow removed");
    }

    pub(super) fn entry_deadline(&self, e: &Entry) -> Option<Instant> {
        match &e.kind {
            Kind::Tcp(f) => f.deadline(),
            Kind::Udp(m) => m.expires(&self.cfg.udp),
            Kind::Icmp(m) => Some(m.last_activity() + self.cfg.icmp.echo_timeout),
        }
    }

    pub(super) fn is_finished(&self, e: &Entry, now: Instant) -> bool {
        match &e.kind {
            Kind::Tcp(f) => f.is_closed(),
            Kind::Udp(m) => m.is_failed() || m.expires(&self.cfg.udp).is_some_and(|t| now >= t),
            Kind::Icmp(m) => now >= m.last_activity() + self.cfg.icmp.echo_timeout,
        }
    }

    /// Puts a flow's (new) deadline in the timer queue, or removes it if finished.
    pub(super) fn reschedule(&mut self, fid: FlowId) {
        let Some(e) = self.flows.get(&fid) else {
            return;
        };
        let new = self.entry_deadline(e);
        let old = e.deadline;
        if new == old {
            return;
        }
        if let Some(d) = old {
            self.timers.remove(&(d, fid));
        }
        if let Some(d) = new {
            self.timers.insert((d, fid));
        }
        if let Some(e) = self.flows.get_mut(&fid) {
            e.deadline = new;
        }
    }

    pub(super) fn with_flow(
        &mut self,
        now: Instant,
        fid: FlowId,
        f: impl FnOnce(&mut Entry, &mut Out<'_>, &Config),
    ) {
        let Some(e) = self.flows.get_mut(&fid) else {
            return;
        };
        let mut out = Out {
            tun: &mut self.tun_out,
            cmds: &mut self.cmds,
            counters: &mut self.counters,
            pool: &mut self.pool,
            udp_offload: self.cfg.tun_udp_offload,
            ip_idents: &mut self.ip_idents,
            buffers: &mut self.buffers,
        };
        f(e, &mut out, &self.cfg);
        if let Kind::Tcp(t) = &mut e.kind {
            t.report_stats(out.counters);
        }
        if let Some(e) = self.flows.get_mut(&fid)
            && e.counted
            && matches!(&e.kind, Kind::Tcp(t) if t.is_reusable())
        {
            e.counted = false;
            let host = e.key.lan.ip();
            self.uncount(host);
        }
        let finished = self
            .flows
            .get(&fid)
            .is_some_and(|e| self.is_finished(e, now));
        if finished {
            self.remove_flow(fid);
        } else {
            self.reschedule(fid);
        }
    }

    pub(super) fn with_socket(
        &mut self,
        now: Instant,
        id: SocketId,
        f: impl FnOnce(&mut Entry, &mut Out<'_>),
    ) {
        let Some(&fid) = self.by_socket.get(&id) else {
            self.counters.drop(DropReason::StaleSocket);
            return;
        };
        self.with_flow(now, fid, |e, out, _| f(e, out));
    }

    pub(super) fn with_tcp(
        &mut self,
        now: Instant,
        id: SocketId,
        f: impl FnOnce(&mut TcpFlow, &mut Out<'_>),
    ) {
        self.with_socket(now, id, |e, out| {
            if let Kind::Tcp(t) = &mut e.kind {
                f(t, out);
            }
        });
    }
}
