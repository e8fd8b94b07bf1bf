//! The engine's side of port forwards: the forward table's upkeep, the listeners the shell
//! opens for it, and the flows that come in through them (see [`crate::forward`]).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use tracing::{debug, info};

use super::{Engine, Kind};
use crate::command::{Family, SocketCommand};
use crate::flow::{FlowKey, LanEndpoint, Protocol, RemoteEndpoint, SocketId};
use crate::forward::{
    ForwardEntry, ForwardError, ForwardKey, ForwardProtocol, ForwardSpec, ForwardView, Listener,
    ListenerState,
};
use crate::stats::DropReason;
use crate::tcp::{Ends, TcpAcceptInit, TcpFlow};
use crate::udp::UdpMapping;

impl Engine {
    /// Adds a port forward and, if it is enabled, asks the shell to listen on its ports.
    /// `expires` is for port mappings that LAN clients asked for; the user's own forwards
    /// pass `None` and live until removed.
    pub fn add_forward(
        &mut self,
        now: Instant,
        spec: ForwardSpec,
        expires: Option<Instant>,
    ) -> Result<ForwardKey, ForwardError> {
        let key = spec.key();
        if self.forwards.entries.contains_key(&key) {
            return Err(ForwardError::Overlaps {
                protocol: key.protocol,
                port: key.port,
                existing: key,
            });
        }
        self.check_forward(&spec, None)?;
        info!(forward = %key, target = %spec.target, origin = ?spec.origin, "port forward added");
        self.forwards.entries.insert(
            key,
            ForwardEntry {
                spec,
                expires,
                listeners: Vec::new(),
                connections: 0,
            },
        );
        if let Some(t) = expires {
            self.forward_timers.insert((t, key));
        }
        self.start_listeners(now, key);
        Ok(key)
    }

    /// Replaces the forward `key` with `spec` in one step (an edit: other ports, another
    /// target, a new name), keeping its expiry and its count of connections. Checked before
    /// anything changes, so a refused edit leaves the old forward as it was; TCP connections
    /// already forwarded stay up (a UDP forward's sessions end with its old socket). Answers
    /// the forward's key from now on.
    pub fn update_forward(
        &mut self,
        now: Instant,
        key: ForwardKey,
        spec: ForwardSpec,
    ) -> Result<ForwardKey, ForwardError> {
        if !self.forwards.entries.contains_key(&key) {
            return Err(ForwardError::NotFound(key));
        }
        let new_key = spec.key();
        if new_key != key && self.forwards.entries.contains_key(&new_key) {
            return Err(ForwardError::Overlaps {
                protocol: new_key.protocol,
                port: new_key.port,
                existing: new_key,
            });
        }
        self.check_forward(&spec, Some(key))?;
        self.stop_forward_listeners(key);
        let Some(mut entry) = self.forwards.entries.remove(&key) else {
            return Err(ForwardError::NotFound(key));
        };
        if let Some(t) = entry.expires {
            self.forward_timers.remove(&(t, key));
            self.forward_timers.insert((t, new_key));
        }
        info!(forward = %key, to = %new_key, target = %spec.target, "port forward changed");
        entry.spec = spec;
        self.forwards.entries.insert(new_key, entry);
        self.start_listeners(now, new_key);
        Ok(new_key)
    }

    /// Switches a forward on or off without forgetting it.
    pub fn set_forward_enabled(
        &mut self,
        now: Instant,
        key: ForwardKey,
        enabled: bool,
    ) -> Result<(), ForwardError> {
        let e = self
            .forwards
            .entries
            .get_mut(&key)
            .ok_or(ForwardError::NotFound(key))?;
        if e.spec.enabled == enabled {
            return Ok(());
        }
        e.spec.enabled = enabled;
        if enabled {
            self.start_listeners(now, key);
        } else {
            self.stop_forward_listeners(key);
        }
        Ok(())
    }

    /// Moves a port mapping's expiry (a client renewed it); `None` makes it permanent.
    pub fn renew_forward(
        &mut self,
        key: ForwardKey,
        expires: Option<Instant>,
    ) -> Result<(), ForwardError> {
        let e = self
            .forwards
            .entries
            .get_mut(&key)
            .ok_or(ForwardError::NotFound(key))?;
        if let Some(old) = e.expires {
            self.forward_timers.remove(&(old, key));
        }
        e.expires = expires;
        if let Some(t) = expires {
            self.forward_timers.insert((t, key));
        }
        Ok(())
    }

    /// Removes a forward: its ports stop listening at once. Connections it already let in
    /// stay up until they end, as on other routers.
    pub fn remove_forward(
        &mut self,
        _now: Instant,
        key: ForwardKey,
    ) -> Result<ForwardSpec, ForwardError> {
        if !self.forwards.entries.contains_key(&key) {
            return Err(ForwardError::NotFound(key));
        }
        self.stop_forward_listeners(key);
        let e = self
            .forwards
            .entries
            .remove(&key)
            .ok_or(ForwardError::NotFound(key))?;
        if let Some(t) = e.expires {
            self.forward_timers.remove(&(t, key));
        }
        info!(forward = %key, "port forward removed");
        Ok(e.spec)
    }

