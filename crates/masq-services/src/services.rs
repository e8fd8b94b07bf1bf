//! Starting, reporting on and stopping the LAN services of one sharing session.
//!
//! A service that cannot start (port taken, pool outside the LAN) never stops sharing: it is
//! reported as failed in `masq status` with the reason, and logged; the rest runs.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use masq_control::Translation;
use masq_control::{
    DhcpSettings, DnsSettings, ForeignDhcpServer, LanCidr, LanClient, LanServicesReport, MacAddr,
    ServiceState,
};
use masq_platform::sockets::Uplink;
use tokio::sync::watch;
use tracing::{error, warn};

use crate::clients::{ClientTracker, ViewInput};
use crate::dhcp::leases::LeaseTable;
use crate::dhcp::pool::Pool;
use crate::dhcp::reply::ServerIdentity;
use crate::dhcp::{DhcpConfig, DhcpServer, LeaseSnapshot, store, unix_now};
use crate::dns::listen::DnsServer;
use crate::dns::resolv::Upstreams;
use crate::dns::resolver::{Resolver, ResolverConfig};
use crate::error::ServiceError;
use crate::lan_socket::LanLink;
use crate::neighbours;

/// DNS port.
const DNS_PORT: u16 = 53;

/// What the services need to know about the session.
#[derive(Debug, Clone)]
pub struct LanServicesSpec {
    /// The LAN interface.
    pub lan: LanLink,
    /// The gateway's LAN address and prefix.
    pub lan_net: LanCidr,
    /// The gateway's IPv6 address on the LAN when IPv6 is offered: DNS answers there too.
    pub gateway_v6: Option<std::net::Ipv6Addr>,
    /// The uplink for upstream DNS queries, as it is now: the session moves it when the
    /// uplink roams, and each query reads it afresh.
    pub uplink: watch::Receiver<Uplink>,
    /// `[dhcp]` settings.
    pub dhcp: DhcpSettings,
    /// `[dns]` settings.
    pub dns: DnsSettings,
    /// Lease file used when `dhcp.lease_file` is not set.
    pub default_lease_file: PathBuf,
    /// The engine's per-host flow cap, shown per client.
    pub max_flows_per_host: Option<u32>,
    /// Addresses of the LAN that masq's adapter holds, kept out of the DHCP pool.
    pub in_use: Vec<std::net::Ipv4Addr>,
}

enum Slot<T> {
    Disabled,
    Running(T),
    Failed(String),
}

impl<T> Slot<T> {
    fn from_result(r: Result<T, ServiceError>) -> Slot<T> {
        match r {
            Ok(t) => Slot::Running(t),
            Err(e) => {
                error!("{e}");
                Slot::Failed(e.to_string())
            }
        }
    }

    fn running(&self) -> Option<&T> {
        match self {
            Slot::Running(t) => Some(t),
            _ => None,
        }
    }
}

/// The LAN services of one session.
pub struct LanServices {
    spec: LanServicesSpec,
    dhcp: Slot<DhcpServer>,
    dns: Slot<DnsServer>,
    leases: watch::Receiver<LeaseSnapshot>,
    _leases_tx: Option<watch::Sender<LeaseSnapshot>>,
    tracker: Mutex<ClientTracker>,
}

impl LanServices {
    /// Starts what the settings turn on; failures are reported, never fatal.
    pub async fn start(spec: LanServicesSpec) -> LanServices {
        let (tx, rx) = watch::channel::<LeaseSnapshot>(Arc::new(Vec::new()));
        let mut keep_tx = Some(tx.clone());
        let dhcp = if spec.dhcp.enabled {
            let r = start_dhcp(&spec, tx);
            if r.is_ok() {
                keep_tx = None;
            }
            Slot::from_result(r)
        } else {
            Slot::Disabled
        };
        let dns = if spec.dns.enabled {
            Slot::from_result(start_dns(&spec, rx.clone()).await)
        } else {
            Slot::Disabled
        };
        LanServices {
            spec,
            dhcp,
            dns,
            leases: rx,
            _leases_tx: keep_tx,
            tracker: Mutex::new(ClientTracker::default()),
        }
    }

