//! The forwarder's sockets at the gateway address: UDP and TCP port 53.
//!
//! They are bound to the gateway's LAN addresses (IPv4, and IPv6 when the LAN is offered
//! IPv6, one task per address sharing one resolver) and pinned to the LAN interface, so only
//! the LAN reaches them: an uplink host that routes the LAN prefix to the gateway is not
//! answered (an open resolver there would also reveal LAN host names). Each
//! UDP query and each TCP connection runs as its own task; the resolver bounds how many
//! queries are forwarded at once, and at most [`MAX_TCP_CONNECTIONS`] TCP clients are served
//! together. A TCP connection may carry several queries (RFC 7766 §6.2.1) and is closed after
//! [`TCP_IDLE`] without one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::resolver::{Resolver, Transport};
use crate::error::ServiceError;
use crate::lan_socket::{LanLink, pinned_tcp_listener, pinned_udp};

/// TCP clients served at once.
pub const MAX_TCP_CONNECTIONS: usize = 64;
/// Idle time after which a TCP client is disconnected (RFC 7766 §6.2.3 suggests seconds),
/// and the longest a query may take to arrive or an answer to be taken.
pub const TCP_IDLE: Duration = Duration::from_secs(10);

/// The running DNS forwarder.
pub struct DnsServer {
    resolver: Arc<Resolver>,
    listeners: Vec<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl DnsServer {
    /// Binds UDP and TCP on each of `addrs`, pinned to `lan` (queries that arrive on any
    /// other interface never reach it), and starts serving; fails if any cannot be bound.
    pub async fn start(
        lan: &LanLink,
        addrs: &[SocketAddr],
        resolver: Resolver,
    ) -> Result<DnsServer, ServiceError> {
        let bind_err = |source| ServiceError::Bind {
            service: "DNS forwarder",
            hint: "another DNS server (dnsmasq, systemd-resolved on all addresses) may hold port 53 on this address; stop it or set dns.enabled = false",
            source,
        };
        let mut sockets = Vec::with_capacity(addrs.len());
        for &addr in addrs {
            let udp = pinned_udp(lan, addr).and_then(UdpSocket::from_std);
            let tcp = pinned_tcp_listener(lan, addr).and_then(TcpListener::from_std);
            let (udp, tcp) = (udp.map_err(bind_err)?, tcp.map_err(bind_err)?);
            sockets.push((addr, udp, tcp));
        }
        let resolver = Arc::new(resolver);
        let listeners = sockets
            .into_iter()
            .map(|(addr, udp, tcp)| {
                let (stop_tx, stop_rx) = oneshot::channel();
                let task = tokio::spawn(serve(udp, tcp, resolver.clone(), stop_rx));
                info!(%addr, "DNS forwarder running");
                (stop_tx, task)
            })
            .collect();
        Ok(DnsServer {
            resolver,
            listeners,
        })
    }

    /// The resolver, for counters and the upstream list.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// Whether it still serves on every address.
    pub fn is_running(&self) -> bool {
        self.listeners.iter().all(|(_, task)| !task.is_finished())
    }

    /// Stops serving (queries in progress are dropped).
    pub async fn stop(self) {
        for (stop, task) in self.listeners {
            let _ = stop.send(());
            let _ = task.await;
        }
        info!("DNS forwarder stopped");
    }
}

async fn serve(
    udp: UdpSocket,
    tcp: TcpListener,
    resolver: Arc<Resolver>,
    mut stop: oneshot::Receiver<()>,
) {
    let udp = Arc::new(udp);
    let connections = Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS));
    let mut tasks = tokio::task::JoinSet::new();
    let mut buf = vec![0u8; 4096];
    loop {
        tokio::select! {
            _ = &mut stop => break,
            r = udp.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let bytes = buf[..n].to_vec();
                    let (udp, resolver) = (udp.clone(), resolver.clone());
                    tasks.spawn(async move {
                        if let Some(answer) = resolver.resolve(&bytes, Transport::Udp).await {
                            if let Err(e) = udp.send_to(&answer, from).await {
                                debug!(%from, error = %e, "cannot send a DNS answer");
                            }
                        }
                    });
                }
                Err(e) => debug!(error = %e, "DNS UDP receive failed"),
            },
            r = tcp.accept() => match r {
                Ok((stream, from)) => match connections.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let resolver = resolver.clone();
                        tasks.spawn(async move {
                            if let Err(e) = serve_tcp(stream, &resolver).await {
                                debug!(%from, error = %e, "DNS TCP client ended");
                            }
                            drop(permit);
                        });
                    }
                    Err(_) => debug!(%from, "too many DNS TCP clients; connection closed"),
                },
                Err(e) => warn!(error = %e, "DNS TCP accept failed"),
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    tasks.shutdown().await;
}

async fn serve_tcp(mut stream: TcpStream, resolver: &Resolver) -> std::io::Result<()> {
    loop {
        let len = match tokio::time::timeout(TCP_IDLE, stream.read_u16()).await {
            Ok(Ok(len)) => len,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(()),
        };
        let mut query = vec![0u8; usize::from(len)];
        tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut query))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "query not sent in time")
            })??;
        let Some(answer) = resolver.resolve(&query, Transport::Tcp).await else {
            return Ok(());
        };
        let Ok(n) = u16::try_from(answer.len()) else {
            return Ok(());
        };
        let mut out = Vec::with_capacity(answer.len() + 2);
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&answer);
        // A client that never reads would otherwise hold one of the 64 TCP slots forever.
        tokio::time::timeout(TCP_IDLE, stream.write_all(&out))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "answer not read in time")
            })??;
    }
}
