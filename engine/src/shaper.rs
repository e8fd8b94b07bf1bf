//! Per-client rate limits: a token bucket per direction for each hidden host that has a limit,
//! applied where the engine's socket commands leave it.
//!
//! Limiting at the command boundary keeps the TCP relay untouched and lets TCP's own flow
//! control do the slowing down: a `TcpSend` held back leaves its bytes unconfirmed, so the
//! hidden host's window closes; `TcpReadCredit` held back leaves the remote's bytes in the
//! kernel's receive buffer, so the remote's window closes. UDP has no flow control: datagrams
//! beyond the rate wait in a short queue and are dropped (counted) when it is full.
//!
//! Buckets run into debt rather than splitting commands: a command is released when its
//! bucket is not in debt and is then charged in full, so the average rate holds however large
//! a single write is, and commands are never reordered (everything behind a held command on
//! the same socket waits with it).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::command::SocketCommand;
use crate::config::ClientLimit;
use crate::flow::SocketId;

/// Bytes a bucket may save up while idle: this many seconds at its rate (a burst).
const BURST: Duration = Duration::from_millis(100);
/// Commands one socket may have waiting; beyond it UDP datagrams are dropped.
pub(crate) const QUEUE_MAX: usize = 64;

/// One direction's token bucket.
#[derive(Debug)]
struct Bucket {
    /// Bytes per second.
    rate: u64,
    /// Available bytes; negative is debt.
    tokens: i64,
    last: Option<Instant>,
}

impl Bucket {
    fn new(rate: u64) -> Bucket {
        Bucket {
            rate,
            tokens: burst(rate),
            last: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let add = now.saturating_duration_since(last).as_nanos() * u128::from(self.rate)
                / 1_000_000_000;
            let add = i64::try_from(add).unwrap_or(i64::MAX);
            self.tokens = self.tokens.saturating_add(add).min(burst(self.rate));
        }
        self.last = Some(now);
    }

    /// Charges `bytes` if the bucket is not in debt (it may go into debt by doing so);
    /// false, and nothing charged, if it is.
    fn try_charge(&mut self, bytes: u64) -> bool {
        if self.tokens <= 0 {
            return false;
        }
        self.tokens = self
            .tokens
            .saturating_sub(i64::try_from(bytes).unwrap_or(i64::MAX));
        true
    }

    /// When the debt will have been paid (`None` if there is none).
    fn free_at(&self) -> Option<Instant> {
        if self.tokens > 0 {
            return None;
        }
        let owed = u128::from(self.tokens.unsigned_abs()) + 1;
        let nanos = owed * 1_000_000_000 / u128::from(self.rate.max(1));
        let wait = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        self.last.map(|l| l + wait)
    }
}

fn burst(rate: u64) -> i64 {
    let b = u128::from(rate) * BURST.as_millis() / 1000;
    i64::try_from(b).unwrap_or(i64::MAX).max(1)
}

#[derive(Debug)]
struct HostBuckets {
    up: Option<Bucket>,
    down: Option<Bucket>,
}

