//! Per-client limits (`client_limits`): a host's own flow cap, and rates in each direction
//! enforced through TCP's flow control (held commands) and by dropping UDP beyond the rate.

use std::time::Duration;

use super::harness::{Harness, host, sa};
use super::lan_host::{HOST, HOST2, REMOTE, udp};
use crate::{ClientLimit, Config, DropReason, Protocol};

fn limited(limit: ClientLimit) -> Harness {
    Harness::with_config(Config {
        client_limits: vec![limit],
        ..Config::default()
    })
}

fn only(up: Option<u64>, down: Option<u64>, max_flows: Option<usize>) -> ClientLimit {
    ClientLimit {
        ip: HOST.into(),
        max_flows,
        up_bytes_per_s: up,
        down_bytes_per_s: down,
    }
}

#[test]
fn a_download_is_held_to_the_hosts_rate() {
    let mut h = limited(only(None, Some(200_000), None));
    let mut c = h.open_default(40_000, 1_000);
    let data = vec![7u8; 4 << 20];
    h.remote_write(c.id, &data);
    let start = h.elapsed();
    h.lan_receive(&mut c, 2, |l| l.received.len() >= 1_500_000);
    let took = (h.elapsed() - start).as_secs_f64();
    // 1.5 MB at 200 kB/s is 7.5 s; the first credit (the flow's 256 KiB window) and the
    // 20 kB burst come at once, so at least (1.5 MB - 0.28 MB) / 200 kB/s.
    assert!(took > 6.0 && took < 8.5, "{took:.2} s");
    assert_eq!(&c.lan.received[..], &data[..c.lan.received.len()]);
}

#[test]
fn an_upload_is_held_to_the_hosts_rate_and_others_are_not() {
    let mut h = limited(only(Some(100_000), None, None));
    let mut c = h.open_default(40_001, 1_000);
    let data = vec![3u8; 600_000];
    let start = h.elapsed();
    h.lan_upload(&mut c, &data, || 1460);
    let deadline = start + Duration::from_secs(20);
    while h.tcp(c.id).written.len() < data.len() && h.elapsed() < deadline {
        h.advance(Duration::from_millis(10));
        let now_acks: Vec<_> = h.tun_tcp();
        for s in &now_acks {
            c.lan.receive(s);
        }
    }
    let took = (h.elapsed() - start).as_secs_f64();
    assert_eq!(h.tcp(c.id).written, data, "every byte arrives, in order");
    assert!(took > 5.0, "600 kB at 100 kB/s took only {took:.2} s");

    // Another host is not limited.
    let mut other =
        super::lan_host::LanTcp::new(40_002, std::net::SocketAddrV4::new(REMOTE, 443), 9);
    other.lan = std::net::SocketAddrV4::new(HOST2, 40_002);
    let mut o = h.open(other);
    let start = h.elapsed();
    h.lan_upload(&mut o, &data, || 1460);
    assert!((h.elapsed() - start).as_secs_f64() < 2.0);
    assert_eq!(h.tcp(o.id).written.len(), data.len());
}

#[test]
fn udp_toward_a_limited_host_is_dropped_beyond_the_rate() {
    let mut h = limited(only(None, Some(10_000), None));
    h.send(&udp(
        host(5000),
        std::net::SocketAddrV4::new(REMOTE, 53),
        64,
        b"q",
    ));
    let id = h.cmds()[0].socket();
    h.socket_opened(id);
    h.tun();
    for _ in 0..20 {
        h.udp_in(id, sa(REMOTE, 53), &[0u8; 1000]);
    }
    let delivered = h.tun().len();
    // A 1 000-byte burst (100 ms at 10 kB/s) lets one datagram in, then debt refuses.
    assert!((1..=2).contains(&delivered), "{delivered}");
    assert_eq!(
        h.engine.counters().drops_of(DropReason::RateLimited),
        20 - delivered as u64
    );
    h.advance(Duration::from_secs(2));
    h.udp_in(id, sa(REMOTE, 53), &[0u8; 1000]);
    assert_eq!(h.tun().len(), 1, "the rate refills");
}

#[test]
fn a_client_flow_cap_replaces_the_per_host_one() {
    let mut h = limited(only(None, None, Some(2)));
    for port in 0..4u16 {
        h.send(&udp(
            host(6000 + port),
            std::net::SocketAddrV4::new(REMOTE, 53),
            64,
            b"q",
        ));
    }
    assert_eq!(h.flows(Protocol::Udp), 2);
    assert_eq!(h.engine.counters().drops_of(DropReason::FlowCapPerHost), 2);
    let bad = Config {
        client_limits: vec![only(Some(10), None, None)],
        ..Config::default()
    };
    let e = bad.validate().unwrap_err();
    assert_eq!(e.key, "client_limits.up_bytes_per_s");
    let twice = Config {
        client_limits: vec![only(None, None, None), only(None, None, None)],
        ..Config::default()
    };
    assert_eq!(twice.validate().unwrap_err().key, "client_limits.ip");
}

#[test]
fn a_limit_set_while_running_applies_at_once_and_lifting_it_releases_what_waited() {
    let mut h = Harness::with_config(Config::default());
    let mut c = h.open_default(40_003, 1_000);
    let data = vec![5u8; 12 << 20];
    h.remote_write(c.id, &data);
    // Unlimited: a megabyte arrives within a second.
    let start = h.elapsed();
    h.lan_receive(&mut c, 2, |l| l.received.len() >= 1_000_000);
    assert!((h.elapsed() - start).as_secs_f64() < 1.0);

    // Limited to 200 kB/s from now on. What the relay already read from the server (at
    // most its 4 MiB buffer) still comes at once; a megabyte beyond it takes 5 s.
    h.set_client_limits(vec![only(None, Some(200_000), None)])
        .unwrap();
    let target = c.lan.received.len() + (4 << 20) + 1_000_000;
    let start = h.elapsed();
    h.lan_receive(&mut c, 2, |l| l.received.len() >= target);
    let took = (h.elapsed() - start).as_secs_f64();
    assert!(
        took > 4.0,
        "1 MB at 200 kB/s after the limit took {took:.2} s"
    );

    // Lifted: what waited is released and the rest comes at full speed.
    h.set_client_limits(vec![]).unwrap();
    let start = h.elapsed();
    h.lan_receive(&mut c, 2, |l| l.received.len() >= data.len());
    assert!((h.elapsed() - start).as_secs_f64() < 2.0);
    assert_eq!(c.lan.received, data, "every byte, in order");
}

#[test]
fn an_invalid_limit_set_while_running_changes_nothing() {
    let mut h = limited(only(None, None, Some(1)));
    let e = h
        .set_client_limits(vec![only(Some(10), None, None)])
        .unwrap_err();
    assert_eq!(e.key, "client_limits.up_bytes_per_s");
    // The old cap still holds: one flow, the second refused.
    for port in 0..2u16 {
        h.send(&udp(
            host(7000 + port),
            std::net::SocketAddrV4::new(REMOTE, 53),
            64,
            b"q",
        ));
    }
    assert_eq!(h.flows(Protocol::Udp), 1);
    // A raised cap admits the next flow; the one it holds stays.
    h.set_client_limits(vec![only(None, None, Some(3))])
        .unwrap();
    h.send(&udp(
        host(7002),
        std::net::SocketAddrV4::new(REMOTE, 53),
        64,
        b"q",
    ));
    assert_eq!(h.flows(Protocol::Udp), 2);
}
