//! A small answer cache that respects TTLs (RFC 1035 §3.2.1, RFC 2308 for negative answers).
//!
//! An answer is kept for the smallest TTL among its records (capped at [`MAX_TTL`]);
//! NXDOMAIN and NODATA answers for the SOA minimum of their authority section (RFC 2308 §5,
//! capped at [`MAX_NEGATIVE_TTL`]). Served copies have every TTL lowered by the time spent in
//! the cache, so a client never sees a record live longer than its origin allowed. SERVFAIL,
//! truncated answers and answers without a TTL are not kept. When full, expired entries go
//! first, then the one closest to expiry.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, RData, Record, RecordType};

/// Longest time an answer is kept (one day), whatever its TTL says.
pub const MAX_TTL: u32 = 86_400;
/// Longest time a negative answer is kept (RFC 2308 §5 suggests one to three hours; a LAN
/// gateway should notice new names sooner).
pub const MAX_NEGATIVE_TTL: u32 = 300;

/// What a cached answer answers: name (lower case), type and class.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    name: String,
    rtype: RecordType,
    class: DNSClass,
}

impl Key {
    /// The key of a query's (single) question.
    pub fn of(query: &Message) -> Option<Key> {
        let q = query.queries.first()?;
        Some(Key {
            name: q.name().to_lowercase().to_ascii(),
            rtype: q.query_type(),
            class: q.query_class(),
        })
    }
}

#[derive(Debug)]
struct Entry {
    answer: Message,
    stored: Instant,
    expires: Instant,
}

/// The cache.
#[derive(Debug)]
pub struct Cache {
    capacity: usize,
    entries: HashMap<Key, Entry>,
}

impl Cache {
    /// A cache for at most `capacity` answers (0: nothing is kept).
    pub fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            entries: HashMap::new(),
        }
    }

    /// A fresh copy of the answer to `query`, with its id and TTLs adjusted, if cached.
    pub fn get(&mut self, query: &Message, now: Instant) -> Option<Message> {
        let key = Key::of(query)?;
        let entry = self.entries.get(&key)?;
        if entry.expires <= now {
            self.entries.remove(&key);
            return None;
        }
        let age = u32::try_from(now.saturating_duration_since(entry.stored).as_secs())
            .unwrap_or(u32::MAX);
        let mut answer = entry.answer.clone();
        answer.metadata.id = query.metadata.id;
        answer.metadata.recursion_desired = query.metadata.recursion_desired;
        for r in answer
            .answers
            .iter_mut()
            .chain(answer.authorities.iter_mut())
            .chain(answer.additionals.iter_mut())
        {
            r.ttl = r.ttl.saturating_sub(age);
        }
        Some(answer)
    }

    /// Keeps `answer` to `query` if it may be cached.
    pub fn put(&mut self, query: &Message, answer: &Message, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let (Some(key), Some(ttl)) = (Key::of(query), cache_ttl(answer)) else {
            return;
        };
        if ttl == 0 {
            return;
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.make_room(now);
        }
        self.entries.insert(
            key,
            Entry {
                answer: answer.clone(),
                stored: now,
                expires: now + Duration::from_secs(u64::from(ttl)),
            },
        );
    }

    /// Number of answers kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn make_room(&mut self, now: Instant) {
        self.entries.retain(|_, e| e.expires > now);
        if self.entries.len() < self.capacity {
            return;
        }
        if let Some(key) = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.expires)
            .map(|(k, _)| k.clone())
        {
            self.entries.remove(&key);
        }
    }
}

/// How long `answer` may be cached, or `None` if it must not be.
pub fn cache_ttl(answer: &Message) -> Option<u32> {
    if answer.metadata.truncation {
        return None;
    }
    let records = || {
        answer
            .answers
            .iter()
            .chain(answer.authorities.iter())
            .chain(answer.additionals.iter())
    };
    match answer.metadata.response_code {
        ResponseCode::NoError if !answer.answers.is_empty() => {
            records().map(|r| r.ttl).min().map(|t| t.min(MAX_TTL))
        }
        ResponseCode::NoError | ResponseCode::NXDomain => answer
            .authorities
            .iter()
            .find_map(soa_negative_ttl)
            .map(|t| t.min(MAX_NEGATIVE_TTL)),
        _ => None,
    }
}

