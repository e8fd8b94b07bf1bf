//! The server's decisions against an in-memory forward table.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use masq_control::PortMappingSettings;
use proptest::prelude::*;

use super::*;
use crate::portmap::natpmp_wire::{MapRequest, Request, Response, ResultCode, request_bytes};
use crate::portmap::pcp_wire::{self as pcp, MapBody, Op};

const EXTERNAL: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);
const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 10);
const OTHER: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 11);

/// Forwards by (protocol, external port); `user` ports are the user's own forwards.
#[derive(Default)]
struct FakeTable {
    mappings: BTreeMap<(MapProtocol, u16), (ClientMapping, Duration)>,
    user: Vec<(MapProtocol, u16)>,
    /// Ports that `port_taken` calls free but `open` finds taken (a race).
    racy: Vec<u16>,
}

impl MappingTable for FakeTable {
    fn mappings_of(&self, client: Ipv4Addr) -> Vec<ClientMapping> {
        self.mappings
            .values()
            .filter(|(m, _)| m.client == client)
            .map(|(m, _)| *m)
            .collect()
    }
    fn port_taken(&self, protocol: MapProtocol, port: u16) -> bool {
        self.user.contains(&(protocol, port)) || self.mappings.contains_key(&(protocol, port))
    }
    fn open(&mut self, m: &ClientMapping, lifetime: Duration) -> Result<(), MapRefusal> {
        if self.racy.contains(&m.external_port) {
            return Err(MapRefusal::PortTaken {
                protocol: m.protocol,
                port: m.external_port,
            });
        }
        self.mappings
            .insert((m.protocol, m.external_port), (*m, lifetime));
        Ok(())
    }
    fn renew(&mut self, m: &ClientMapping, lifetime: Duration) -> Result<(), MapRefusal> {
        self.mappings
            .insert((m.protocol, m.external_port), (*m, lifetime));
        Ok(())
    }
    fn close(&mut self, m: &ClientMapping) {
        self.mappings.remove(&(m.protocol, m.external_port));
    }
}

fn settings() -> PortMappingSettings {
    PortMappingSettings {
        enabled: true,
        max_per_client: 3,
        ..Default::default()
    }
}

fn server_with(s: PortMappingSettings) -> (Server, Instant) {
    let now = Instant::now();
    let mut server = Server::new(Policy::new(&s, "192.168.137.1/24".parse().unwrap()), now);
    server.set_external_address(Some(EXTERNAL));
    (server, now)
}

fn from(ip: Ipv4Addr) -> SocketAddrV4 {
    SocketAddrV4::new(ip, 40000)
}

fn natpmp_map(
    server: &mut Server,
    now: Instant,
    table: &mut FakeTable,
    client: Ipv4Addr,
    (protocol, internal, suggested, lifetime): (MapProtocol, u16, u16, u32),
) -> Response {
    let req = request_bytes(&Request::Map(MapRequest {
        protocol,
        internal_port: internal,
        suggested_external_port: suggested,
        lifetime,
    }));
    let out = server.handle(now, from(client), &req, table).unwrap();
    Response::parse(&out).unwrap()
}

fn granted(r: Response) -> (ResultCode, u16, u32) {
    match r {
        Response::Map {
            result,
            external_port,
            lifetime,
            ..
        } => (result, external_port, lifetime),
        other => panic!("not a map response: {other:?}"),
    }
}

#[test]
fn natpmp_external_address_and_epoch() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let out = server
        .handle(now + Duration::from_secs(5), from(HOST), &[0, 0], &mut t)
        .unwrap();
    assert_eq!(
        Response::parse(&out),
        Some(Response::ExternalAddress {
            result: ResultCode::Success,
            epoch: 5,
            address: EXTERNAL
        })
    );
    server.set_external_address(None);
    let out = server.handle(now, from(HOST), &[0, 0], &mut t).unwrap();
    assert!(matches!(
        Response::parse(&out),
        Some(Response::ExternalAddress {
            result: ResultCode::NetworkFailure,
            address: Ipv4Addr::UNSPECIFIED,
            ..
        })
    ));
}

