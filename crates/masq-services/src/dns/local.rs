//! Names of LAN hosts, answered from the DHCP lease table without asking upstream.
//!
//! A host that got a lease with host name `laptop` is `laptop.<domain>` (A record) and its
//! address reverse-resolves to that name (PTR). The gateway itself is `gateway.<domain>`.
//! Names under the LAN domain and reverse names of LAN addresses never leave the gateway
//! (RFC 6303's advice for private reverse zones): unknown ones get NXDOMAIN at once. A bare
//! host name (`laptop`, no dot) is answered when known and forwarded otherwise.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use masq_control::LanCidr;

use crate::dhcp::leases::Lease;

/// TTL of local answers: short, since leases come and go.
pub const LOCAL_TTL: u32 = 60;
/// The gateway's own name under the LAN domain.
pub const GATEWAY_NAME: &str = "gateway";

/// Names a LAN device may not take by calling itself so in DHCP, as dnsmasq refuses them:
/// `wpad` is what every browser's proxy auto-discovery looks up (a device named so would
/// become the proxy of the whole LAN), `isatap` what Windows' IPv6 transition looks up, and
/// the rest are the gateway's own or the host's.
pub const RESERVED_NAMES: &[&str] = &[
    "wpad",
    "isatap",
    "localhost",
    GATEWAY_NAME,
    "local",
    "broadcasthost",
];

/// Whether a device's `name` may be answered for (not a reserved name, any case).
pub fn is_claimable(name: &str) -> bool {
    !RESERVED_NAMES
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(name))
}

/// The LAN's names at one moment.
#[derive(Debug, Clone)]
pub struct LocalZone {
    domain: Name,
    lan: LanCidr,
    by_name: BTreeMap<String, Ipv4Addr>,
    by_ip: BTreeMap<Ipv4Addr, String>,
}

impl LocalZone {
    /// The zone from the leases that are active at `now` (Unix seconds) and have a name.
    pub fn new(domain: &str, lan: LanCidr, leases: &[Lease], now: u64) -> Option<LocalZone> {
        let mut domain = Name::from_ascii(domain).ok()?.to_lowercase();
        domain.set_fqdn(true);
        let mut zone = LocalZone {
            domain,
            lan,
            by_name: BTreeMap::new(),
            by_ip: BTreeMap::new(),
        };
        zone.insert(GATEWAY_NAME, lan.addr());
        for l in leases.iter().filter(|l| l.is_active(now)) {
            if let Some(name) = &l.hostname {
                if is_claimable(name) && !zone.by_name.contains_key(&name.to_ascii_lowercase()) {
                    zone.insert(name, l.ip);
                }
            }
        }
        Some(zone)
    }

    fn insert(&mut self, name: &str, ip: Ipv4Addr) {
        let name = name.to_ascii_lowercase();
        self.by_ip.insert(ip, name.clone());
        self.by_name.insert(name, ip);
    }

    /// The answer to `query` if it is about the LAN, else `None` (forward it).
    pub fn answer(&self, query: &Message) -> Option<Message> {
        let q = query.queries.first()?;
        if q.query_class() != DNSClass::IN {
            return None;
        }
        let name = q.name().to_lowercase();
        let mut fqdn = name.clone();
        fqdn.set_fqdn(true);
        let result = if self.domain.zone_of(&fqdn) {
            Some(self.forward_lookup(&fqdn, q.query_type()))
        } else if name.num_labels() == 1 {
            let label = label_text(&name, 0)?;
            let ip = *self.by_name.get(&label)?;
            Some(Lookup::Found(vec![a_record(&fqdn, ip)]))
        } else if let Some(ip) = reverse_ip(&fqdn) {
            self.lan
                .contains(ip)
                .then(|| self.reverse_lookup(&fqdn, ip, q.query_type()))
        } else {
            None
        }?;
        let mut m = Message::response(query.metadata.id, OpCode::Query);
        m.metadata.authoritative = true;
        m.metadata.recursion_desired = query.metadata.recursion_desired;
        m.metadata.recursion_available = true;
        m.add_queries(query.queries.iter().cloned());
        match result {
            Lookup::Found(records) => {
                m.add_answers(records);
            }
            Lookup::NoData => {}
            Lookup::NxDomain => m.metadata.response_code = ResponseCode::NXDomain,
        }
        Some(m)
    }

    fn forward_lookup(&self, fqdn: &Name, rtype: RecordType) -> Lookup {
        let depth = fqdn.num_labels().saturating_sub(self.domain.num_labels());
        if depth == 0 {
            return Lookup::NoData;
        }
        let ip = (depth == 1)
            .then(|| label_text(fqdn, 0))
            .flatten()
            .and_then(|label| self.by_name.get(&label).copied());
        match (ip, rtype) {
            (Some(ip), RecordType::A | RecordType::ANY) => Lookup::Found(vec![a_record(fqdn, ip)]),
            (Some(_), _) => Lookup::NoData,
            (None, _) => Lookup::NxDomain,
        }
    }

    fn reverse_lookup(&self, fqdn: &Name, ip: Ipv4Addr, rtype: RecordType) -> Lookup {
        let Some(host) = self.by_ip.get(&ip) else {
            return Lookup::NxDomain;
        };
        if !matches!(rtype, RecordType::PTR | RecordType::ANY) {
            return Lookup::NoData;
        }
        let Ok(target) = Name::from_ascii(host).and_then(|h| h.append_domain(&self.domain)) else {
            return Lookup::NxDomain;
        };
        Lookup::Found(vec![Record::from_rdata(
            fqdn.clone(),
            LOCAL_TTL,
            RData::PTR(PTR(target)),
        )])
    }
}

