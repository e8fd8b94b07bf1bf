//! One simulated download through the gateway: the smoltcp host on a lossy, delayed,
//! rate-limited LAN link; the engine; and an uplink with an endless server behind it that
//! answers at once (so only the LAN leg, the engine's part, limits the transfer).
//!
//! Time is virtual and advances from one event to the next (a packet arriving, the engine's
//! or the host's timer), so a minute of transfer takes as long as its packets take to
//! process, and every run of a scenario is identical.

use masq_engine::SocketEvent;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use masq_engine::{Config, CongestionControl, Counters, Engine, SocketCommand, SocketId};
use smoltcp::wire::Ipv4Address;

use super::lan_host::LanHost;
use super::link::{Link, LinkStats};

/// One transfer to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Round-trip propagation delay of the LAN link (half each way).
    pub rtt: Duration,
    /// Random loss per packet, each direction.
    pub loss: f64,
    /// Bottleneck rate of the LAN link, each direction.
    pub rate_bps: u64,
    /// Packets the bottleneck queue holds.
    pub queue: usize,
    /// Virtual time the transfer runs after the handshake.
    pub duration: Duration,
    /// Time at the start not counted in the goodput (slow start, the first episodes).
    pub warmup: Duration,
    pub congestion_control: CongestionControl,
    pub seed: u64,
}

/// What came out of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Bytes delivered to the host's application per second, after the warm-up.
    pub goodput_bps: f64,
    /// The engine's totals (its sender's loss recovery).
    pub counters: Counters,
    /// What happened on the link toward the host.
    pub down: LinkStats,
}

const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 10);
const GATEWAY: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 1);
const REMOTE: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
const UPLINK: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

/// The uplink side: one socket and an endless source behind it.
#[derive(Debug, Default)]
struct Server {
    socket: Option<SocketId>,
    /// What the engine allows the shell to read (granted once the flow is established).
    credit: usize,
    /// Bytes of the host's own writes to confirm.
    to_confirm: usize,
}

/// Runs `s` to its end.
#[allow(
    clippy::disallowed_methods,
    reason = "one real base instant for virtual time"
)]
pub fn run(s: &Scenario) -> Outcome {
    let base = Instant::now();
    let mut cfg = Config::default();
    cfg.tcp.congestion_control = Some(s.congestion_control);
    let mut engine = Engine::new(cfg, s.seed, base).expect("valid config");
    let one_way = s.rtt / 2;
    let mut down = Link::new(s.rate_bps, one_way, s.queue, s.loss, s.seed ^ 0xd0);
    let mut up = Link::new(s.rate_bps, one_way, s.queue, s.loss, s.seed ^ 0x0b);
    let mut host = LanHost::new(ip(HOST), ip(GATEWAY), (ip(REMOTE), 443), s.seed);
    let mut server = Server::default();
    let source = vec![0xa5u8; 64 * 1024];
    let mut now = Duration::ZERO;
    let mut start: Option<Duration> = None;
    let mut counted_from: Option<(Duration, u64)> = None;
    let mut end = None;

    // NETSIM_TRACE=1: the last packets each way and the flow's state when the run ends.
    let mut trace = std::env::var_os("NETSIM_TRACE").map(|_| Trace::default());
    loop {
        // The host runs first: what it sends enters the up link.
        host.poll(now);
        while let Some(p) = host.dev.tx.pop_front() {
            up.send(now, p);
        }
        if start.is_none() && host.established() {
            start = Some(now);
            end = Some(now + s.duration);
        }
        // Everything that arrived by now.
        while let Some(p) = up.receive(now) {
            if let Some(t) = trace.as_mut() {
                t.packet("up", now, &p);
            }
            engine.handle_tun_packet(base + now, &p);
        }
        while let Some(p) = down.receive(now) {
            if let Some(t) = trace.as_mut() {
                t.packet("down", now, &p);
            }
            host.dev.rx.push_back(p);
        }
        if !host.dev.rx.is_empty() {
            host.poll(now);
            while let Some(p) = host.dev.tx.pop_front() {
                up.send(now, p);
            }
        }
        if engine.poll_timeout().is_some_and(|t| t <= base + now) {
            engine.handle_timeout(base + now);
        }
        // The engine's commands and packets, until nothing moves.
        drive_engine(&mut engine, base, now, &mut server, &source, &mut down);

        let delivered = host.app_bytes;
        if let Some(t0) = start
            && counted_from.is_none()
            && now >= t0 + s.warmup
        {
            counted_from = Some((now, delivered));
        }
        if let Some(t) = &trace
            && end.is_some_and(|e| now >= e)
        {
            eprintln!(
                "end: {:?} host {}",
                engine.translations(base + now),
                host.debug()
            );
            t.print();
        }
        if end.is_some_and(|e| now >= e) {
            let (from, bytes_then) = counted_from.expect("warm-up ends before the end");
            let secs = (now - from).as_secs_f64();
            return Outcome {
                goodput_bps: (delivered - bytes_then) as f64 * 8.0 / secs,
                counters: engine.counters().clone(),
                down: down.stats,
            };
        }
        // Advance to the next event.
        let next = [
            up.next_arrival(),
            down.next_arrival(),
            engine
                .poll_timeout()
                .map(|t| t.saturating_duration_since(base)),
            host.next_wake(now),
            end,
        ]
        .into_iter()
        .flatten()
        .filter(|&t| t > now)
        .min();
        match next {
            Some(t) => now = t,
            None => panic!("the simulation stalled at {now:?}"),
        }
        assert!(
            now < Duration::from_secs(3600),
            "the simulation ran away (virtual time {now:?})"
        );
    }
}