fn soa_negative_ttl(r: &Record) -> Option<u32> {
    match &r.data {
        RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use hickory_proto::op::{MessageType, OpCode, Query};
    use hickory_proto::rr::Name;
    use hickory_proto::rr::rdata::{A, SOA};

    use super::*;

    fn query(name: &str, id: u16) -> Message {
        let mut q = Message::new(id, MessageType::Query, OpCode::Query);
        q.add_query(Query::query(Name::from_ascii(name).unwrap(), RecordType::A));
        q
    }

    fn answer(q: &Message, ttls: &[u32]) -> Message {
        let mut a = Message::response(q.metadata.id, OpCode::Query);
        a.add_queries(q.queries.clone());
        for (i, ttl) in ttls.iter().enumerate() {
            a.add_answer(Record::from_rdata(
                q.queries[0].name().clone(),
                *ttl,
                RData::A(A(Ipv4Addr::new(192, 0, 2, i as u8))),
            ));
        }
        a
    }

    fn negative(q: &Message, code: ResponseCode, soa_ttl: u32, minimum: u32) -> Message {
        let mut a = answer(q, &[]);
        a.metadata.response_code = code;
        a.add_authority(Record::from_rdata(
            Name::from_ascii("test.").unwrap(),
            soa_ttl,
            RData::SOA(SOA::new(
                Name::from_ascii("ns.test.").unwrap(),
                Name::from_ascii("admin.test.").unwrap(),
                1,
                3600,
                600,
                86400,
                minimum,
            )),
        ));
        a
    }

    #[test]
    fn served_ttls_count_down_and_entries_expire_at_the_smallest_ttl() {
        let mut c = Cache::new(10);
        let t0 = Instant::now();
        let q = query("www.example.test.", 1);
        c.put(&q, &answer(&q, &[300, 60]), t0);
        let hit = c
            .get(&query("WWW.Example.Test.", 2), t0 + Duration::from_secs(20))
            .unwrap();
        assert_eq!(hit.metadata.id, 2, "the asker's id");
        assert_eq!(
            hit.answers.iter().map(|r| r.ttl).collect::<Vec<_>>(),
            vec![280, 40]
        );
        assert!(
            c.get(&q, t0 + Duration::from_secs(60)).is_none(),
            "60 s is the smallest TTL"
        );
        assert!(c.is_empty(), "expired entry dropped on lookup");
    }

    #[test]
    fn what_is_not_cached() {
        let mut c = Cache::new(10);
        let now = Instant::now();
        let q = query("a.test.", 1);
        let mut servfail = answer(&q, &[60]);
        servfail.metadata.response_code = ResponseCode::ServFail;
        let mut truncated = answer(&q, &[60]);
        truncated.metadata.truncation = true;
        for a in [servfail, truncated, answer(&q, &[0]), answer(&q, &[])] {
            c.put(&q, &a, now);
        }
        assert!(c.is_empty());
        Cache::new(0).put(&q, &answer(&q, &[60]), now);
    }

    #[test]
    fn negative_answers_use_the_soa_minimum_capped() {
        let q = query("nope.test.", 1);
        assert_eq!(
            cache_ttl(&negative(&q, ResponseCode::NXDomain, 3600, 30)),
            Some(30)
        );
        assert_eq!(
            cache_ttl(&negative(&q, ResponseCode::NoError, 20, 900)),
            Some(20)
        );
        assert_eq!(
            cache_ttl(&negative(&q, ResponseCode::NXDomain, 9000, 9000)),
            Some(MAX_NEGATIVE_TTL)
        );
        assert_eq!(cache_ttl(&answer(&q, &[999_999])), Some(MAX_TTL));
    }

    #[test]
    fn full_cache_evicts_expired_then_soonest() {
        let mut c = Cache::new(2);
        let t0 = Instant::now();
        let (a, b, d) = (
            query("a.test.", 1),
            query("b.test.", 1),
            query("d.test.", 1),
        );
        c.put(&a, &answer(&a, &[10]), t0);
        c.put(&b, &answer(&b, &[100]), t0);
        c.put(&d, &answer(&d, &[50]), t0 + Duration::from_secs(1));
        assert_eq!(c.len(), 2);
        assert!(
            c.get(&a, t0 + Duration::from_secs(2)).is_none(),
            "soonest to expire evicted"
        );
        assert!(c.get(&b, t0 + Duration::from_secs(2)).is_some());
        assert!(c.get(&d, t0 + Duration::from_secs(2)).is_some());
    }
}