enum Lookup {
    Found(Vec<Record>),
    NoData,
    NxDomain,
}

fn a_record(name: &Name, ip: Ipv4Addr) -> Record {
    Record::from_rdata(name.clone(), LOCAL_TTL, RData::A(A(ip)))
}

fn label_text(name: &Name, index: usize) -> Option<String> {
    let label = name.iter().nth(index)?;
    std::str::from_utf8(label).ok().map(str::to_ascii_lowercase)
}

/// The address of a `d.c.b.a.in-addr.arpa.` name.
fn reverse_ip(fqdn: &Name) -> Option<Ipv4Addr> {
    let labels: Vec<&[u8]> = fqdn.iter().collect();
    let [d, c, b, a, in_addr, arpa] = labels.as_slice() else {
        return None;
    };
    if !in_addr.eq_ignore_ascii_case(b"in-addr") || !arpa.eq_ignore_ascii_case(b"arpa") {
        return None;
    }
    let octet = |l: &[u8]| std::str::from_utf8(l).ok()?.parse::<u8>().ok();
    Some(Ipv4Addr::new(octet(a)?, octet(b)?, octet(c)?, octet(d)?))
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{MessageType, Query};
    use masq_control::MacAddr;

    use super::*;
    use crate::dhcp::leases::LeaseState;

    fn zone() -> LocalZone {
        let lease = |n: u8, name: &str, expires: u64| Lease {
            ip: Ipv4Addr::new(192, 168, 137, n),
            mac: MacAddr([2, 0, 0, 0, 0, n]),
            hostname: Some(name.into()),
            state: LeaseState::Bound,
            expires,
            first_seen: 0,
            last_seen: 0,
        };
        let leases = [
            lease(10, "laptop", 1000),
            lease(11, "old", 50),
            lease(12, "laptop", 1000),
            lease(13, "WPAD", 1000),
            lease(14, "isatap", 1000),
            lease(15, "gateway", 1000),
        ];
        LocalZone::new("lan", "192.168.137.1/24".parse().unwrap(), &leases, 100).unwrap()
    }

    fn ask(name: &str, rtype: RecordType) -> Option<Message> {
        let mut q = Message::new(5, MessageType::Query, OpCode::Query);
        q.metadata.recursion_desired = true;
        q.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        zone().answer(&q)
    }

    fn only_rdata(m: &Message) -> &RData {
        assert_eq!(m.answers.len(), 1, "{m:?}");
        &m.answers[0].data
    }

    #[test]
    fn lan_names_resolve_case_insensitively() {
        let m = ask("Laptop.LAN.", RecordType::A).unwrap();
        assert_eq!(m.metadata.id, 5);
        assert!(m.metadata.authoritative && m.metadata.recursion_available);
        assert_eq!(
            only_rdata(&m),
            &RData::A(A(Ipv4Addr::new(192, 168, 137, 10)))
        );
        let m = ask("gateway.lan", RecordType::A).unwrap();
        assert_eq!(
            only_rdata(&m),
            &RData::A(A(Ipv4Addr::new(192, 168, 137, 1)))
        );
        let m = ask("laptop", RecordType::A).unwrap();
        assert_eq!(
            only_rdata(&m),
            &RData::A(A(Ipv4Addr::new(192, 168, 137, 10)))
        );
    }

    #[test]
    fn devices_cannot_claim_wpad_isatap_or_the_gateways_name() {
        for name in ["wpad.lan.", "isatap.lan."] {
            let m = ask(name, RecordType::A).unwrap();
            assert_eq!(m.metadata.response_code, ResponseCode::NXDomain, "{name}");
        }
        // A bare `wpad` is not the LAN's: it goes upstream, which knows no such device.
        assert!(ask("wpad", RecordType::A).is_none());
        let m = ask("gateway.lan.", RecordType::A).unwrap();
        assert_eq!(
            only_rdata(&m),
            &RData::A(A(Ipv4Addr::new(192, 168, 137, 1)))
        );
        let m = ask("13.137.168.192.in-addr.arpa.", RecordType::PTR).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    }

    #[test]
    fn unknown_or_expired_lan_names_are_nxdomain_and_other_types_nodata() {
        for name in ["old.lan.", "nobody.lan.", "a.laptop.lan."] {
            let m = ask(name, RecordType::A).unwrap();
            assert_eq!(m.metadata.response_code, ResponseCode::NXDomain, "{name}");
        }
        let m = ask("laptop.lan.", RecordType::AAAA).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
        assert!(ask("lan.", RecordType::SOA).unwrap().answers.is_empty());
    }

    #[test]
    fn reverse_names_of_the_lan_stay_local() {
        let m = ask("10.137.168.192.in-addr.arpa.", RecordType::PTR).unwrap();
        assert_eq!(
            only_rdata(&m),
            &RData::PTR(PTR(Name::from_ascii("laptop.lan.").unwrap()))
        );
        let m = ask("99.137.168.192.in-addr.arpa.", RecordType::PTR).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert!(
            ask("10.113.0.203.in-addr.arpa.", RecordType::PTR).is_none(),
            "not the LAN"
        );
    }

    #[test]
    fn everything_else_is_forwarded() {
        assert!(ask("www.example.test.", RecordType::A).is_none());
        assert!(ask("nobody", RecordType::A).is_none());
        assert!(ask("lan.example.", RecordType::A).is_none());
    }
}
