//! What users see: the translation table's fields for each protocol, and the JSON field
//! names the control API, the CLI's `--json` and the GUI rely on.

use std::net::SocketAddrV4;
use std::time::Duration;

use serde_json::{Value, json};

use super::harness::{Harness, UPLINK, host, sa};
use super::lan_host::{HOST, LanTcp, REMOTE, echo_request, udp};
use crate::{FlowId, Protocol};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn translations_describe_each_flow() {
    let mut h = Harness::new();
    let mut c = h.open(LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1));
    h.send(&c.lan.send(b"hello"));
    h.remote_write(c.id, b"world!");
    h.lan_receive(&mut c, 1, |l| l.received.len() == 6);
    h.advance(Duration::from_secs(10));
    h.cmds();
    h.send(&udp(host(5000), SocketAddrV4::new(REMOTE, 53), 64, b"q"));
    let udp_id = h.cmds()[0].socket();
    h.advance(Duration::from_secs(2));
    h.send(&echo_request(HOST, REMOTE, 64, 7, 1, b"ping"));

    let t = h.translations();
    assert_eq!(t.len(), 3);
    let (tcp, udp_t, icmp) = (&t[0], &t[1], &t[2]);
    assert_eq!(
        (tcp.id, tcp.protocol, tcp.state.as_str()),
        (FlowId(1), Protocol::Tcp, "established")
    );
    assert_eq!(
        (tcp.lan.0, tcp.remote.map(|r| r.0)),
        (sa(HOST, 50_000), Some(sa(REMOTE, 443)))
    );
    assert_eq!(tcp.gateway.map(|g| g.0), Some(sa(UPLINK, 40_001)));
    assert_eq!((tcp.bytes_out, tcp.bytes_in), (5, 6));
    assert!(!tcp.inbound);
    assert_eq!((tcp.age_s, tcp.idle_s), (12.0, 12.0));
    assert_eq!(tcp.expires_in_s, (2 * 3600 + 4 * 60 - 12) as f64);

    assert_eq!(
        (udp_t.protocol, udp_t.state.as_str(), udp_t.gateway),
        (Protocol::Udp, "opening", None)
    );
    assert_eq!(
        udp_t.remote.map(|r| r.0),
        Some(sa(REMOTE, 53)),
        "the latest peer"
    );
    assert_eq!(
        (udp_t.bytes_out, udp_t.packets_out, udp_t.age_s),
        (1, 1, 2.0)
    );
    assert_eq!(udp_t.expires_in_s, 298.0);

    assert_eq!(
        (icmp.protocol, icmp.lan.0, icmp.remote.map(|r| r.0)),
        (Protocol::Icmp, sa(HOST, 7), Some(sa(REMOTE, 0)))
    );
    assert_eq!(icmp.expires_in_s, 60.0);

    h.socket_opened(udp_id);
    let t = h.translations();
    assert_eq!(
        (t[1].state.as_str(), t[1].gateway.map(|g| g.0)),
        ("active", Some(sa(UPLINK, 40_002)))
    );
    let s = h.engine.status();
    assert_eq!(
        (
            s.flows_tcp,
            s.flows_udp,
            s.flows_icmp,
            s.lan_hosts,
            s.max_flows
        ),
        (1, 1, 1, 1, 65_536)
    );
}

#[test]
fn json_field_names_are_stable() {
    let mut h = Harness::new();
    let _c = h.open(LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1));
    h.engine
        .handle_uplink_probe(h.now(), Protocol::Tcp, sa(REMOTE, 4000), sa(UPLINK, 22));
    let t = serde_json::to_value(&h.translations()[0]).expect("serializes");
    assert_eq!(
        keys(&t),
        [
            "age_s",
            "bytes_in",
            "bytes_out",
            "expires_in_s",
            "gateway",
            "id",
            "idle_s",
            "inbound",
            "lan",
            "packets_in",
            "packets_out",
            "protocol",
            "remote",
            "state",
            "tcp"
        ]
    );
    assert_eq!(
        keys(&t["tcp"]),
        [
            "cwnd_bytes",
            "fast_recoveries",
            "mss",
            "retransmits",
            "rtos",
            "spurious_retransmits",
            "srtt_us",
            "tail_loss_probes",
            "tlp_recoveries",
            "undos"
        ]
    );
    assert_eq!(t["id"], json!(1));
    assert_eq!(t["protocol"], json!("tcp"));
    assert_eq!(t["lan"], json!("192.168.137.10:50000"));
    assert_eq!(t["remote"], json!("203.0.113.5:443"));
    assert_eq!(t["gateway"], json!("198.51.100.2:40001"));

    let a = serde_json::to_value(&h.engine.inbound_attempts(h.now())[0]).expect("serializes");
    assert_eq!(
        keys(&a),
        [
            "count",
            "explanation",
            "first_seen_s",
            "gateway",
            "last_seen_s",
            "protocol",
            "reason",
            "remote"
        ]
    );
    assert_eq!(a["reason"], json!("no_translation"));

    h.send(&[0x45, 0, 0]);
    let s = serde_json::to_value(h.engine.status()).expect("serializes");
    assert_eq!(
        keys(&s),
        [
            "counters",
            "flows_icmp",
            "flows_tcp",
            "flows_udp",
            "lan_hosts",
            "max_flows",
            "tcp_buffer_growth_bytes"
        ]
    );
    assert_eq!(
        keys(&s["counters"]),
        [
            "datagrams_reassembled",
            "drops",
            "flows_closed",
            "flows_created",
            "hairpinned_packets",
            "icmp_errors_suppressed",
            "tcp_fast_recoveries",
            "tcp_retransmits",
            "tcp_rtos",
            "tcp_spurious_retransmits",
            "tcp_tail_loss_probes",
            "tcp_tlp_recoveries",
            "tcp_undos",
            "tun_bytes_in",
            "tun_bytes_out",
            "tun_packets_in",
            "tun_packets_out",
            "tun_write_failures"
        ]
    );
    assert_eq!(s["counters"]["drops"], json!({"truncated": 1}));
}
