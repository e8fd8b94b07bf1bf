//! The port-mapping server's socket at the gateway's LAN address, UDP port 5351.
//!
//! The mappings live in the engine's forward table, which only the runtime's event loop may
//! touch. So this task does no deciding: each datagram becomes an [`Exchange`] sent to the
//! loop, which answers it with [`Exchange::answer`] against its table, and the task sends the
//! reply. At start, and whenever the uplink's IPv4 address changes, it multicasts the
//! announcement to 224.0.0.1:5350 ten times, the interval doubling from 250 ms (RFC 6886
//! §3.2.1, RFC 6887 §14.1.3), so clients that held mappings learn to renew them and see the
//! new external address.

use std::net::{SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use masq_platform::sockets::Uplink;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::server::{Counters, Server};
use super::table::MappingTable;
use super::{ANNOUNCE_GROUP, CLIENT_PORT};
use crate::error::ServiceError;
use crate::lan_socket::{self, LanLink};

/// How many times the restart announcement is sent.
const ANNOUNCEMENTS: u32 = 10;
/// Interval before the second announcement; it doubles each time.
const FIRST_INTERVAL: Duration = Duration::from_millis(250);
/// Largest datagram read (PCP's limit is 1100 bytes; more is read so it can be refused).
const MAX_DATAGRAM: usize = 2048;
/// Requests waiting for the event loop at once; beyond it requests are dropped (clients retry).
const QUEUE: usize = 64;

/// One request waiting for the owner of the forward table.
pub struct Exchange {
    server: Arc<Mutex<Server>>,
    from: SocketAddrV4,
    request: Vec<u8>,
    reply: oneshot::Sender<Option<Vec<u8>>>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("from", &self.from)
            .field("len", &self.request.len())
            .finish()
    }
}

impl Exchange {
    /// Decides the request against `table` and hands the answer to the socket task.
    pub fn answer(self, now: Instant, table: &mut dyn MappingTable) {
        let out = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .handle(now, self.from, &self.request, table);
        let _ = self.reply.send(out);
    }
}

/// The running port-mapping socket.
pub struct PortMapListener {
    server: Arc<Mutex<Server>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl PortMapListener {
    /// Binds `addr` (the gateway's LAN address, port 5351) pinned to `lan`, announces the restart on the LAN
    /// and serves, sending each request to `table_owner`; `uplink` gives the external address.
    pub fn start(
        lan: &LanLink,
        addr: SocketAddrV4,
        mut server: Server,
        uplink: watch::Receiver<Uplink>,
        table_owner: mpsc::Sender<Exchange>,
    ) -> Result<PortMapListener, ServiceError> {
        let socket = bind(lan, addr).map_err(|source| ServiceError::Bind {
            service: "port-mapping server (NAT-PMP/PCP)",
            hint: "another NAT-PMP/PCP or UPnP daemon (miniupnpd) may hold UDP port 5351 on this address; stop it or set port_mapping.enabled = false",
            source,
        })?;
        server.set_external_address(uplink.borrow().ipv4);
        let server = Arc::new(Mutex::new(server));
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(serve(socket, server.clone(), uplink, table_owner, stop_rx));
        info!(%addr, "port-mapping server (NAT-PMP/PCP) running");
        Ok(PortMapListener {
            server,
            stop: Some(stop_tx),
            task,
        })
    }

    /// What the server counted so far.
    pub fn counters(&self) -> Counters {
        self.server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .counters()
    }

    /// Whether it still serves.
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops serving.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        info!("port-mapping server stopped");
    }
}

/// The server's socket, pinned to the LAN: a request that arrives on the uplink (with a
/// spoofed LAN source, say) never reaches the server, whatever its source address claims.
/// Pinning also sends the multicast announcements out on the LAN; choosing the multicast
/// interface by address instead would be ambiguous, since masq's adapter holds the gateway's
/// LAN address too (and Linux refuses it on a pinned socket with EINVAL).
fn bind(lan: &LanLink, addr: SocketAddrV4) -> std::io::Result<UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    lan_socket::pin(&sock, lan)?;
    sock.set_multicast_ttl_v4(1)?;
    sock.set_multicast_loop_v4(false)?;
    sock.bind(&SocketAddr::V4(addr).into())?;
    sock.set_nonblocking(true)?;
    UdpSocket::from_std(sock.into())
}

async fn serve(
    socket: UdpSocket,
    server: Arc<Mutex<Server>>,
    mut uplink: watch::Receiver<Uplink>,
    table_owner: mpsc::Sender<Exchange>,
    mut stop: oneshot::Receiver<()>,
) {
    let socket = Arc::new(socket);
    let mut announcer = tokio::spawn(announce(socket.clone(), server.clone()));
    let mut uplink_open = true;
    let mut replies = tokio::task::JoinSet::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        tokio::select! {
            _ = &mut stop => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, SocketAddr::V4(from))) => {
                    let (tx, rx) = oneshot::channel();
                    let exchange = Exchange {
                        server: server.clone(),
                        from,
                        request: buf[..n].to_vec(),
                        reply: tx,
                    };
                    if table_owner.try_send(exchange).is_err() {
                        debug!(%from, "port-mapping request dropped: the event loop is busy or gone");
                        continue;
                    }
                    let socket = socket.clone();
                    replies.spawn(async move {
                        if let Ok(Some(answer)) = rx.await {
                            if let Err(e) = socket.send_to(&answer, from).await {
                                debug!(%from, error = %e, "cannot send a port-mapping answer");
                            }
                        }
                    });
                    if replies.len() > QUEUE {
                        replies.join_next().await;
                    }
                }
                Ok((_, from)) => debug!(%from, "port-mapping request over IPv6 ignored"),
                Err(e) => debug!(error = %e, "port-mapping receive failed"),
            },
            Some(_) = replies.join_next(), if !replies.is_empty() => {}
            r = uplink.changed(), if uplink_open => {
                if r.is_err() {
                    uplink_open = false;
                    continue;
                }
                let address = uplink.borrow_and_update().ipv4;
                let changed = server
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .set_external_address(address);
                if changed {
                    info!(external = ?address, "port mapping: the external address changed; announcing it");
                    announcer.abort();
                    announcer = tokio::spawn(announce(socket.clone(), server.clone()));
                }
            }
        }
    }
    announcer.abort();
    replies.shutdown().await;
}

async fn announce(socket: Arc<UdpSocket>, server: Arc<Mutex<Server>>) {
    let group = SocketAddr::from((ANNOUNCE_GROUP, CLIENT_PORT));
    let mut interval = FIRST_INTERVAL;
    for i in 0..ANNOUNCEMENTS {
        let datagrams = server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .announcements(Instant::now());
        for d in &datagrams {
            if let Err(e) = socket.send_to(d, group).await {
                if i == 0 {
                    warn!(error = %e, "cannot multicast the port-mapping restart announcement to {group}");
                }
                return;
            }
        }
        tokio::time::sleep(interval).await;
        interval *= 2;
    }
}
