//! The DHCP server's socket shell: one tokio task that reads client messages on port 67,
//! runs them through [`protocol::handle`], sends the answers, keeps the lease file and the
//! published lease snapshot up to date, and watches port 68 for other servers.
//!
//! The lease table is owned by this task alone; other services see it through a
//! `watch` channel of immutable snapshots (the DNS forwarder's local names, the client view).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dhcproto::v4::Encodable;
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, trace, warn};

use super::conflict::{self, Foreign, ForeignServers};
use super::decode;
use super::leases::{Lease, LeaseTable};
use super::protocol::{self, Destination, Outcome};
use super::reply::ServerIdentity;
use super::store;
use crate::error::ServiceError;
use crate::lan_socket::{self, LanLink};

/// DHCP server port (RFC 2131 §4.1).
const SERVER_PORT: u16 = 67;
/// DHCP client port.
const CLIENT_PORT: u16 = 68;
/// How often unclaimed offers and declines are expired.
const HOUSEKEEPING: Duration = Duration::from_secs(30);
/// Largest DHCP message read (RFC 2131 allows up to the interface MTU).
const MAX_MESSAGE: usize = 1500;

/// Everything the server task needs.
#[derive(Debug)]
pub struct DhcpConfig {
    /// The LAN interface it serves.
    pub lan: LanLink,
    /// What its answers say about the network.
    pub identity: ServerIdentity,
    /// The table to start from (leases already restored).
    pub table: LeaseTable,
    /// Where leases are saved.
    pub lease_file: PathBuf,
}

/// The running DHCP server.
#[derive(Debug)]
pub struct DhcpServer {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    foreign: Arc<Mutex<ForeignServers>>,
}

/// The current leases, shared read-only with the other services.
pub type LeaseSnapshot = Arc<Vec<Lease>>;

impl DhcpServer {
    /// Binds the sockets (so a busy port is reported at once) and starts the task.
    pub fn start(
        config: DhcpConfig,
        leases: watch::Sender<LeaseSnapshot>,
    ) -> Result<DhcpServer, ServiceError> {
        let server = lan_socket::broadcast_socket(&config.lan, SERVER_PORT).map_err(|source| {
            ServiceError::Bind {
                service: "DHCP server",
                hint: "another DHCP server (dnsmasq, isc-dhcp-server) may run on this machine; stop it or set dhcp.enabled = false",
                source,
            }
        })?;
        let watcher = match lan_socket::broadcast_socket(&config.lan, CLIENT_PORT) {
            Ok(s) => Some(s),
            Err(e) => {
                warn!(error = %e, "cannot watch for other DHCP servers on the LAN; conflicts will not be reported");
                None
            }
        };
        let foreign = Arc::new(Mutex::new(ForeignServers::default()));
        let (stop_tx, stop_rx) = oneshot::channel();
        let shell = Shell {
            table: config.table,
            identity: config.identity,
            lease_file: config.lease_file,
            lan: config.lan.name,
            leases,
            foreign: foreign.clone(),
            save_failed: false,
            dirty: false,
        };
        shell.publish();
        let task = tokio::spawn(shell.run(server, watcher, stop_rx));
        Ok(DhcpServer {
            stop: Some(stop_tx),
            task,
            foreign,
        })
    }

    /// Other servers seen on the LAN recently, with seconds since each was seen.
    pub fn foreign_servers(&self) -> Vec<(Foreign, f64)> {
        self.foreign
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .current(Instant::now())
    }

    /// Whether the task still runs.
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops the task after it saved the leases.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

struct Shell {
    table: LeaseTable,
    identity: ServerIdentity,
    lease_file: PathBuf,
    lan: String,
    leases: watch::Sender<LeaseSnapshot>,
    foreign: Arc<Mutex<ForeignServers>>,
    save_failed: bool,
    /// Leases changed since the file was last written.
    dirty: bool,
}

impl Shell {
    async fn run(
        mut self,
        server: UdpSocket,
        watcher: Option<UdpSocket>,
        mut stop: oneshot::Receiver<()>,
    ) {
        info!(lan = %self.lan, pool = ?self.table.pool().range(), "DHCP server running");
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
        let mut probe = tokio::time::interval(conflict::PROBE_INTERVAL);
        let mut buf = vec![0u8; MAX_MESSAGE];
        let mut wbuf = vec![0u8; MAX_MESSAGE];
        loop {
            tokio::select! {
                _ = &mut stop => break,
                r = server.recv_from(&mut buf) => match r {
                    Ok((n, from)) => {
                        let changed = self.on_request(&server, &buf[..n], from).await;
                        if changed {
                            self.persist();
                        }
                    }
                    Err(e) => {
                        warn!(error = %e, "DHCP server socket failed; stopping the DHCP server");
                        break;
                    }
                },
                r = recv_opt(watcher.as_ref(), &mut wbuf) => {
                    if let Ok((n, _)) = r {
                        self.on_client_port(&wbuf[..n]);
                    }
                }
                _ = housekeeping.tick() => {
                    if self.table.expire(unix_now()) {
                        self.persist();
                    }
                }
                _ = probe.tick() => {
                    if let Some(w) = &watcher {
                        send_probe(w).await;
                    }
                }
            }
        }
        if self.dirty {
            self.persist();
        }
        info!("DHCP server stopped");
    }