    /// Opens the listeners of every enabled forward again, e.g. after [`Engine::reset_all`]
    /// when the uplink changed and the old sockets are gone.
    pub fn restart_forwards(&mut self, now: Instant) {
        let keys: Vec<ForwardKey> = self.forwards.entries.keys().copied().collect();
        for key in keys {
            self.stop_forward_listeners(key);
            self.start_listeners(now, key);
        }
    }

    /// The forwards, ordered by protocol and first port.
    pub fn forwards(&self, now: Instant) -> Vec<ForwardView> {
        self.forwards
            .entries
            .values()
            .map(|e| {
                let mut v = e.view(now);
                if e.spec.protocol == ForwardProtocol::Udp {
                    // A UDP forward has no connections: count the datagrams it delivered.
                    v.connections = e
                        .listeners
                        .iter()
                        .filter_map(|l| self.by_socket.get(&l.socket))
                        .filter_map(|fid| self.flows.get(fid))
                        .map(|f| match &f.kind {
                            Kind::Udp(m) => m.packets_in,
                            _ => 0,
                        })
                        .sum();
                }
                v
            })
            .collect()
    }

    /// A forward's listener could not be opened (typically: another program has the port).
    /// The forward stays in the list, marked failed with `reason`, until it is changed or
    /// switched off and on again.
    pub(super) fn on_listen_failed(&mut self, id: SocketId, reason: &str) {
        let Some(&key) = self.forwards.by_socket.get(&id) else {
            self.counters.drop(DropReason::StaleSocket);
            return;
        };
        if let Some(l) = self
            .forwards
            .entries
            .get_mut(&key)
            .and_then(|e| e.listeners.iter_mut().find(|l| l.socket == id))
        {
            l.state = ListenerState::Failed {
                reason: reason.to_string(),
            };
        }
        debug!(forward = %key, reason, "port forward listener failed");
        if let Some(&fid) = self.by_socket.get(&id) {
            self.remove_flow(fid);
        }
    }