/// Lets the engine's outputs happen: the fake shell connects at once, reads from the endless
/// source within the credit, confirms writes, and every packet enters the down link.
fn drive_engine(
    engine: &mut Engine,
    base: Instant,
    now: Duration,
    server: &mut Server,
    source: &[u8],
    down: &mut Link,
) {
    let at = base + now;
    for _ in 0..100_000 {
        let mut moved = false;
        while let Some(cmd) = engine.poll_command() {
            moved = true;
            match cmd {
                SocketCommand::TcpConnect { id, .. } => {
                    server.socket = Some(id);
                    let local = SocketAddr::V4(SocketAddrV4::new(UPLINK, 40_000));
                    engine.handle_socket_event(at, SocketEvent::TcpConnected { id, local });
                }
                SocketCommand::TcpReadCredit { bytes, .. } => server.credit += bytes,
                SocketCommand::TcpSend { data, .. } => server.to_confirm += data.len(),
                _ => {}
            }
        }
        while let Some(p) = engine.poll_tun_packet() {
            moved = true;
            down.send(now, p);
        }
        if let Some(id) = server.socket {
            if server.to_confirm > 0 {
                let n = std::mem::take(&mut server.to_confirm);
                engine.handle_socket_event(at, SocketEvent::TcpSent { id, bytes: n });
                moved = true;
            }
            if server.credit > 0 {
                let n = server.credit.min(source.len());
                server.credit -= n;
                engine.handle_socket_event(
                    at,
                    SocketEvent::TcpData {
                        id,
                        data: &source[..n],
                    },
                );
                moved = true;
            }
        }
        if !moved {
            return;
        }
    }
    panic!("the engine kept producing output at {now:?}");
}

fn ip(a: Ipv4Addr) -> Ipv4Address {
    let o = a.octets();
    Ipv4Address::new(o[0], o[1], o[2], o[3])
}

/// The last packets of a run, for NETSIM_TRACE=1.
#[derive(Debug, Default)]
struct Trace {
    last: std::collections::VecDeque<String>,
}

impl Trace {
    const KEEP: usize = 40;

    fn packet(&mut self, dir: &str, now: Duration, p: &[u8]) {
        let Ok(sp) = etherparse::SlicedPacket::from_ip(p) else {
            return;
        };
        let Some(etherparse::TransportSlice::Tcp(t)) = sp.transport else {
            return;
        };
        let sack: Vec<String> = t
            .options_iterator()
            .filter_map(|o| match o {
                Ok(etherparse::TcpOptionElement::SelectiveAcknowledgement(a, b)) => {
                    Some(format!("{a:?}{b:?}"))
                }
                _ => None,
            })
            .collect();
        self.last.push_back(format!(
            "{now:?} {dir} seq {} ack {} len {} win {} sack {sack:?}",
            t.sequence_number(),
            t.acknowledgment_number(),
            t.payload().len(),
            t.window_size(),
        ));
        if self.last.len() > Self::KEEP {
            self.last.pop_front();
        }
    }

    fn print(&self) {
        for l in &self.last {
            eprintln!("  {l}");
        }
    }
}
