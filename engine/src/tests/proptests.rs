//! Property tests: no byte sequence makes the engine panic or lose count of a packet, and
//! no reordering, duplication or loss of the hidden host's segments corrupts an upload.

use crate::SocketEvent;
use std::net::SocketAddrV4;
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;

use super::harness::{Harness, Rng, host};
use super::lan_host::{HOST, LanTcp, REMOTE, echo_request, udp};

/// Valid packets of every kind the engine acts on, to be mutated.
fn seeds() -> Vec<Vec<u8>> {
    let mut l = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 1000);
    let syn = l.syn();
    l.snd_nxt = 1001;
    vec![
        syn,
        l.send(b"payload bytes"),
        l.fin(),
        l.rst_at(1001),
        udp(host(5000), SocketAddrV4::new(REMOTE, 53), 64, b"query"),
        echo_request(HOST, REMOTE, 64, 7, 1, b"ping"),
    ]
}

/// A mutation of one seed packet: byte edits, then an optional cut or extension.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        0..seeds().len(),
        vec((any::<usize>(), any::<u8>()), 0..4),
        prop_oneof![Just(None), (any::<usize>()).prop_map(Some)],
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(which, edits, cut, tail)| {
            let mut p = seeds().swap_remove(which);
            for (at, b) in edits {
                let i = at % p.len();
                p[i] ^= b;
            }
            if let Some(c) = cut {
                p.truncate(c % (p.len() + 1));
            }
            p.extend_from_slice(&tail);
            p
        })
}

proptest! {
    /// One packet into a fresh engine is either dropped under exactly one reason or
    /// creates exactly one flow; whatever the engine emits decodes with valid checksums
    /// (the harness checks every emitted packet).
    #[test]
    fn any_packet_is_translated_or_counted(packet in prop_oneof![vec(any::<u8>(), 0..128), mutated()]) {
        let mut h = Harness::new();
        h.send(&packet);
        let c = h.engine.counters();
        let dropped: u64 = c.drops.values().sum();
        prop_assert_eq!(c.tun_packets_in, 1);
        prop_assert_eq!(dropped + c.flows_created, 1, "drops {:?}, flows {}", c.drops, c.flows_created);
    }

    /// A stream of mutated packets and socket events into one engine never panics.
    #[test]
    fn sequences_of_packets_and_events_never_panic(packets in vec(mutated(), 1..24), events in vec(0u8..6, 0..24)) {
        let mut h = Harness::new();
        h.up.auto_deliver = false;
        for (i, p) in packets.iter().enumerate() {
            h.send(p);
            let ids: Vec<_> = h.up.sockets.keys().copied().collect();
            if let (Some(&id), Some(&ev)) = (ids.last(), events.get(i)) {
                let now = h.now();
                match ev {
                    0 => { h.engine.handle_socket_event(now, SocketEvent::TcpConnected { id, local: "198.51.100.2:40000".parse().expect("addr") }); }
                    1 => h.engine.handle_socket_event(now, SocketEvent::TcpData { id, data: b"from the server" }),
                    2 => h.engine.handle_socket_event(now, SocketEvent::TcpEof { id }),
                    3 => h.engine.handle_socket_event(now, SocketEvent::Opened { id, local: "198.51.100.2:40001".parse().expect("addr") }),
                    4 => h.engine.handle_socket_event(now, SocketEvent::TcpReset { id }),
                    _ => h.advance(Duration::from_millis(700)),
                }
                h.sync();
            }
        }
        prop_assert_eq!(h.engine.counters().tun_packets_in, packets.len() as u64);
        h.advance(Duration::from_secs(3 * 3600));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever order the host's segments arrive in, however often and whichever are lost,
    /// go-back-N retransmission from the engine's ACK delivers the exact stream upstream,
    /// each byte once.
    #[test]
    fn any_interleaving_of_upload_segments_delivers_the_exact_stream(
        len in 1usize..24_000,
        sizes in vec(1usize..1460, 1..16),
        fate in vec((any::<u16>(), 0usize..3), 1..32),
        isn in any::<u32>(),
    ) {
        let data = Rng::new(len as u64).bytes(len);
        let mut segs = Vec::new();
        let mut off = 0;
        while off < len {
            let n = sizes[segs.len() % sizes.len()].min(len - off);
            segs.push((off, n));
            off += n;
        }
        let mut h = Harness::new();
        let mut c = h.open(LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), isn));
        let base = c.lan.snd_nxt;
        // First flight: each segment sent 0 (lost), 1 or 2 (duplicated) times, shuffled.
        let mut sends = Vec::new();
        for (k, &(o, n)) in segs.iter().enumerate() {
            let (key, copies) = fate[k % fate.len()];
            for copy in 0..copies {
                sends.push((key.wrapping_add(copy as u16 * 7919), o, n));
            }
        }
        sends.sort();
        for &(_, o, n) in &sends {
            h.send(&c.lan.data_at(base.wrapping_add(o as u32), &data[o..o + n]));
        }
        // Recovery rounds: resend in order everything past the engine's ACK.
        for _ in 0..4 {
            h.advance(Duration::from_millis(10));
            for s in h.tun_tcp() {
                c.lan.receive(&s);
            }
            let acked = c.lan.peer_ack.wrapping_sub(base) as usize;
            if acked == len {
                break;
            }
            for &(o, n) in segs.iter().filter(|&&(o, n)| o + n > acked) {
                h.send(&c.lan.data_at(base.wrapping_add(o as u32), &data[o..o + n]));
            }
        }
        prop_assert_eq!(c.lan.peer_ack.wrapping_sub(base) as usize, len);
        prop_assert!(h.tcp(c.id).written == data, "upstream stream differs");
    }
}

/// The fuzz crate's committed seeds are real packets, so fuzzing starts from deep states.
#[test]
fn fuzz_seed_packets_parse() {
    let seeds: [&[u8]; 5] = [
        include_bytes!("../../../fuzz/corpus/parse_packet/tcp_syn"),
        include_bytes!("../../../fuzz/corpus/parse_packet/tcp_data"),
        include_bytes!("../../../fuzz/corpus/parse_packet/udp_dns"),
        include_bytes!("../../../fuzz/corpus/parse_packet/icmp_echo"),
        include_bytes!("../../../fuzz/corpus/parse_packet/udp_ttl1"),
    ];
    for (i, s) in seeds.iter().enumerate() {
        assert!(crate::fuzz_parse(s), "seed {i} does not parse");
    }
    let mut h = Harness::new();
    h.send(seeds[0]);
    assert_eq!(
        h.engine.counters().flows_created,
        1,
        "the SYN seed opens a flow"
    );
}
