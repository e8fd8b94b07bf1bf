//! Heap bytes the engine holds per flow: idle TCP connections (just opened, and after a
//! download the host acknowledged), UDP mappings and ping mappings. The real `masq up`'s
//! RSS per flow (bench/flows-idle.sh) adds the shell's socket table and the allocator's
//! overhead; this isolates the engine's share, exactly and deterministically.
//!
//! Run with `cargo bench -p masq-engine --bench flow_memory` (FLOWS=n to change the count).

#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark needs one real base instant"
)]

use masq_engine::SocketEvent;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use etherparse::PacketBuilder;
use masq_engine::{Config, CongestionControl, Engine, SocketCommand, SocketId};

/// Counts live heap bytes: every allocation of this process goes through it.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// The i-th hidden host endpoint: many hosts of a /16, many ports each.
fn host(i: u32) -> ([u8; 4], u16) {
    let h = 10 + i / 20_000;
    (
        [192, 168, (h >> 8) as u8, h as u8],
        10_000 + (i % 20_000) as u16,
    )
}

const REMOTE: [u8; 4] = [203, 0, 113, 10];

fn tcp(i: u32, seq: u32, ack: Option<u32>, syn: bool, payload: &[u8]) -> Vec<u8> {
    let (ip, port) = host(i);
    let mut b = PacketBuilder::ipv4(ip, REMOTE, 64).tcp(port, 443, seq, 65_000);
    if let Some(a) = ack {
        b = b.ack(a);
    }
    if syn {
        b = b.syn();
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).expect("segment builds");
    out
}

fn drain(e: &mut Engine) -> (Vec<Vec<u8>>, Vec<SocketCommand>) {
    let mut packets = Vec::new();
    while let Some(p) = e.poll_tun_transmit() {
        packets.push(p.data.clone());
        e.recycle(p.data);
    }
    let mut cmds = Vec::new();
    while let Some(c) = e.poll_command() {
        cmds.push(c);
    }
    (packets, cmds)
}

fn engine() -> (Engine, Instant) {
    engine_with(CongestionControl::Cubic)
}

fn engine_with(cc: CongestionControl) -> (Engine, Instant) {
    let now = Instant::now();
    let mut cfg = Config {
        lan_prefix_len: 16,
        gateway_v4: [192, 168, 0, 1].into(),
        max_flows: 1 << 20,
        max_flows_per_host: 1 << 20,
        ..Config::default()
    };
    cfg.tcp.congestion_control = Some(cc);
    (Engine::new(cfg, 7, now).expect("valid config"), now)
}

/// Opens TCP flow `i` to established; returns its socket, the host's next sequence number
/// and the engine's.
fn open_tcp(e: &mut Engine, now: Instant, i: u32) -> (SocketId, u32, u32) {
    e.handle_tun_packet(now, &tcp(i, 1000, None, true, &[]));
    let id = match drain(e).1.as_slice() {
        [SocketCommand::TcpConnect { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    let local = format!("198.51.100.2:{}", 1024 + i % 60_000);
    e.handle_socket_event(
        now,
        SocketEvent::TcpConnected {
            id,
            local: local.parse().expect("address"),
        },
    );
    let (packets, _) = drain(e);
    let iss = u32::from_be_bytes(packets[0][24..28].try_into().expect("a SYN-ACK"));
    e.handle_tun_packet(now, &tcp(i, 1001, Some(iss.wrapping_add(1)), false, &[]));
    drain(e);
    (id, 1001, iss.wrapping_add(1))
}

/// Answers every socket the engine asked to open (UDP and ping sockets) as opened.
fn open_sockets(e: &mut Engine, now: Instant, i: u32) {
    let opens: Vec<SocketId> = drain(e)
        .1
        .iter()
        .filter(|c| !matches!(c, SocketCommand::UdpSend { .. }))
        .map(SocketCommand::socket)
        .collect();
    for id in opens {
        let local = format!("198.51.100.2:{}", 1024 + i % 60_000);
        e.handle_socket_event(
            now,
            SocketEvent::Opened {
                id,
                local: local.parse().expect("address"),
            },
        );
    }
    drain(e);
}

fn report(what: &str, flows: u32, before: isize) {
    let per = (live() - before) as f64 / f64::from(flows);
    println!("{what:<44} {per:>8.0} bytes per flow");
}

fn main() {
    let n: u32 = std::env::var("FLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    println!("engine heap per flow, {n} flows of each kind");

    let (mut e, now) = engine();
    let before = live();
    for i in 0..n {
        open_tcp(&mut e, now, i);
    }
    report("TCP (CUBIC), established and idle", n, before);
    drop(e);

    let (mut e, now) = engine_with(CongestionControl::Bbr);
    let before = live();
    for i in 0..n {
        open_tcp(&mut e, now, i);
    }
    report("TCP (BBR), established and idle", n, before);
    drop(e);

    // After a 64 KiB download each, all acknowledged: what an idle keep-alive holds.
    let (mut e, mut now) = engine();
    let before = live();
    let body = vec![0x5au8; 64 * 1024];
    for i in 0..n {
        let (id, seq, mut ours) = open_tcp(&mut e, now, i);
        e.handle_socket_event(now, SocketEvent::TcpData { id, data: &body });
        loop {
            let (packets, _) = drain(&mut e);
            let sent: u32 = packets.iter().map(|p| (p.len() - 40) as u32).sum();
            if sent == 0 {
                break;
            }
            now += Duration::from_micros(200);
            ours = ours.wrapping_add(sent);
            e.handle_tun_packet(now, &tcp(i, seq, Some(ours), false, &[]));
        }
    }
    drain(&mut e);
    report("TCP, idle after a 64 KiB download", n, before);
    drop(e);

    let (mut e, now) = engine();
    let before = live();
    for i in 0..n {
        let (ip, port) = host(i);
        let mut p = Vec::new();
        PacketBuilder::ipv4(ip, REMOTE, 64)
            .udp(port, 53)
            .write(&mut p, b"query")
            .expect("datagram builds");
        e.handle_tun_packet(now, &p);
        open_sockets(&mut e, now, i);
    }
    report("UDP mapping, idle", n, before);
    drop(e);

    let (mut e, now) = engine();
    let before = live();
    for i in 0..n {
        let (ip, port) = host(i);
        let mut p = Vec::new();
        PacketBuilder::ipv4(ip, REMOTE, 64)
            .icmpv4_echo_request(port, 1)
            .write(&mut p, b"ping")
            .expect("echo builds");
        e.handle_tun_packet(now, &p);
        open_sockets(&mut e, now, i);
    }
    report("ping mapping, idle", n, before);
}