#[test]
fn natpmp_map_renew_and_delete() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 8080, 18080, 3600),
    );
    assert_eq!(granted(r), (ResultCode::Success, 18080, 3600));
    let (m, life) = t.mappings[&(MapProtocol::Tcp, 18080)];
    assert_eq!(
        (m.client, m.internal_port, m.via),
        (HOST, 8080, RequestedVia::NatPmp)
    );
    assert_eq!(life, Duration::from_secs(3600));

    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 8080, 0, 7200),
    );
    assert_eq!(
        granted(r),
        (ResultCode::Success, 18080, 7200),
        "renewal keeps the port"
    );
    assert_eq!(t.mappings.len(), 1);
    assert_eq!(server.counters().renewed, 1);

    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 8080, 0, 0),
    );
    assert_eq!(granted(r), (ResultCode::Success, 0, 0));
    assert!(t.mappings.is_empty());
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 8080, 0, 0),
    );
    assert_eq!(
        granted(r).0,
        ResultCode::Success,
        "deleting nothing succeeds"
    );
}

#[test]
fn lifetimes_are_clamped() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Udp, 5000, 0, 1),
    );
    assert_eq!(granted(r).2, 120);
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Udp, 5001, 0, u32::MAX),
    );
    assert_eq!(granted(r).2, 86_400);
}

#[test]
fn quota_per_client() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    for port in 1..=3 {
        let r = natpmp_map(
            &mut server,
            now,
            &mut t,
            HOST,
            (MapProtocol::Udp, 5000 + port, 0, 60),
        );
        assert_eq!(granted(r).0, ResultCode::Success);
    }
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Udp, 6000, 0, 60),
    );
    assert_eq!(granted(r), (ResultCode::OutOfResources, 0, 0));
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        OTHER,
        (MapProtocol::Udp, 6000, 0, 60),
    );
    assert_eq!(granted(r).0, ResultCode::Success, "the quota is per client");
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Udp, 5001, 0, 60),
    );
    assert_eq!(
        granted(r).0,
        ResultCode::Success,
        "renewing within quota still works"
    );
}

#[test]
fn taken_ports_lead_to_another_free_port() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable {
        user: vec![(MapProtocol::Tcp, 8080)],
        racy: vec![8081],
        ..Default::default()
    };
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 80, 8080, 60),
    );
    assert_eq!(
        granted(r).1,
        8082,
        "8080 is the user's, 8081 was taken meanwhile"
    );
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        OTHER,
        (MapProtocol::Tcp, 80, 8082, 60),
    );
    assert_eq!(granted(r).1, 8083, "8082 is HOST's now");
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        OTHER,
        (MapProtocol::Udp, 80, 8082, 60),
    );
    assert_eq!(granted(r).1, 8082, "UDP and TCP ports are separate");
}

#[test]
fn low_ports_are_not_handed_out_unless_allowed() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 80, 80, 60),
    );
    assert_eq!(granted(r).1, 1024);
    let (mut server, now) = server_with(PortMappingSettings {
        external_port_min: 80,
        external_port_max: 80,
        ..settings()
    });
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        OTHER,
        (MapProtocol::Tcp, 80, 0, 60),
    );
    assert_eq!(granted(r).1, 80);
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 81, 0, 60),
    );
    assert_eq!(
        granted(r).0,
        ResultCode::OutOfResources,
        "the one allowed port is used"
    );
}

