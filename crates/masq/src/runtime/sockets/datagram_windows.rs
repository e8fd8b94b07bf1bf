//! Datagram mappings on Windows: UDP through tokio's `UdpSocket` (the Unix reactor's poll of
//! raw descriptors has no Windows counterpart here), ICMP echo through the IP Helper API on tokio's blocking
//! pool, since Windows has no ping socket (see masq-platform's `IcmpEcho`).
//!
//! The events are the same as on Unix, minus what Windows does not report: UDP sockets
//! deliver no ICMP errors (no error queue), so a hidden host's UDP traceroute sees no
//! intermediate hops; echo errors (time exceeded, unreachable) do come back, without the
//! original ICMP code's detail.

use std::time::Duration;

use masq_engine::{Family, SocketId};
use masq_platform::sockets::{self as psock, EchoOutcome, IcmpEcho};
use socket2::{SockRef, Socket};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, debug_span, trace, warn};

use super::super::DATAGRAM_MAX;
use super::super::echo::{Kind, deliver};
use super::{ShellEvent, SocketEvent, Sockets, TaskCmd};

/// How long one echo waits for its answer (a hidden host's ping usually waits 1-4 s).
const ECHO_TIMEOUT: Duration = Duration::from_secs(3);
/// Echoes of one mapping in flight at once; more are dropped, as a congested router would.
const ECHOES_IN_FLIGHT: usize = 32;

impl Sockets {
    /// A port forward's UDP socket: like a mapping's, bound to the forward's public port.
    pub(super) fn open_udp_listener(&mut self, id: SocketId, family: Family, port: u16) {
        let (tx, rx) = mpsc::unbounded_channel();
        let events = self.events.clone();
        let span = debug_span!("dgram", %id, kind = "udp", port);
        let task = match psock::udp_listener(&self.uplink, family, port) {
            Ok(sock) => tokio::spawn(udp_task(id, sock, family, rx, events).instrument(span)),
            Err(e) => {
                warn!(port, error = %e, "UDP port forward cannot bind");
                let _ = events.send(ShellEvent::Socket(SocketEvent::ListenFailed {
                    id,
                    reason: e.to_string(),
                }));
                return;
            }
        };
        self.insert_plain(id, tx, task);
    }

    pub(super) fn open_datagram(&mut self, id: SocketId, family: Family, kind: Kind) {
        let (tx, rx) = mpsc::unbounded_channel();
        let events = self.events.clone();
        let span = debug_span!("dgram", %id, kind = kind.name());
        let task = match kind {
            Kind::Udp => match psock::udp_socket(&self.uplink, family) {
                Ok(sock) => tokio::spawn(udp_task(id, sock, family, rx, events).instrument(span)),
                Err(e) => {
                    warn!(?family, error = %e, "cannot open an uplink udp socket");
                    let _ = events.send(ShellEvent::Socket(SocketEvent::OpenFailed { id }));
                    return;
                }
            },
            Kind::Icmp => match IcmpEcho::open(&self.uplink, family) {
                Ok(echo) => tokio::spawn(icmp_task(id, echo, rx, events).instrument(span)),
                Err(e) => {
                    warn!(?family, error = %e, "cannot send ICMP echo from the uplink");
                    let _ = events.send(ShellEvent::Socket(SocketEvent::OpenFailed { id }));
                    return;
                }
            },
        };
        self.insert_plain(id, tx, task);
    }
}

async fn udp_task(
    id: SocketId,
    sock: Socket,
    family: Family,
    mut rx: mpsc::UnboundedReceiver<TaskCmd>,
    events: mpsc::UnboundedSender<ShellEvent>,
) {
    let std_sock: std::net::UdpSocket = sock.into();
    let udp = match UdpSocket::from_std(std_sock) {
        Ok(u) => u,
        Err(e) => {
            debug!(error = %e, "cannot register socket");
            let _ = events.send(ShellEvent::Socket(SocketEvent::OpenFailed { id }));
            return;
        }
    };
    let Ok(local) = udp.local_addr() else {
        let _ = events.send(ShellEvent::Socket(SocketEvent::OpenFailed { id }));
        return;
    };
    let _ = events.send(ShellEvent::Socket(SocketEvent::Opened { id, local }));
    let mut ttl: Option<u8> = None;
    let mut dont_fragment: Option<bool> = None;
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                None | Some(TaskCmd::Close) => return,
                Some(TaskCmd::SendTo { dst, ttl: t, dont_fragment: df, payload }) => {
                    if ttl != Some(t) {
                        match psock::set_ttl(&SockRef::from(&udp), family, t) {
                            Ok(()) => ttl = Some(t),
                            Err(e) => debug!(error = %e, ttl = t, "cannot set ttl"),
                        }
                    }
                    if dont_fragment != Some(df) {
                        match psock::set_dont_fragment(&SockRef::from(&udp), family, df) {
                            Ok(()) => dont_fragment = Some(df),
                            Err(e) => debug!(error = %e, df, "cannot set DF"),
                        }
                    }
                    // A full send buffer drops the datagram, as a router's full queue would.
                    if let Err(e) = udp.try_send_to(&payload, dst) {
                        trace!(error = %e, %dst, "send failed");
                    }
                }
                Some(_) => {}
            },
            r = udp.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    if let Some(ev) = deliver(Kind::Udp, id, from, &buf[..n]) {
                        let _ = events.send(ev.into());
                    }
                }
                Err(e) => trace!(error = %e, "receive failed"),
            },
        }
    }
}

async fn icmp_task(
    id: SocketId,
    echo: IcmpEcho,
    mut rx: mpsc::UnboundedReceiver<TaskCmd>,
    events: mpsc::UnboundedSender<ShellEvent>,
) {
    let _ = events.send(ShellEvent::Socket(SocketEvent::Opened {
        id,
        local: echo.local(),
    }));
    let mut pending = JoinSet::new();
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                None | Some(TaskCmd::Close) => return,
                Some(TaskCmd::Echo { dst, seq, ttl, payload }) => {
                    if pending.len() >= ECHOES_IN_FLIGHT {
                        trace!(%dst, seq, "too many echoes in flight, dropped");
                        continue;
                    }
                    let echo = echo.clone();
                    pending.spawn_blocking(move || (seq, echo.send(dst, seq, ttl, &payload, ECHO_TIMEOUT)));
                }
                Some(_) => {}
            },
            Some(done) = pending.join_next(), if !pending.is_empty() => match done {
                Ok((seq, Ok(EchoOutcome::Reply { from, data }))) => {
                    let _ = events.send(ShellEvent::Socket(SocketEvent::EchoReply { id, from, seq, data }));
                }
                Ok((_, Ok(EchoOutcome::Error(report)))) => {
                    let _ = events.send(ShellEvent::Socket(SocketEvent::IcmpError { id, report }));
                }
                Ok((_, Ok(EchoOutcome::NoAnswer))) => {}
                Ok((seq, Err(e))) => debug!(seq, error = %e, "echo failed"),
                Err(e) => debug!(error = %e, "echo task failed"),
            },
        }
    }
}