    /// The services' state for `masq status`.
    pub fn report(&self) -> LanServicesReport {
        let state = |running: Option<bool>, failed: Option<&String>| match (running, failed) {
            (Some(true), _) => ServiceState::Running,
            (Some(false), _) => ServiceState::Failed {
                message: "stopped after a socket error; see the log".into(),
            },
            (None, Some(m)) => ServiceState::Failed { message: m.clone() },
            (None, None) => ServiceState::Disabled,
        };
        let dhcp_failed: Option<String> = failed_msg(&self.dhcp);
        let dns_failed: Option<String> = failed_msg(&self.dns);
        let now = unix_now();
        LanServicesReport {
            dhcp: state(
                self.dhcp.running().map(DhcpServer::is_running),
                dhcp_failed.as_ref(),
            ),
            dns: state(
                self.dns.running().map(DnsServer::is_running),
                dns_failed.as_ref(),
            ),
            leases: u32::try_from(
                self.leases
                    .borrow()
                    .iter()
                    .filter(|l| l.is_active(now))
                    .count(),
            )
            .unwrap_or(u32::MAX),
            foreign_dhcp_servers: self
                .dhcp
                .running()
                .map(|d| {
                    d.foreign_servers()
                        .into_iter()
                        .map(|(f, ago)| ForeignDhcpServer {
                            server_id: f.server_id,
                            offered: f.offered,
                            last_seen_s: ago,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            dns_upstreams: self
                .dns
                .running()
                .map(|d| d.resolver().upstreams())
                .unwrap_or_default(),
            dns_counters: self
                .dns
                .running()
                .map(|d| d.resolver().counters())
                .unwrap_or_default(),
            // Filled in by the session, which decides IPv6.
            ipv6: None,
        }
    }

    /// The LAN's hosts, given the engine's live translations.
    pub fn clients(&self, translations: &[Translation]) -> Vec<LanClient> {
        let leases = self.leases.borrow().clone();
        let reserved: Vec<MacAddr> = self.spec.dhcp.reservations.iter().map(|r| r.mac).collect();
        let neighbours: BTreeMap<Ipv4Addr, MacAddr> = neighbours::read(&self.spec.lan.name);
        let input = ViewInput {
            lan: self.spec.lan_net,
            translations,
            leases: &leases,
            reserved: &reserved,
            neighbours: &neighbours,
            max_flows: self.spec.max_flows_per_host,
            now: Instant::now(),
            unix_now: unix_now(),
        };
        self.tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .view(&input)
    }

    /// Stops every service (the DHCP server saves its leases first).
    pub async fn stop(self) {
        if let Slot::Running(d) = self.dhcp {
            d.stop().await;
        }
        if let Slot::Running(d) = self.dns {
            d.stop().await;
        }
    }
}

fn failed_msg<T>(s: &Slot<T>) -> Option<String> {
    match s {
        Slot::Failed(m) => Some(m.clone()),
        _ => None,
    }
}

fn start_dhcp(
    spec: &LanServicesSpec,
    leases: watch::Sender<LeaseSnapshot>,
) -> Result<DhcpServer, ServiceError> {
    let config_err = |message: String| ServiceError::Config {
        service: "DHCP server",
        message,
    };
    if let Some(other) = masq_platform::os_sharing_dhcp_server() {
        return Err(config_err(format!(
            "{other} already serves the shared networks of this computer, so masq's steps aside and clients get one answer (the gateway address is the same); set dhcp.enabled = false to silence this"
        )));
    }
    let d = &spec.dhcp;
    let pool = Pool::new(spec.lan_net, d.pool_start, d.pool_end)
        .map_err(|e| config_err(e.to_string()))?
        .without(&spec.in_use);
    for r in &d.reservations {
        if !spec.lan_net.is_host(r.ip) || r.ip == spec.lan_net.addr() {
            warn!(mac = %r.mac, ip = %r.ip, lan = %spec.lan_net, "DHCP reservation outside the LAN or on the gateway's address; ignored");
        }
    }
    let mut table = LeaseTable::new(pool, d.lease_time, &d.reservations);
    let lease_file = d
        .lease_file
        .clone()
        .unwrap_or_else(|| spec.default_lease_file.clone());
    match store::load(&lease_file) {
        Ok((restored, warning)) => {
            if let Some(w) = warning {
                warn!("{w}");
            }
            table.restore(restored, unix_now());
        }
        Err(e) => warn!("{e}; starting with no leases"),
    }
    let identity = ServerIdentity {
        address: spec.lan_net.addr(),
        netmask: spec.lan_net.netmask(),
        broadcast: spec.lan_net.broadcast(),
        domain: spec.dns.enabled.then(|| spec.dns.domain.clone()),
        dns: spec.dns.enabled,
    };
    DhcpServer::start(
        DhcpConfig {
            lan: spec.lan.clone(),
            identity,
            table,
            lease_file,
        },
        leases,
    )
}

async fn start_dns(
    spec: &LanServicesSpec,
    leases: watch::Receiver<LeaseSnapshot>,
) -> Result<DnsServer, ServiceError> {
    let resolver = Resolver::new(ResolverConfig {
        domain: spec.dns.domain.clone(),
        lan: spec.lan_net,
        uplink: spec.uplink.clone(),
        cache_entries: usize::try_from(spec.dns.cache_entries).unwrap_or(usize::MAX),
        max_in_flight: usize::try_from(spec.dns.max_in_flight).unwrap_or(usize::MAX),
        upstreams: Upstreams::new(&spec.dns.resolv_conf, Instant::now()),
        leases,
    });
    let mut addrs = vec![SocketAddr::from((spec.lan_net.addr(), DNS_PORT))];
    if let Some(v6) = spec.gateway_v6 {
        addrs.push(SocketAddr::from((v6, DNS_PORT)));
    }
    DnsServer::start(&spec.lan, &addrs, resolver).await
}