#[test]
fn delete_all_removes_only_that_protocol_of_that_client() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    natpmp_map(&mut server, now, &mut t, HOST, (MapProtocol::Tcp, 1, 0, 60));
    natpmp_map(&mut server, now, &mut t, HOST, (MapProtocol::Tcp, 2, 0, 60));
    natpmp_map(&mut server, now, &mut t, HOST, (MapProtocol::Udp, 1, 0, 60));
    natpmp_map(
        &mut server,
        now,
        &mut t,
        OTHER,
        (MapProtocol::Tcp, 3, 0, 60),
    );
    let r = natpmp_map(&mut server, now, &mut t, HOST, (MapProtocol::Tcp, 0, 0, 0));
    assert_eq!(granted(r).0, ResultCode::Success);
    let left: Vec<_> = t
        .mappings
        .values()
        .map(|(m, _)| (m.client, m.protocol))
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&(HOST, MapProtocol::Udp)));
    assert!(left.contains(&(OTHER, MapProtocol::Tcp)));
    let r = natpmp_map(&mut server, now, &mut t, HOST, (MapProtocol::Tcp, 0, 0, 60));
    assert_eq!(
        granted(r).0,
        ResultCode::NotAuthorized,
        "all ports is not offered"
    );
}

#[test]
fn disabled_refuses_and_outsiders_are_ignored() {
    let (mut server, now) = server_with(PortMappingSettings {
        enabled: false,
        ..settings()
    });
    let mut t = FakeTable::default();
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 80, 0, 60),
    );
    assert_eq!(granted(r).0, ResultCode::NotAuthorized);
    let out = server.handle(now, from(HOST), &[0, 0], &mut t).unwrap();
    assert!(matches!(
        Response::parse(&out),
        Some(Response::ExternalAddress {
            result: ResultCode::NotAuthorized,
            ..
        })
    ));
    let pcp_req = pcp::request_bytes(60, HOST, &Op::Map(map_body(1)), &[]);
    let out = server.handle(now, from(HOST), &pcp_req, &mut t).unwrap();
    assert_eq!(
        pcp::parse_response(&out).unwrap().result,
        pcp::ResultCode::NotAuthorized
    );
    assert!(t.mappings.is_empty());
    assert!(server.announcements(now).is_empty());

    let (mut server, now) = server_with(settings());
    for outsider in [
        Ipv4Addr::new(10, 0, 0, 5),
        Ipv4Addr::new(192, 168, 137, 1),
        Ipv4Addr::new(192, 168, 137, 255),
    ] {
        assert_eq!(server.handle(now, from(outsider), &[0, 0], &mut t), None);
    }
    assert_eq!(server.counters().dropped, 3);
}

#[test]
fn no_external_address_is_a_network_failure() {
    let (mut server, now) = server_with(settings());
    server.set_external_address(None);
    let mut t = FakeTable::default();
    let r = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 80, 0, 60),
    );
    assert_eq!(granted(r).0, ResultCode::NetworkFailure);
    let req = pcp::request_bytes(60, HOST, &Op::Map(map_body(1)), &[]);
    let out = server.handle(now, from(HOST), &req, &mut t).unwrap();
    assert_eq!(
        pcp::parse_response(&out).unwrap().result,
        pcp::ResultCode::NetworkFailure
    );
}

fn map_body(nonce: u8) -> MapBody {
    MapBody {
        nonce: [nonce; 12],
        protocol: pcp::IPPROTO_TCP,
        internal_port: 8080,
        external_port: 18080,
        external_address: Ipv6Addr::UNSPECIFIED,
    }
}

use std::net::Ipv6Addr;

fn pcp_call(
    server: &mut Server,
    now: Instant,
    t: &mut FakeTable,
    lifetime: u32,
    body: MapBody,
    options: &[(u8, &[u8])],
) -> pcp::ResponseView {
    let req = pcp::request_bytes(lifetime, HOST, &Op::Map(body), options);
    let out = server.handle(now, from(HOST), &req, t).unwrap();
    pcp::parse_response(&out).unwrap()
}

