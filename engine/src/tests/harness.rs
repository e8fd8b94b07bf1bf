//! The scenario harness: one [`Engine`], a virtual clock, the hidden host's packets in, the
//! fake shell ([`Upstream`]) answering commands, and everything the engine emits decoded.
//!
//! Time never passes by itself. [`Harness::advance`] jumps from one engine deadline to the
//! next (quinn's `drive`), calling `handle_timeout` at exactly each deadline, so timer
//! behaviour is measured to the nanosecond without sleeping. After every input the harness
//! drains the engine in the documented order (commands, then packets) and lets the fake shell
//! react (confirm writes, deliver server bytes within the credit) until nothing moves.

use crate::SocketEvent;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::emitted::{Emitted, Seg};
use super::lan_host::{HOST, LanTcp, REMOTE};
use super::upstream::{Sock, TcpSock, Upstream};
use crate::{
    Config, ConnectError, Engine, IcmpErrorReport, Protocol, SocketCommand, SocketId, Translation,
};

/// The gateway's uplink address (TEST-NET-2): local address of every fake socket.
pub const UPLINK: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

/// More timer firings than this at one instant means a deadline that never clears.
const MAX_FIRINGS_AT_ONE_INSTANT: usize = 1_000;

/// An engine under test plus its surroundings.
pub struct Harness {
    /// The engine under test.
    pub engine: Engine,
    /// The fake shell and server side.
    pub up: Upstream,
    base: Instant,
    elapsed: Duration,
    tun: VecDeque<Emitted>,
    cmds: Vec<SocketCommand>,
    next_port: u16,
    /// Packets the engine handed to the adapter (a super-segment counts once).
    pub adapter_writes: usize,
}

/// A TCP connection through the engine: the hidden host's side and the uplink socket.
#[derive(Debug, Clone)]
pub struct Conn {
    /// The hidden host's view.
    pub lan: LanTcp,
    /// The uplink socket that carries it.
    pub id: SocketId,
}

impl Harness {
    /// An engine with `Config::default()` (gateway 192.168.137.1/24, MTU 1500).
    pub fn new() -> Harness {
        Harness::with_config(Config::default())
    }

    /// An engine with a custom configuration.
    pub fn with_config(cfg: Config) -> Harness {
        Harness::with_seed(cfg, 0x5eed)
    }

    /// An engine with a custom configuration and ISS seed.
    pub fn with_seed(mut cfg: Config, seed: u64) -> Harness {
        // The whole suite also runs with segmentation offload (MASQ_TEST_OFFLOAD=1 in CI):
        // super-segments are split as the OS would and must behave exactly like segments.
        if std::env::var_os("MASQ_TEST_OFFLOAD").is_some_and(|v| v == "1") {
            cfg.tun_offload = true;
            cfg.tun_udp_offload = true;
        }
        Harness::exactly(cfg, seed)
    }

