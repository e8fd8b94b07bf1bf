//! The bounded log of inbound attempts the gateway refused: the seed's "second-class
//! connection" made visible. Repeats of one (protocol, remote, gateway, reason) are merged.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use crate::flow::Protocol;
use crate::snapshot::{InboundAttempt, RefusalReason};

type Key = (Protocol, SocketAddr, SocketAddr, RefusalReason);

#[derive(Debug, Clone, Copy)]
struct Entry {
    count: u64,
    first: Instant,
    last: Instant,
}

/// Refused inbound attempts, at most `capacity` distinct ones (the stalest is forgotten).
#[derive(Debug)]
pub(crate) struct InboundLog {
    capacity: usize,
    entries: BTreeMap<Key, Entry>,
    /// Total attempts ever recorded, including forgotten ones.
    pub total: u64,
}

impl InboundLog {
    pub(crate) fn new(capacity: usize) -> Self {
        InboundLog {
            capacity: capacity.max(1),
            entries: BTreeMap::new(),
            total: 0,
        }
    }

    pub(crate) fn record(
        &mut self,
        now: Instant,
        protocol: Protocol,
        remote: SocketAddr,
        gateway: SocketAddr,
        reason: RefusalReason,
    ) {
        self.total += 1;
        let key = (protocol, remote, gateway, reason);
        if let Some(e) = self.entries.get_mut(&key) {
            e.count += 1;
            e.last = now;
            return;
        }
        if self.entries.len() >= self.capacity
            && let Some(stalest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last)
                .map(|(k, _)| *k)
        {
            self.entries.remove(&stalest);
        }
        self.entries.insert(
            key,
            Entry {
                count: 1,
                first: now,
                last: now,
            },
        );
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Newest first.
    pub(crate) fn snapshot(&self, now: Instant) -> Vec<InboundAttempt> {
        let mut out: Vec<InboundAttempt> = self
            .entries
            .iter()
            .map(|(&(protocol, remote, gateway, reason), e)| InboundAttempt {
                protocol,
                remote,
                gateway,
                reason,
                explanation: reason.explanation().to_string(),
                count: e.count,
                first_seen_s: now.saturating_duration_since(e.first).as_secs_f64(),
                last_seen_s: now.saturating_duration_since(e.last).as_secs_f64(),
            })
            .collect();
        out.sort_by(|a, b| a.last_seen_s.total_cmp(&b.last_seen_s));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    #[allow(
        clippy::disallowed_methods,
        reason = "a test needs one real instant to offset from"
    )]
    fn merges_repeats_and_evicts_the_stalest() {
        let t0 = Instant::now();
        let mut log = InboundLog::new(2);
        let a: SocketAddr = "203.0.113.10:4000".parse().unwrap();
        let g: SocketAddr = "198.51.100.2:22".parse().unwrap();
        log.record(t0, Protocol::Tcp, a, g, RefusalReason::NoTranslation);
        log.record(
            t0 + Duration::from_secs(1),
            Protocol::Tcp,
            a,
            g,
            RefusalReason::NoTranslation,
        );
        let snap = log.snapshot(t0 + Duration::from_secs(3));
        assert_eq!(snap.len(), 1);
        assert_eq!(snap[0].count, 2);
        assert_eq!(snap[0].first_seen_s, 3.0);
        assert_eq!(snap[0].last_seen_s, 2.0);

        log.record(
            t0 + Duration::from_secs(4),
            Protocol::Udp,
            a,
            g,
            RefusalReason::NoTranslation,
        );
        log.record(
            t0 + Duration::from_secs(5),
            Protocol::Udp,
            a,
            g,
            RefusalReason::FilteredByMapping,
        );
        let snap = log.snapshot(t0 + Duration::from_secs(5));
        assert_eq!(snap.len(), 2);
        assert!(snap.iter().all(|e| e.protocol == Protocol::Udp));
        assert_eq!(log.total, 4);
    }
}