#[test]
fn pcp_map_renew_delete_with_nonce() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let v = pcp_call(&mut server, now, &mut t, 600, map_body(1), &[]);
    assert_eq!((v.result, v.lifetime), (pcp::ResultCode::Success, 600));
    let m = v.map.unwrap();
    assert_eq!(
        (m.nonce, m.internal_port, m.external_port),
        ([1; 12], 8080, 18080)
    );
    assert_eq!(pcp::mapped_v4(m.external_address), Some(EXTERNAL));
    assert_eq!(
        t.mappings[&(MapProtocol::Tcp, 18080)].0.via,
        RequestedVia::Pcp { nonce: [1; 12] }
    );

    let v = pcp_call(&mut server, now, &mut t, 600, map_body(2), &[]);
    assert_eq!(
        v.result,
        pcp::ResultCode::NotAuthorized,
        "another nonce may not renew"
    );
    let v = pcp_call(&mut server, now, &mut t, 0, map_body(2), &[]);
    assert_eq!(v.result, pcp::ResultCode::NotAuthorized, "nor delete");
    let v = natpmp_map(
        &mut server,
        now,
        &mut t,
        HOST,
        (MapProtocol::Tcp, 8080, 0, 60),
    );
    assert_eq!(granted(v).0, ResultCode::NotAuthorized, "nor NAT-PMP");
    assert_eq!(t.mappings.len(), 1);

    let v = pcp_call(&mut server, now, &mut t, 900, map_body(1), &[]);
    assert_eq!(
        (v.result, v.lifetime, v.map.unwrap().external_port),
        (pcp::ResultCode::Success, 900, 18080)
    );
    let v = pcp_call(&mut server, now, &mut t, 0, map_body(1), &[]);
    assert_eq!((v.result, v.lifetime), (pcp::ResultCode::Success, 0));
    assert!(t.mappings.is_empty());
}

#[test]
fn pcp_policy_refusals() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let third = OTHER.to_ipv6_mapped().octets();
    let v = pcp_call(&mut server, now, &mut t, 60, map_body(1), &[(1, &third)]);
    assert_eq!(v.result, pcp::ResultCode::NotAuthorized, "THIRD_PARTY");
    assert_eq!(v.lifetime, 1800, "a long-lifetime error");
    let v = pcp_call(&mut server, now, &mut t, 60, map_body(1), &[(3, &[0; 20])]);
    assert_eq!(v.result, pcp::ResultCode::UnsuppOption, "FILTER");
    let v = pcp_call(
        &mut server,
        now,
        &mut t,
        60,
        MapBody {
            protocol: 0,
            ..map_body(1)
        },
        &[],
    );
    assert_eq!(v.result, pcp::ResultCode::UnsuppProtocol);
    let v = pcp_call(
        &mut server,
        now,
        &mut t,
        60,
        MapBody {
            protocol: 132,
            ..map_body(1)
        },
        &[],
    );
    assert_eq!(v.result, pcp::ResultCode::UnsuppProtocol, "SCTP");

    let spoofed = pcp::request_bytes(60, OTHER, &Op::Map(map_body(1)), &[]);
    let out = server.handle(now, from(HOST), &spoofed, &mut t).unwrap();
    assert_eq!(
        pcp::parse_response(&out).unwrap().result,
        pcp::ResultCode::AddressMismatch
    );
    assert!(t.mappings.is_empty());
}

#[test]
fn pcp_prefer_failure_and_alternatives() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable {
        user: vec![(MapProtocol::Tcp, 18080)],
        ..Default::default()
    };
    let v = pcp_call(&mut server, now, &mut t, 60, map_body(1), &[(2, &[])]);
    assert_eq!(v.result, pcp::ResultCode::CannotProvideExternal);
    assert_eq!(v.lifetime, 1800);
    let v = pcp_call(&mut server, now, &mut t, 60, map_body(1), &[]);
    assert_eq!(
        (v.result, v.map.unwrap().external_port),
        (pcp::ResultCode::Success, 18081)
    );

    let elsewhere = MapBody {
        external_address: Ipv4Addr::new(198, 51, 100, 1).to_ipv6_mapped(),
        internal_port: 9000,
        external_port: 9000,
        ..map_body(3)
    };
    let v = pcp_call(&mut server, now, &mut t, 60, elsewhere, &[(2, &[])]);
    assert_eq!(
        v.result,
        pcp::ResultCode::CannotProvideExternal,
        "another external address"
    );
    let v = pcp_call(&mut server, now, &mut t, 60, elsewhere, &[]);
    assert_eq!(
        v.result,
        pcp::ResultCode::Success,
        "without PREFER_FAILURE ours is given"
    );
    assert_eq!(
        pcp::mapped_v4(v.map.unwrap().external_address),
        Some(EXTERNAL)
    );
}

