//! One query's path through the forwarder: local names, then the cache, then upstream
//! (bounded by the in-flight limit), with the answer encoded for the client's transport.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use hickory_proto::op::{Message, ResponseCode};
use masq_control::{DnsCounters, LanCidr};
use masq_platform::sockets::Uplink;
use tokio::sync::{Semaphore, watch};
use tracing::{debug, trace};

use super::cache::Cache;
use super::local::LocalZone;
use super::resolv::Upstreams;
use super::upstream::{self, Via};
use super::wire;
use crate::dhcp::{LeaseSnapshot, unix_now};

/// How the client asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: the answer must fit the client's size limit.
    Udp,
    /// TCP: any size.
    Tcp,
}

/// Everything a query needs, shared by the UDP and TCP listeners.
pub struct Resolver {
    domain: String,
    lan: LanCidr,
    uplink: watch::Receiver<Uplink>,
    cache: Mutex<Cache>,
    upstreams: Mutex<Upstreams>,
    leases: watch::Receiver<LeaseSnapshot>,
    in_flight: Arc<Semaphore>,
    counters: Counters,
}

#[derive(Default)]
struct Counters {
    queries: AtomicU64,
    cache_hits: AtomicU64,
    local: AtomicU64,
    forwarded: AtomicU64,
    tcp_fallbacks: AtomicU64,
    upstream_failures: AtomicU64,
    over_limit: AtomicU64,
}

/// What the forwarder is built from.
pub struct ResolverConfig {
    /// Domain of LAN names.
    pub domain: String,
    /// The LAN (for reverse names and the gateway's own name).
    pub lan: LanCidr,
    /// Where upstream queries leave, as it is now (it moves when the uplink roams).
    pub uplink: watch::Receiver<Uplink>,
    /// Cache size (answers).
    pub cache_entries: usize,
    /// Queries forwarded at once.
    pub max_in_flight: usize,
    /// The resolver list.
    pub upstreams: Upstreams,
    /// The DHCP leases, for local names.
    pub leases: watch::Receiver<LeaseSnapshot>,
}

impl Resolver {
    /// A resolver with an empty cache.
    pub fn new(c: ResolverConfig) -> Resolver {
        Resolver {
            domain: c.domain,
            lan: c.lan,
            uplink: c.uplink,
            cache: Mutex::new(Cache::new(c.cache_entries)),
            upstreams: Mutex::new(c.upstreams),
            leases: c.leases,
            in_flight: Arc::new(Semaphore::new(c.max_in_flight)),
            counters: Counters::default(),
        }
    }

    /// The answer to the query in `bytes`, encoded for `transport`; `None` when nothing
    /// sensible can be answered (too short to carry an id).
    pub async fn resolve(&self, bytes: &[u8], transport: Transport) -> Option<Vec<u8>> {
        let Ok(query) = Message::from_vec(bytes) else {
            return wire::formerr_for_bytes(bytes);
        };
        let answer = self.answer(&query, transport).await;
        match transport {
            Transport::Udp => wire::encode_for_udp(&answer, wire::udp_limit(&query)),
            Transport::Tcp => answer.to_vec().ok(),
        }
    }

    async fn answer(&self, query: &Message, transport: Transport) -> Message {
        self.counters.queries.fetch_add(1, Ordering::Relaxed);
        if !wire::is_plain_query(query) {
            return wire::error_answer(query, ResponseCode::NotImp);
        }
        if let Some(a) = self.local_zone().and_then(|z| z.answer(query)) {
            self.counters.local.fetch_add(1, Ordering::Relaxed);
            return a;
        }
        let now = Instant::now();
        if let Some(a) = lock(&self.cache).get(query, now) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            trace!("DNS cache hit");
            return a;
        }
        let Ok(_permit) = self.in_flight.try_acquire() else {
            self.counters.over_limit.fetch_add(1, Ordering::Relaxed);
            return wire::error_answer(query, ResponseCode::ServFail);
        };
        let servers = lock(&self.upstreams).current(now).to_vec();
        self.counters.forwarded.fetch_add(1, Ordering::Relaxed);
        let uplink = self.uplink.borrow().clone();
        match upstream::exchange(&uplink, &servers, query, transport == Transport::Tcp).await {
            Ok((mut answer, via)) => {
                if via == Via::TcpFallback {
                    self.counters.tcp_fallbacks.fetch_add(1, Ordering::Relaxed);
                }
                lock(&self.cache).put(query, &answer, Instant::now());
                answer.metadata.id = query.metadata.id;
                answer
            }
            Err(e) => {
                self.counters
                    .upstream_failures
                    .fetch_add(1, Ordering::Relaxed);
                debug!(error = %e, "no resolver answered; SERVFAIL");
                wire::error_answer(query, ResponseCode::ServFail)
            }
        }
    }

    fn local_zone(&self) -> Option<LocalZone> {
        let leases = self.leases.borrow().clone();
        LocalZone::new(&self.domain, self.lan, &leases, unix_now())
    }

    /// The counters so far.
    pub fn counters(&self) -> DnsCounters {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DnsCounters {
            queries: get(&c.queries),
            cache_hits: get(&c.cache_hits),
            local: get(&c.local),
            forwarded: get(&c.forwarded),
            tcp_fallbacks: get(&c.tcp_fallbacks),
            upstream_failures: get(&c.upstream_failures),
            over_limit: get(&c.over_limit),
        }
    }

    /// The resolvers as last read.
    pub fn upstreams(&self) -> Vec<std::net::IpAddr> {
        lock(&self.upstreams)
            .last()
            .iter()
            .map(|s| s.ip())
            .collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