    /// A forward's TCP listener accepted a connection from `peer` on `local`. Returns the
    /// socket id the shell must use for the accepted connection from now on, or `None` if
    /// the engine refuses it (forward gone, flow limits): then the shell resets it.
    pub fn handle_tcp_accepted(
        &mut self,
        now: Instant,
        listener: SocketId,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Option<SocketId> {
        let Some(&fkey) = self.forwards.by_socket.get(&listener) else {
            self.counters.drop(DropReason::StaleSocket);
            return None;
        };
        let entry = self.forwards.entries.get(&fkey)?;
        let port = entry
            .listeners
            .iter()
            .find(|l| l.socket == listener)
            .map(|l| l.port)?;
        let target = SocketAddr::V4(entry.spec.target_for(port)?);
        if !entry.spec.enabled {
            return None;
        }
        let key = FlowKey {
            protocol: Protocol::Tcp,
            lan: LanEndpoint(target),
            remote: Some(RemoteEndpoint(peer)),
        };
        if self.by_key.contains(&key, &self.flows) {
            self.counters.drop(DropReason::NoState);
            return None;
        }
        if let Err(reason) = self.admit(target.ip()) {
            self.counters.drop(reason);
            return None;
        }
        let socket = self.alloc_socket();
        let init = TcpAcceptInit {
            ends: Ends {
                lan: target,
                remote: peer,
                socket,
                gateway_ip: self.gateway_ip_for(target.ip()),
            },
            iss: self.isn.isn(now, target, peer),
            tun_mtu: self.cfg.tun_mtu,
            offload: self.cfg.tun_offload,
        };
        let cfg = std::sync::Arc::clone(&self.tcp_cfg);
        let flow = {
            let mut out = self.out();
            TcpFlow::accept(now, init, cfg, &mut out)
        };
        let fid = self.insert_flow(now, key, socket, Kind::Tcp(Box::new(flow)));
        if let Some(e) = self.flows.get_mut(&fid) {
            e.gateway = Some(local);
            e.forward = Some(fkey);
        }
        if let Some(e) = self.forwards.entries.get_mut(&fkey) {
            e.connections += 1;
        }
        debug!(forward = %fkey, %peer, %target, "forwarded connection");
        Some(socket)
    }

    /// The listener socket `id` opened; returns its forward's protocol if it is one.
    pub(super) fn on_listener_opened(&mut self, id: SocketId) -> Option<ForwardProtocol> {
        let key = *self.forwards.by_socket.get(&id)?;
        let l = self
            .forwards
            .entries
            .get_mut(&key)?
            .listeners
            .iter_mut()
            .find(|l| l.socket == id)?;
        l.state = ListenerState::Listening;
        Some(key.protocol)
    }

    /// Ends port mappings whose time is up.
    pub(super) fn expire_forwards(&mut self, now: Instant) {
        while let Some(&(t, key)) = self.forward_timers.first() {
            if t > now {
                break;
            }
            self.forward_timers.pop_first();
            info!(forward = %key, "port mapping expired");
            if let Some(e) = self.forwards.entries.get_mut(&key) {
                // Expired: no timer left to remove in remove_forward.
                e.expires = None;
            }
            // The key came from the timer set, so it exists; nothing to report otherwise.
            let _ = self.remove_forward(now, key);
        }
    }

    /// When the forward expires (port mappings only).
    pub(super) fn forward_expiry(&self, key: Option<ForwardKey>) -> Option<Instant> {
        self.forwards.entries.get(&key?)?.expires
    }

    /// Closes every forward's listeners (they are reopened by [`Engine::restart_forwards`]).
    pub(super) fn stop_listeners(&mut self) {
        let keys: Vec<ForwardKey> = self.forwards.entries.keys().copied().collect();
        for key in keys {
            self.stop_forward_listeners(key);
        }
    }

    fn check_forward(
        &self,
        spec: &ForwardSpec,
        replacing: Option<ForwardKey>,
    ) -> Result<(), ForwardError> {
        spec.validate()?;
        let ip = IpAddr::V4(*spec.target.ip());
        if !self.in_lan(ip) || *spec.target.ip() == self.cfg.gateway_v4 {
            return Err(ForwardError::TargetNotOnLan(
                *spec.target.ip(),
                format!("{}/{}", self.cfg.gateway_v4, self.cfg.lan_prefix_len),
            ));
        }
        if let Some((port, existing)) = self.forwards.clash(spec, replacing) {
            return Err(ForwardError::Overlaps {
                protocol: spec.protocol,
                port,
                existing,
            });
        }
        let in_use = self.forwards.ports_in_use(replacing);
        if in_use + spec.public.len() > self.cfg.max_forward_ports {
            return Err(ForwardError::TooManyPorts {
                wanted: spec.public.len(),
                limit: self.cfg.max_forward_ports,
            });
        }
        Ok(())
    }

    fn start_listeners(&mut self, now: Instant, key: ForwardKey) {
        let Some(spec) = self.forwards.entries.get(&key).map(|e| e.spec.clone()) else {
            return;
        };
        if !spec.enabled {
            return;
        }
        let mut listeners = Vec::with_capacity(spec.public.len());
        for port in spec.public.ports() {
            let socket = self.alloc_socket();
            self.forwards.by_socket.insert(socket, key);
            listeners.push(Listener {
                port,
                socket,
                state: ListenerState::Opening,
            });
            match spec.protocol {
                ForwardProtocol::Tcp => self.cmds.push_back(SocketCommand::TcpListen {
                    id: socket,
                    family: Family::V4,
                    port,
                }),
                ForwardProtocol::Udp => {
                    let Some(target) = spec.target_for(port) else {
                        continue;
                    };
                    let target = SocketAddr::V4(target);
                    self.open_udp_forward(now, key, target, socket, port);
                }
            }
        }
        if let Some(e) = self.forwards.entries.get_mut(&key) {
            e.listeners = listeners;
        }
    }

    /// The forward's UDP socket is the target endpoint's mapping: the host's own datagrams
    /// from that endpoint leave through it too (the public port is its address outside).
    fn open_udp_forward(
        &mut self,
        now: Instant,
        key: ForwardKey,
        target: SocketAddr,
        socket: SocketId,
        port: u16,
    ) {
        let flow_key = FlowKey {
            protocol: Protocol::Udp,
            lan: LanEndpoint(target),
            remote: None,
        };
        if let Some(old) = self.by_key.get(&flow_key, &self.flows) {
            // An ordinary mapping of the same endpoint gives way to the forward's.
            if let Some(e) = self.flows.get(&old)
                && let Kind::Udp(m) = &e.kind
            {
                self.cmds.push_back(SocketCommand::Close { id: m.socket() });
            }
            self.remove_flow(old);
        }
        let mapping = {
            let mut out = self.out();
            UdpMapping::listen(now, target, socket, port, &mut out)
        };
        let fid = self.insert_flow(now, flow_key, socket, Kind::Udp(Box::new(mapping)));
        if let Some(e) = self.flows.get_mut(&fid) {
            e.forward = Some(key);
        }
    }

    fn stop_forward_listeners(&mut self, key: ForwardKey) {
        let Some(e) = self.forwards.entries.get_mut(&key) else {
            return;
        };
        let listeners = std::mem::take(&mut e.listeners);
        for l in listeners {
            self.forwards.by_socket.remove(&l.socket);
            if !matches!(l.state, ListenerState::Failed { .. }) {
                self.cmds.push_back(SocketCommand::Close { id: l.socket });
            }
            if let Some(&fid) = self.by_socket.get(&l.socket) {
                self.remove_flow(fid);
            }
        }
    }
}