#[test]
fn pcp_quota_is_user_ex_quota() {
    let (mut server, now) = server_with(PortMappingSettings {
        max_per_client: 1,
        ..settings()
    });
    let mut t = FakeTable::default();
    pcp_call(&mut server, now, &mut t, 60, map_body(1), &[]);
    let v = pcp_call(
        &mut server,
        now,
        &mut t,
        60,
        MapBody {
            internal_port: 1,
            ..map_body(1)
        },
        &[],
    );
    assert_eq!((v.result, v.lifetime), (pcp::ResultCode::UserExQuota, 30));
}

#[test]
fn pcp_announce_and_version_negotiation() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    let req = pcp::request_bytes(0, HOST, &Op::Announce, &[]);
    let out = server
        .handle(now + Duration::from_secs(3), from(HOST), &req, &mut t)
        .unwrap();
    let v = pcp::parse_response(&out).unwrap();
    assert_eq!(
        (v.opcode, v.result, v.epoch),
        (pcp::OP_ANNOUNCE, pcp::ResultCode::Success, 3)
    );
    for version in [1u8, 3, 255] {
        let mut r = req.clone();
        r[0] = version;
        let out = server.handle(now, from(HOST), &r, &mut t).unwrap();
        assert_eq!(out[0], pcp::VERSION, "the answer names the version spoken");
        assert_eq!(
            pcp::parse_response(&out).unwrap().result,
            pcp::ResultCode::UnsuppVersion
        );
    }
    let announcements = server.announcements(now);
    assert_eq!(announcements.len(), 2);
    assert!(matches!(
        Response::parse(&announcements[0]),
        Some(Response::ExternalAddress {
            result: ResultCode::Success,
            address: EXTERNAL,
            ..
        })
    ));
    assert_eq!(
        pcp::parse_response(&announcements[1]).unwrap().opcode,
        pcp::OP_ANNOUNCE
    );
}

#[test]
fn malformed_requests_are_counted() {
    let (mut server, now) = server_with(settings());
    let mut t = FakeTable::default();
    assert_eq!(server.handle(now, from(HOST), &[], &mut t), None);
    assert_eq!(server.handle(now, from(HOST), &[0, 1, 0], &mut t), None);
    assert_eq!(server.handle(now, from(HOST), &[2, 0x81], &mut t), None);
    let out = server
        .handle(now, from(HOST), &[2, 1, 0, 0, 0], &mut t)
        .unwrap();
    assert_eq!(
        pcp::parse_response(&out).unwrap().result,
        pcp::ResultCode::MalformedRequest
    );
    let out = server.handle(now, from(HOST), &[0, 9], &mut t).unwrap();
    assert_eq!(&out[..4], &[0, 0x89, 0, 5]);
    let c = server.counters();
    assert_eq!((c.requests, c.dropped, c.refused), (5, 3, 2));
}

proptest! {
    #[test]
    fn random_datagrams_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1300), version in 0u8..4, op in any::<u8>()) {
        let (mut server, now) = server_with(settings());
        let mut t = FakeTable::default();
        let _ = server.handle(now, from(HOST), &bytes, &mut t);
        let mut shaped = bytes.clone();
        if shaped.len() >= 2 {
            shaped[0] = version;
            shaped[1] = op & 0x7f;
        }
        if shaped.len() >= 24 && version == 2 {
            shaped[8..24].copy_from_slice(&HOST.to_ipv6_mapped().octets());
        }
        if let Some(out) = server.handle(now, from(HOST), &shaped, &mut t) {
            prop_assert!(out.len() <= pcp::MAX_MESSAGE);
            prop_assert!(out.len() >= 8);
        }
        prop_assert!(t.mappings.len() <= 3);
    }
}