    /// Handles one datagram on port 67; true when the table changed.
    async fn on_request(&mut self, sock: &UdpSocket, bytes: &[u8], from: SocketAddr) -> bool {
        let msg = match decode::message(bytes) {
            Ok(m) => m,
            Err(e) => {
                debug!(%from, error = %e, "ignoring a malformed DHCP message");
                return false;
            }
        };
        let before: Vec<Lease> = self.table.leases().cloned().collect();
        let outcome = protocol::handle(&msg, &mut self.table, &self.identity, unix_now());
        trace!(%from, xid = msg.xid(), kind = ?msg.opts().msg_type(), ?outcome, "DHCP");
        match outcome {
            Outcome::Reply { message, to } => {
                let dest = match to {
                    Destination::Broadcast => SocketAddr::from((Ipv4Addr::BROADCAST, CLIENT_PORT)),
                    Destination::Unicast(ip) => SocketAddr::from((ip, CLIENT_PORT)),
                };
                match message.to_vec() {
                    Ok(wire) => {
                        if let Err(e) = sock.send_to(&wire, dest).await {
                            warn!(%dest, error = %e, "cannot send a DHCP answer");
                        } else {
                            debug!(%dest, kind = ?message.opts().msg_type(), yiaddr = %message.yiaddr(), mac = ?MacDisplay(message.chaddr()), "DHCP answer sent");
                        }
                    }
                    Err(e) => warn!(error = %e, "cannot encode a DHCP answer"),
                }
            }
            Outcome::Silent(why) => debug!(%from, ?why, "DHCP message not answered"),
        }
        let changed = self.table.leases().ne(before.iter());
        if changed {
            self.publish();
        }
        changed
    }

    fn on_client_port(&mut self, bytes: &[u8]) {
        let Ok(msg) = decode::message(bytes) else {
            return;
        };
        if let Some(f) = conflict::foreign_server(&msg, self.identity.address) {
            let new = self
                .foreign
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .saw(f, Instant::now());
            if new {
                warn!(
                    lan = %self.lan,
                    server = %f.server_id,
                    offered = %f.offered,
                    "another DHCP server answers on the LAN: clients may take its addresses and bypass masq; turn one of the two off"
                );
            }
        }
    }

    fn publish(&self) {
        let snapshot: Vec<Lease> = self.table.leases().cloned().collect();
        self.leases.send_replace(Arc::new(snapshot));
    }

    fn persist(&mut self) {
        self.publish();
        self.dirty = true;
        match store::save(&self.lease_file, self.table.leases()) {
            Ok(()) => {
                self.save_failed = false;
                self.dirty = false;
            }
            Err(e) if !self.save_failed => {
                warn!("{e}");
                self.save_failed = true;
            }
            Err(_) => {}
        }
    }
}

async fn recv_opt(
    sock: Option<&UdpSocket>,
    buf: &mut [u8],
) -> std::io::Result<(usize, SocketAddr)> {
    match sock {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

async fn send_probe(sock: &UdpSocket) {
    let xid = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let Ok(wire) = conflict::probe(xid).to_vec() else {
        return;
    };
    if let Err(e) = sock
        .send_to(&wire, SocketAddr::from((Ipv4Addr::BROADCAST, SERVER_PORT)))
        .await
    {
        debug!(error = %e, "cannot send the DHCP conflict probe");
    }
}

/// Unix seconds now: leases are kept in wall-clock time because they outlive the process.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct MacDisplay<'a>(&'a [u8]);

impl std::fmt::Debug for MacDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match masq_control::MacAddr::from_slice(self.0) {
            Some(m) => write!(f, "{m}"),
            None => write!(f, "?"),
        }
    }
}
