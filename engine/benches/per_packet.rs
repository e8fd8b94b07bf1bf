//! Per-packet cost of the engine (issue 4): what one adapter packet or socket event costs in
//! CPU, independent of any I/O. Run with `cargo bench -p masq-engine`.
//!
//! Each benchmark builds its state once and then measures one input plus draining the
//! engine's outputs, as the shell does per packet.

#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark needs one real base instant"
)]

/// Criterion is built for Linux only (see engine/Cargo.toml).
#[cfg(target_os = "linux")]
fn main() {
    imp::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Nothing to run where criterion is not built.
#[cfg(not(target_os = "linux"))]
fn main() {}

#[cfg(target_os = "linux")]
mod imp {
    use masq_engine::SocketEvent;
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use criterion::{BatchSize, Criterion, Throughput, criterion_group};
    use etherparse::PacketBuilder;
    use masq_engine::{Config, Engine, SocketCommand, SocketId};

    const HOST: [u8; 4] = [192, 168, 137, 10];
    const REMOTE: [u8; 4] = [203, 0, 113, 10];

    fn tcp(sport: u16, seq: u32, ack: Option<u32>, syn: bool, payload: &[u8]) -> Vec<u8> {
        let mut b = PacketBuilder::ipv4(HOST, REMOTE, 64).tcp(sport, 80, seq, 65_000);
        if let Some(a) = ack {
            b = b.ack(a);
        }
        if syn {
            b = b.syn();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    fn udp(sport: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv4(HOST, REMOTE, 64)
            .udp(sport, 53)
            .write(&mut out, payload)
            .unwrap();
        out
    }

    fn drain(e: &mut Engine) -> Vec<SocketCommand> {
        // As the shell does: write, then hand the buffer back.
        while let Some(p) = e.poll_tun_transmit() {
            e.recycle(p.data);
        }
        let mut cmds = Vec::new();
        while let Some(c) = e.poll_command() {
            cmds.push(c);
        }
        cmds
    }

    /// An engine with one established TCP flow; returns it with the socket id, the host's next
    /// sequence number and the engine's ISS + 1.
    fn established(offload: bool) -> (Engine, SocketId, u32, u32, Instant) {
        let now = Instant::now();
        let cfg = Config {
            tun_offload: offload,
            ..Config::default()
        };
        let mut e = Engine::new(cfg, 7, now).unwrap();
        e.handle_tun_packet(now, &tcp(40_000, 1000, None, true, &[]));
        let id = match drain(&mut e).as_slice() {
            [SocketCommand::TcpConnect { id, .. }] => *id,
            other => panic!("{other:?}"),
        };
        e.handle_socket_event(
            now,
            SocketEvent::TcpConnected {
                id,
                local: "198.51.100.2:50000".parse().unwrap(),
            },
        );
        let syn_ack = e.poll_tun_packet().unwrap();
        let iss = u32::from_be_bytes(syn_ack[24..28].try_into().unwrap());
        drain(&mut e);
        e.handle_tun_packet(
            now,
            &tcp(40_000, 1001, Some(iss.wrapping_add(1)), false, &[]),
        );
        drain(&mut e);
        (e, id, 1001, iss.wrapping_add(1), now)
    }

    fn upload_segment(c: &mut Criterion) {
        let payload = vec![0x5a; 1460];
        let mut g = c.benchmark_group("tcp");
        g.throughput(Throughput::Bytes(1460));
        g.bench_function("upload_1460B_segment", |b| {
            let (mut e, id, mut seq, ack, now) = established(false);
            b.iter(|| {
                e.handle_tun_packet(
                    now,
                    black_box(&tcp(40_000, seq, Some(ack), false, &payload)),
                );
                seq = seq.wrapping_add(1460);
                // The shell confirms the write at once, keeping the window open.
                e.handle_socket_event(now, SocketEvent::TcpSent { id, bytes: 1460 });
                drain(&mut e);
            });
        });
        g.throughput(Throughput::Bytes(64 * 1024));
        g.bench_function("download_64KiB_read_and_ack", |b| {
            let data = vec![0xa5; 64 * 1024];
            let (mut e, id, seq, mut ack, now) = established(false);
            b.iter(|| {
                e.handle_socket_event(
                    now,
                    SocketEvent::TcpData {
                        id,
                        data: black_box(&data),
                    },
                );
                ack = ack.wrapping_add(data.len() as u32);
                e.handle_tun_packet(now, &tcp(40_000, seq, Some(ack), false, &[]));
                drain(&mut e);
            });
        });
        g.bench_function("download_64KiB_read_and_ack_offload", |b| {
            let data = vec![0xa5; 64 * 1024];
            let (mut e, id, seq, mut ack, now) = established(true);
            b.iter(|| {
                e.handle_socket_event(
                    now,
                    SocketEvent::TcpData {
                        id,
                        data: black_box(&data),
                    },
                );
                ack = ack.wrapping_add(data.len() as u32);
                e.handle_tun_packet(now, &tcp(40_000, seq, Some(ack), false, &[]));
                drain(&mut e);
            });
        });
        g.finish();
    }

    fn new_flow(c: &mut Criterion) {
        c.bench_function("tcp/new_flow_syn", |b| {
            let now = Instant::now();
            let mut e = Engine::new(
                Config {
                    max_flows: 10_000_000,
                    max_flows_per_host: 10_000_000,
                    ..Config::default()
                },
                7,
                now,
            )
            .unwrap();
            let mut port = 1u16;
            let mut n = 0u32;
            b.iter(|| {
                port = port.wrapping_add(1).max(1);
                n = n.wrapping_add(1);
                e.handle_tun_packet(now, black_box(&tcp(port, n, None, true, &[])));
                drain(&mut e);
            });
        });
    }

    fn udp_datagram(c: &mut Criterion) {
        c.bench_function("udp/outbound_512B_existing_mapping", |b| {
            let now = Instant::now();
            let mut e = Engine::new(Config::default(), 7, now).unwrap();
            let pkt = udp(5353, &[0u8; 512]);
            e.handle_tun_packet(now, &pkt);
            let id = drain(&mut e).iter().find_map(|c| match c {
                SocketCommand::UdpOpen { id, .. } => Some(*id),
                _ => None,
            });
            e.handle_socket_event(
                now,
                SocketEvent::Opened {
                    id: id.unwrap(),
                    local: "198.51.100.2:40000".parse().unwrap(),
                },
            );
            drain(&mut e);
            b.iter(|| {
                e.handle_tun_packet(now, black_box(&pkt));
                drain(&mut e);
            });
        });
    }

    /// Lookup cost with 100 000 live flows (mostly idle UDP mappings from many hosts).
    fn table_at_100k(c: &mut Criterion) {
        let now = Instant::now();
        let cfg = Config {
            max_flows: 200_000,
            max_flows_per_host: 200_000,
            lan_prefix_len: 16,
            ..Config::default()
        };
        let mut e = Engine::new(cfg, 7, now).unwrap();
        for i in 0..100_000u32 {
            let host = [192, 168, (i / 60_000) as u8 + 137, 10];
            let mut out = Vec::new();
            PacketBuilder::ipv4(host, REMOTE, 64)
                .udp((i % 60_000) as u16 + 1024, 53)
                .write(&mut out, &[1, 2, 3])
                .unwrap();
            e.handle_tun_packet(now, &out);
            drain(&mut e);
        }
        assert_eq!(e.status().flows_udp, 100_000);
        let pkt = udp(1024 + 777, &[0u8; 64]);
        c.bench_function("table/udp_lookup_at_100k_flows", |b| {
            b.iter(|| {
                e.handle_tun_packet(now, black_box(&pkt));
                drain(&mut e);
            });
        });
        c.bench_function("table/timeout_scan_at_100k_flows_nothing_due", |b| {
            b.iter_batched(
                || now + Duration::from_secs(1),
                |t| e.handle_timeout(t),
                BatchSize::SmallInput,
            );
        });
    }

    criterion_group!(
        benches,
        upload_segment,
        new_flow,
        udp_datagram,
        table_at_100k
    );
}