    /// An engine with exactly this configuration, offload included (for tests that compare
    /// offload on and off).
    #[allow(
        clippy::disallowed_methods,
        reason = "the virtual clock needs one real base instant"
    )]
    pub fn exactly(cfg: Config, seed: u64) -> Harness {
        let base = Instant::now();
        let engine = Engine::new(cfg, seed, base).expect("test config is valid");
        Harness {
            engine,
            up: Upstream::default(),
            base,
            elapsed: Duration::ZERO,
            tun: VecDeque::new(),
            cmds: Vec::new(),
            next_port: 40_000,
            adapter_writes: 0,
        }
    }

    /// The virtual now.
    pub fn now(&self) -> Instant {
        self.base + self.elapsed
    }

    /// Virtual time since start.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    // ------------------------------------------------------------------ driving

    /// The hidden host sends a packet into the adapter.
    pub fn send(&mut self, packet: &[u8]) {
        let now = self.now();
        self.engine.handle_tun_packet(now, packet);
        self.sync();
    }

    /// The hidden host's packets arrive in one batch (the shell reads them all before it
    /// takes any output).
    pub fn send_batch(&mut self, packets: &[Vec<u8>]) {
        let now = self.now();
        for p in packets {
            self.engine.handle_tun_packet(now, p);
        }
        self.sync();
    }

    /// Lets virtual time pass, running every engine deadline on the way at its exact time.
    pub fn advance(&mut self, d: Duration) {
        let target = self.elapsed + d;
        let mut last = None;
        let mut same = 0;
        while let Some(t) = self.engine.poll_timeout() {
            let at = t.saturating_duration_since(self.base);
            if at > target {
                break;
            }
            if last == Some(at) {
                same += 1;
                assert!(
                    same < MAX_FIRINGS_AT_ONE_INSTANT,
                    "deadline {at:?} does not clear after handle_timeout"
                );
            } else {
                same = 0;
            }
            last = Some(at);
            self.elapsed = self.elapsed.max(at);
            let now = self.now();
            self.engine.handle_timeout(now);
            self.sync();
        }
        self.elapsed = target;
    }

    /// Jumps to the next engine deadline and runs it; `None` (and no time passes) if the
    /// engine has none.
    pub fn fire_next_timer(&mut self) -> Option<Duration> {
        let t = self.engine.poll_timeout()?;
        let at = t.saturating_duration_since(self.base).max(self.elapsed);
        self.elapsed = at;
        let now = self.now();
        self.engine.handle_timeout(now);
        self.sync();
        Some(at)
    }

    /// Drains the engine and lets the fake shell react until nothing moves.
    pub fn sync(&mut self) {
        loop {
            let mut moved = false;
            while let Some(cmd) = self.engine.poll_command() {
                self.up.apply(&cmd);
                self.cmds.push(cmd);
                moved = true;
            }
            while let Some(p) = self.engine.poll_tun_transmit() {
                self.adapter_writes += 1;
                match p.segmentation {
                    // Split super-segments as the OS would, so every test sees wire packets.
                    Some(seg) => {
                        for piece in crate::offload::split_like_the_os(&p.data, seg) {
                            self.tun.push_back(Emitted::parse(self.elapsed, piece));
                        }
                    }
                    None => self.tun.push_back(Emitted::parse(self.elapsed, p.data)),
                }
                moved = true;
            }
            moved |= self.shell_step();
            if !moved {
                return;
            }
        }
    }

    /// One automatic reaction of the fake shell, if any is due.
    fn shell_step(&mut self) -> bool {
        let now = self.now();
        let ids: Vec<SocketId> = self.up.sockets.keys().copied().collect();
        for id in ids {
            let Some(Sock::Tcp(s)) = self.up.sockets.get_mut(&id) else {
                continue;
            };
            if !s.is_open() || !s.connected {
                continue;
            }
            if self.up.auto_confirm && s.unconfirmed > 0 {
                let n = std::mem::take(&mut s.unconfirmed);
                self.engine
                    .handle_socket_event(now, SocketEvent::TcpSent { id, bytes: n });
                return true;
            }
            if !self.up.auto_deliver {
                continue;
            }
            if s.credit > 0 && !s.outbox.is_empty() {
                let n = s.credit.min(s.outbox.len()).min(self.up.read_chunk);
                s.credit -= n;
                let data: Vec<u8> = s.outbox.drain(..n).collect();
                self.engine
                    .handle_socket_event(now, SocketEvent::TcpData { id, data: &data });
                return true;
            }
            if s.outbox.is_empty() && s.eof_queued && !s.eof_sent {
                s.eof_sent = true;
                self.engine
                    .handle_socket_event(now, SocketEvent::TcpEof { id });
                return true;
            }
        }
        false
    }

    // ------------------------------------------------------------------ outputs

    /// Every packet emitted since the last call.
    pub fn tun(&mut self) -> Vec<Emitted> {
        self.tun.drain(..).collect()
    }

    /// Every packet emitted since the last call, which must all be TCP segments.
    pub fn tun_tcp(&mut self) -> Vec<Seg> {
        self.tun().iter().map(|e| e.tcp().clone()).collect()
    }

    /// Every command issued since the last call.
    pub fn cmds(&mut self) -> Vec<SocketCommand> {
        std::mem::take(&mut self.cmds)
    }

    /// The socket of the one `TcpConnect` among the commands since the last call.
    pub fn take_connect(&mut self) -> SocketId {
        let ids: Vec<SocketId> = self
            .cmds()
            .iter()
            .filter(|c| matches!(c, SocketCommand::TcpConnect { .. }))
            .map(SocketCommand::socket)
            .collect();
        assert_eq!(ids.len(), 1, "expected exactly one TcpConnect");
        ids[0]
    }

    /// The translation table now.
    pub fn translations(&self) -> Vec<Translation> {
        self.engine.translations(self.now())
    }

    /// Live flows of one protocol.
    pub fn flows(&self, protocol: Protocol) -> usize {
        self.translations()
            .iter()
            .filter(|t| t.protocol == protocol)
            .count()
    }

    /// A TCP socket's record.
    pub fn tcp(&self, id: SocketId) -> &TcpSock {
        self.up.tcp(id)
    }

    // ------------------------------------------------------------------ shell events

    /// Reports a successful connect; returns the gateway endpoint it got.
    pub fn connect_ok(&mut self, id: SocketId) -> SocketAddr {
        let local = self.alloc_local();
        self.up.tcp_record(id).connected = true;
        let now = self.now();
        self.engine
            .handle_socket_event(now, SocketEvent::TcpConnected { id, local });
        self.sync();
        local
    }

    /// Reports a failed connect.
    pub fn connect_fail(
        &mut self,
        id: SocketId,
        error: ConnectError,
        icmp: Option<IcmpErrorReport>,
    ) {
        let now = self.now();
        self.engine
            .handle_socket_event(now, SocketEvent::TcpConnectFailed { id, error, icmp });
        self.sync();
    }

    /// The server sends bytes (delivered as credit allows).
    pub fn remote_write(&mut self, id: SocketId, data: &[u8]) {
        self.up.tcp_record(id).outbox.extend(data);
        self.sync();
    }

    /// The user changes the per-client limits; the shell then runs what they released.
    pub fn set_client_limits(
        &mut self,
        limits: Vec<crate::ClientLimit>,
    ) -> Result<(), crate::ConfigError> {
        let now = self.now();
        self.engine.set_client_limits(now, limits)?;
        self.sync();
        Ok(())
    }

    /// The server closes its sending side (after its outbox).
    pub fn remote_eof(&mut self, id: SocketId) {
        self.up.tcp_record(id).eof_queued = true;
        self.sync();
    }

    /// Both sides close in turn: the host's FIN, then the server's, which the host
    /// acknowledges. The flow then waits in TIME_WAIT.
    pub fn close_both_ways(&mut self, c: &mut Conn) {
        self.send(&c.lan.fin());
        self.tun();
        self.remote_eof(c.id);
        let fin = self.tun_tcp();
        c.lan.receive(&fin[0]);
        self.send(&c.lan.ack());
    }

    /// The connection to the server broke.
    pub fn remote_reset(&mut self, id: SocketId) {
        let now = self.now();
        self.engine
            .handle_socket_event(now, SocketEvent::TcpReset { id });
        self.sync();
    }

    /// Confirms every write the engine issued on `id` (when `auto_confirm` is off).
    pub fn confirm_writes(&mut self, id: SocketId) {
        let n = std::mem::take(&mut self.up.tcp_record(id).unconfirmed);
        if n > 0 {
            let now = self.now();
            self.engine
                .handle_socket_event(now, SocketEvent::TcpSent { id, bytes: n });
            self.sync();
        }
    }

    /// Reports a UDP or ICMP socket as opened; returns its gateway endpoint.
    pub fn socket_opened(&mut self, id: SocketId) -> SocketAddr {
        let local = self.alloc_local();
        let now = self.now();
        self.engine
            .handle_socket_event(now, SocketEvent::Opened { id, local });
        self.sync();
        local
    }

    /// Datagrams arrive on a UDP socket in one loop turn (the shell hands the engine
    /// everything it read before it writes to the adapter).
    pub fn udp_burst(&mut self, id: SocketId, from: SocketAddr, payloads: &[Vec<u8>]) {
        let now = self.now();
        for p in payloads {
            self.engine
                .handle_socket_event(now, SocketEvent::Datagram { id, from, data: p });
        }
        self.sync();
    }

    /// A datagram from `from` arrives on a UDP socket.
    pub fn udp_in(&mut self, id: SocketId, from: SocketAddr, payload: &[u8]) {
        let now = self.now();
        self.engine.handle_socket_event(
            now,
            SocketEvent::Datagram {
                id,
                from,
                data: payload,
            },
        );
        self.sync();
    }

    /// The OS reports an ICMP error on a socket.
    pub fn icmp_error(&mut self, id: SocketId, report: IcmpErrorReport) {
        let now = self.now();
        self.engine
            .handle_socket_event(now, SocketEvent::IcmpError { id, report });
        self.sync();
    }

    fn alloc_local(&mut self) -> SocketAddr {
        self.next_port += 1;
        SocketAddr::V4(SocketAddrV4::new(UPLINK, self.next_port))
    }

    // ------------------------------------------------------------------ TCP scenarios

    /// Opens a TCP connection through the engine: SYN, connect OK, SYN-ACK, ACK.
    pub fn open(&mut self, mut lan: LanTcp) -> Conn {
        self.send(&lan.syn());
        let id = self.take_connect();
        assert!(
            self.tun().is_empty(),
            "nothing may reach the host before the connect outcome"
        );
        self.connect_ok(id);
        let syn_ack = self.tun_tcp();
        assert_eq!(syn_ack.len(), 1, "one SYN-ACK: {syn_ack:?}");
        lan.accept_syn_ack(&syn_ack[0]);
        self.send(&lan.ack());
        self.cmds.clear();
        Conn { lan, id }
    }

    /// Like [`Harness::open`], but the host's ACK of the SYN-ACK takes `rtt`: the flow starts
    /// with a measured round trip, as on a real LAN (an instant handshake makes every RTT
    /// estimate zero).
    pub fn open_with_rtt(&mut self, mut lan: LanTcp, rtt: Duration) -> Conn {
        self.send(&lan.syn());
        let id = self.take_connect();
        self.connect_ok(id);
        let syn_ack = self.tun_tcp();
        assert_eq!(syn_ack.len(), 1, "one SYN-ACK: {syn_ack:?}");
        lan.accept_syn_ack(&syn_ack[0]);
        self.advance(rtt);
        self.send(&lan.ack());
        self.cmds.clear();
        Conn { lan, id }
    }

    /// Opens a connection from `HOST:port` to `REMOTE:443` with ISN `isn`.
    pub fn open_default(&mut self, port: u16, isn: u32) -> Conn {
        self.open(LanTcp::new(port, SocketAddrV4::new(REMOTE, 443), isn))
    }

    /// The hidden host receives from the engine until `done` holds, ACKing every `ack_every`
    /// in-order segments (and at the end of each burst). Time advances 1 ms whenever the engine
    /// has nothing to say. Returns every segment seen.
    pub fn lan_receive(
        &mut self,
        c: &mut Conn,
        ack_every: usize,
        done: impl Fn(&LanTcp) -> bool,
    ) -> Vec<Seg> {
        let mut seen = Vec::new();
        let mut idle_rounds = 0;
        while !done(&c.lan) {
            let segs = self.tun_tcp();
            if segs.is_empty() {
                idle_rounds += 1;
                assert!(
                    idle_rounds < 100_000,
                    "transfer stalled: host has {} bytes",
                    c.lan.received.len()
                );
                self.advance(Duration::from_millis(1));
                continue;
            }
            idle_rounds = 0;
            let mut owed = 0;
            for s in &segs {
                if c.lan.receive(s) && s.seq_len() > 0 {
                    owed += 1;
                    if owed >= ack_every {
                        self.send(&c.lan.ack());
                        owed = 0;
                    }
                }
            }
            if owed > 0 {
                self.send(&c.lan.ack());
            }
            seen.extend(segs);
        }
        seen
    }

    /// The hidden host uploads `data` in segments whose sizes `sizes` picks (clamped to
    /// 1..=MSS and to the gateway's window), processing the gateway's ACKs as they come.
    pub fn lan_upload(&mut self, c: &mut Conn, data: &[u8], mut sizes: impl FnMut() -> usize) {
        let mss = usize::from(c.lan.mss.unwrap_or(536));
        let start = c.lan.snd_nxt;
        let mut idle_rounds = 0;
        loop {
            let sent = c.lan.snd_nxt.wrapping_sub(start) as usize;
            let acked = c.lan.peer_ack.wrapping_sub(start) as usize;
            if acked >= data.len() && sent >= data.len() {
                return;
            }
            let room = (c.lan.peer_window as usize).saturating_sub(c.lan.in_flight() as usize);
            let left = data.len() - sent;
            if room > 0 && left > 0 {
                let n = sizes().clamp(1, mss).min(room).min(left);
                let p = c.lan.send(&data[sent..sent + n]);
                self.send(&p);
            } else {
                idle_rounds += 1;
                assert!(
                    idle_rounds < 100_000,
                    "upload stalled at {acked} of {} bytes",
                    data.len()
                );
                self.advance(Duration::from_millis(1));
            }
            for s in self.tun_tcp() {
                c.lan.receive(&s);
            }
        }
    }
}

/// A small deterministic generator for test data and segment sizes (xorshift64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// The socket address of a hidden endpoint.
pub fn host(port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(HOST, port)
}

/// A socket address as `SocketAddr`.
pub fn sa(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(ip, port))
}

/// An IPv4 address as `IpAddr`.
pub fn ip(a: Ipv4Addr) -> IpAddr {
    IpAddr::V4(a)
}