/// Which bucket a command draws on, and how much.
fn cost(cmd: &SocketCommand) -> Option<(Direction, u64)> {
    match cmd {
        SocketCommand::TcpSend { data, .. } => Some((Direction::Up, data.len() as u64)),
        SocketCommand::UdpSend { payload, .. } => Some((Direction::Up, payload.len() as u64)),
        SocketCommand::TcpReadCredit { bytes, .. } => Some((Direction::Down, *bytes as u64)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// What happened to a command handed to the shaper.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Passes now.
    Pass(SocketCommand),
    /// Held until its host's bucket allows it.
    Held,
    /// Dropped: the socket's queue is full (UDP beyond the rate).
    Dropped,
}

/// The per-client rate limiter.
#[derive(Debug, Default)]
pub(crate) struct Shaper {
    hosts: HashMap<IpAddr, HostBuckets>,
    /// Held commands per socket, in order, with the host they are charged to.
    queues: BTreeMap<SocketId, (IpAddr, VecDeque<SocketCommand>)>,
    /// Released commands, in order.
    ready: VecDeque<SocketCommand>,
    now: Option<Instant>,
}

impl Shaper {
    pub(crate) fn new(limits: &[ClientLimit]) -> Shaper {
        let hosts = limits
            .iter()
            .filter(|l| l.up_bytes_per_s.is_some() || l.down_bytes_per_s.is_some())
            .map(|l| {
                (
                    l.ip,
                    HostBuckets {
                        up: l.up_bytes_per_s.map(Bucket::new),
                        down: l.down_bytes_per_s.map(Bucket::new),
                    },
                )
            })
            .collect();
        Shaper {
            hosts,
            ..Shaper::default()
        }
    }

    /// Takes new limits while running. A host whose rate in a direction is unchanged keeps
    /// that bucket (its debt or savings); commands held for a host whose limit went away or
    /// changed are judged again at once, so lifting a limit releases them.
    pub(crate) fn set_limits(&mut self, limits: &[ClientLimit], now: Instant) {
        let mut fresh = Shaper::new(limits).hosts;
        for (ip, b) in &mut fresh {
            let Some(old) = self.hosts.remove(ip) else {
                continue;
            };
            for (new, old) in [(&mut b.up, old.up), (&mut b.down, old.down)] {
                if let (Some(n), Some(o)) = (new.as_ref(), old)
                    && n.rate == o.rate
                {
                    *new = Some(o);
                }
            }
        }
        self.hosts = fresh;
        self.release(now);
    }

    /// Whether any host has a rate limit (if not, the shaper is skipped entirely).
    pub(crate) fn is_active(&self) -> bool {
        !self.hosts.is_empty()
    }

    /// The time of the latest input: buckets refill up to it.
    pub(crate) fn observe(&mut self, now: Instant) {
        if self.is_active() {
            self.now = Some(now);
        }
    }

    /// Takes one command on its way to the shell; `host` is the hidden host it belongs to.
    pub(crate) fn admit(&mut self, cmd: SocketCommand, host: Option<IpAddr>) -> Admission {
        let socket = cmd.socket();
        if let Some((_, queue)) = self.queues.get_mut(&socket) {
            if matches!(cmd, SocketCommand::TcpAbort { .. }) {
                // An abort discards what waited: the connection is being reset anyway.
                self.queues.remove(&socket);
                return Admission::Pass(cmd);
            }
            if queue.len() >= QUEUE_MAX && matches!(cmd, SocketCommand::UdpSend { .. }) {
                return Admission::Dropped;
            }
            queue.push_back(cmd);
            return Admission::Held;
        }
        let (Some(host), Some((dir, bytes))) = (host, cost(&cmd)) else {
            return Admission::Pass(cmd);
        };
        let now = self.now;
        let Some(bucket) = self.bucket(host, dir) else {
            return Admission::Pass(cmd);
        };
        if let Some(now) = now {
            bucket.refill(now);
        }
        if bucket.try_charge(bytes) {
            return Admission::Pass(cmd);
        }
        self.queues.insert(socket, (host, VecDeque::from([cmd])));
        Admission::Held
    }

    /// Releases what the buckets allow at `now`.
    pub(crate) fn progress(&mut self, now: Instant) {
        if !self.is_active() {
            return;
        }
        self.release(now);
    }

    /// Refills the buckets to `now` and moves every held command its bucket allows (all of
    /// them for a host without a limit) to the ready queue.
    fn release(&mut self, now: Instant) {
        self.now = Some(now);
        for b in self.hosts.values_mut() {
            for bucket in [b.up.as_mut(), b.down.as_mut()].into_iter().flatten() {
                bucket.refill(now);
            }
        }
        let sockets: Vec<SocketId> = self.queues.keys().copied().collect();
        for socket in sockets {
            let Some((host, mut queue)) = self.queues.remove(&socket) else {
                continue;
            };
            while let Some(cmd) = queue.front() {
                if let Some((dir, bytes)) = cost(cmd)
                    && let Some(bucket) = self.bucket(host, dir)
                    && !bucket.try_charge(bytes)
                {
                    break;
                }
                if let Some(cmd) = queue.pop_front() {
                    self.ready.push_back(cmd);
                }
            }
            if !queue.is_empty() {
                self.queues.insert(socket, (host, queue));
            }
        }
    }

    /// The next released command.
    pub(crate) fn pop_ready(&mut self) -> Option<SocketCommand> {
        self.ready.pop_front()
    }

    /// When held commands can next move.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.queues
            .values()
            .filter_map(|(host, queue)| {
                let (dir, _) = cost(queue.front()?)?;
                let b = self.hosts.get(host)?;
                match dir {
                    Direction::Up => b.up.as_ref(),
                    Direction::Down => b.down.as_ref(),
                }?
                .free_at()
            })
            .min()
    }

    /// Whether the host's down bucket is in debt: a datagram toward it would exceed the rate.
    /// Charges the datagram when it may pass.
    pub(crate) fn take_down(&mut self, host: IpAddr, bytes: usize) -> bool {
        let now = self.now;
        let Some(bucket) = self.bucket(host, Direction::Down) else {
            return true;
        };
        if let Some(now) = now {
            bucket.refill(now);
        }
        bucket.try_charge(bytes as u64)
    }

    fn bucket(&mut self, host: IpAddr, dir: Direction) -> Option<&mut Bucket> {
        let b = self.hosts.get_mut(&host)?;
        match dir {
            Direction::Up => b.up.as_mut(),
            Direction::Down => b.down.as_mut(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(up: Option<u64>, down: Option<u64>) -> Vec<ClientLimit> {
        vec![ClientLimit {
            ip: "192.168.137.10".parse().unwrap(),
            max_flows: None,
            up_bytes_per_s: up,
            down_bytes_per_s: down,
        }]
    }

    fn send(id: u64, n: usize) -> SocketCommand {
        SocketCommand::TcpSend {
            id: SocketId(id),
            data: vec![0; n],
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "one real base instant")]
    fn holds_beyond_the_rate_in_order_and_releases_at_the_rate() {
        let t0 = Instant::now();
        let host: IpAddr = "192.168.137.10".parse().unwrap();
        let mut s = Shaper::new(&limit(Some(100_000), None));
        s.observe(t0);
        // Burst of 100 ms = 10 000 bytes, then debt.
        assert!(matches!(
            s.admit(send(1, 30_000), Some(host)),
            Admission::Pass(_)
        ));
        assert!(matches!(
            s.admit(send(1, 1_000), Some(host)),
            Admission::Held
        ));
        assert!(matches!(
            s.admit(
                SocketCommand::TcpShutdownWrite { id: SocketId(1) },
                Some(host)
            ),
            Admission::Held
        ));
        // Another host and unlimited directions pass.
        let other: IpAddr = "192.168.137.11".parse().unwrap();
        assert!(matches!(
            s.admit(send(2, 50_000), Some(other)),
            Admission::Pass(_)
        ));
        let credit = SocketCommand::TcpReadCredit {
            id: SocketId(3),
            bytes: 1 << 20,
        };
        assert!(matches!(s.admit(credit, Some(host)), Admission::Pass(_)));
        // 20 000 bytes of debt at 100 kB/s: free after 200 ms.
        let at = s.poll_timeout().unwrap();
        let wait = at - t0;
        assert!(
            wait > Duration::from_millis(199) && wait < Duration::from_millis(202),
            "{wait:?}"
        );
        s.progress(t0 + Duration::from_millis(150));
        assert!(s.pop_ready().is_none());
        s.progress(at);
        assert!(matches!(s.pop_ready(), Some(SocketCommand::TcpSend { .. })));
        assert!(matches!(
            s.pop_ready(),
            Some(SocketCommand::TcpShutdownWrite { .. })
        ));
        assert!(s.poll_timeout().is_none());
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "one real base instant")]
    fn abort_discards_and_udp_queue_is_bounded() {
        let t0 = Instant::now();
        let host: IpAddr = "192.168.137.10".parse().unwrap();
        let mut s = Shaper::new(&limit(Some(1_000), Some(1_000)));
        s.observe(t0);
        let dgram = |n| SocketCommand::UdpSend {
            id: SocketId(5),
            dst: "203.0.113.5:53".parse().unwrap(),
            ttl: 64,
            dont_fragment: false,
            payload: vec![0; n],
        };
        assert!(matches!(
            s.admit(dgram(500), Some(host)),
            Admission::Pass(_)
        ));
        let mut dropped = 0;
        for _ in 0..QUEUE_MAX + 10 {
            if let Admission::Dropped = s.admit(dgram(500), Some(host)) {
                dropped += 1;
            }
        }
        assert_eq!(dropped, 10, "one queue of {QUEUE_MAX} kept");
        assert!(matches!(
            s.admit(send(6, 10), Some(host)),
            Admission::Pass(_) | Admission::Held
        ));
        assert!(matches!(
            s.admit(SocketCommand::TcpAbort { id: SocketId(5) }, Some(host)),
            Admission::Pass(_)
        ));
        // Down: datagrams toward the host are charged and refused in debt.
        assert!(s.take_down(host, 2_000));
        assert!(!s.take_down(host, 10));
        s.progress(t0 + Duration::from_secs(3));
        assert!(s.take_down(host, 10));
    }
}
