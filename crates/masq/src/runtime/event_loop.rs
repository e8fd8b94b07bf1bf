//! The data path on Unix: one thread that owns the engine, the adapter and every uplink
//! socket, and sleeps in a single `mio` poll over all of them.
//!
//! Each turn drains the engine's outputs first, then waits for the next input: the adapter,
//! a socket, the engine's deadline, or a control input from the async side (`inbox.rs`),
//! which wakes the poll. Work per wake-up is bounded ([`BUDGET`]) so that a flood on one
//! input cannot starve the others. With no traffic and no deadline the thread sleeps without
//! waking up.
//!
//! Why a thread of its own rather than a tokio task: a task that awaits the adapter and the
//! socket poller through tokio pays two polls per wake-up (tokio's, then the poller's), and
//! the multi-threaded runtime often wakes a second worker to run it. A request and its answer
//! crossed four tasks where kernel NAT crosses two; blocking directly in the poll that holds
//! every descriptor makes each wake-up one system call and one thread.

use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use masq_engine::Engine;
use masq_platform::TunDevice;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use super::inbox::{self, Input, Mailbox, Sources};
use super::loop_parts::{BUDGET, LoopParts, answer, handle_event};
use super::sockets::Sockets;
use super::uplink_switch;

/// Runs until `stop` fires or the adapter fails; on the way out every hidden TCP connection
/// is reset so hosts notice at once, and every socket is closed.
pub(crate) async fn run(parts: LoopParts) -> Result<()> {
    let LoopParts {
        engine,
        tun,
        uplink,
        observer,
        queries,
        uplink_switches,
        stop,
    } = parts;
    let tun_name = tun.name().to_owned();
    let sockets = Sockets::new(uplink.clone()).context("cannot create the socket poller")?;
    sockets
        .watch_adapter(&tun)
        .with_context(|| format!("cannot watch adapter {tun_name}"))?;
    let waker = sockets
        .waker()
        .context("cannot create the data path's waker")?;
    let sources = Sources {
        queries,
        uplink_switches,
        stop,
        observer,
    };
    // Dropped when this function returns, however the data path ended.
    let (_bridge, mailbox) = inbox::start(sources, waker);
    let (done_tx, done_rx) = oneshot::channel();
    let span = tracing::Span::current();
    std::thread::Builder::new()
        .name("masq-datapath".into())
        .spawn(move || {
            let _entered = span.enter();
            info!(adapter = %tun_name, uplink = %uplink.name, "masquerading");
            let _ = done_tx.send(DataPath::new(engine, tun, sockets, mailbox).run());
        })
        .context("cannot start the data-path thread")?;
    done_rx.await.unwrap_or_else(|_| {
        Err(anyhow!(
            "the data path stopped unexpectedly (the log above says why); sharing has ended, \
             start it again with `masq up` or from the app"
        ))
    })
}

/// Everything the data-path thread owns.
struct DataPath {
    engine: Engine,
    tun: TunDevice,
    sockets: Sockets,
    mailbox: Mailbox,
    /// One packet read from the adapter: a 64 KiB IP packet plus the offload header.
    buf: Vec<u8>,
    /// The adapter may hold more packets than the last turn read (readiness is
    /// edge-triggered: no new edge will say so).
    adapter_pending: bool,
    /// The mailbox may hold more than the last turn took.
    mailbox_pending: bool,
}

/// Whether the loop goes on after a turn.
enum Next {
    Continue,
    Stop,
}

impl DataPath {
    fn new(engine: Engine, tun: TunDevice, sockets: Sockets, mailbox: Mailbox) -> DataPath {
        DataPath {
            engine,
            tun,
            sockets,
            mailbox,
            buf: vec![0u8; 65_536 + 64],
            // Packets or inputs may have arrived before the poll watched for them.
            adapter_pending: true,
            mailbox_pending: true,
        }
    }

    fn run(mut self) -> Result<()> {
        let result = loop {
            match self.turn() {
                Ok(Next::Continue) => {}
                Ok(Next::Stop) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.engine.reset_all(Instant::now());
        if let Err(e) = self.flush() {
            debug!(error = %e, "could not send the final resets");
        }
        self.sockets.close_all();
        result
    }

    fn turn(&mut self) -> Result<Next> {
        self.flush()?;
        if self.sockets.has_events() {
            // The flush's budget ran out: take another turn before waiting.
            return Ok(Next::Continue);
        }
        let timeout = if self.adapter_pending || self.mailbox_pending {
            Some(Duration::ZERO)
        } else {
            self.engine
                .poll_timeout()
                .map(|at| at.saturating_duration_since(Instant::now()))
        };
        let woke = self
            .sockets
            .poll_io(timeout)
            .context("socket poll failed")?;
        self.adapter_pending |= woke.adapter;
        self.mailbox_pending |= woke.mailbox;
        if self.adapter_pending {
            self.adapter_pending = self
                .read_adapter()
                .with_context(|| format!("reading from adapter {} failed", self.tun.name()))?;
        }
        if self.mailbox_pending && matches!(self.take_mail(), Next::Stop) {
            return Ok(Next::Stop);
        }
        let now = Instant::now();
        if self.engine.poll_timeout().is_some_and(|at| at <= now) {
            self.engine.handle_timeout(now);
        }
        Ok(Next::Continue)
    }

    /// Reads up to a budget of packets; true if the adapter may hold more.
    fn read_adapter(&mut self) -> io::Result<bool> {
        for _ in 0..BUDGET {
            match self.tun.recv_packet(&mut self.buf) {
                Ok((range, meta)) => {
                    self.engine
                        .handle_tun_packet_with(Instant::now(), &self.buf[range], meta)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Hands control inputs and inbound probes to the engine, up to a budget.
    fn take_mail(&mut self) -> Next {
        for _ in 0..BUDGET {
            if let Some(input) = self.mailbox.control() {
                match input {
                    Input::Stop => return Next::Stop,
                    Input::Query(q) => answer(&mut self.engine, q),
                    Input::Switch(s) => uplink_switch::apply(
                        &mut self.engine,
                        &mut self.sockets,
                        &s,
                        self.tun.name(),
                    ),
                }
            } else if let Some(p) = self.mailbox.probe() {
                self.engine
                    .handle_uplink_probe(Instant::now(), p.protocol, p.remote, p.local);
            } else {
                self.mailbox_pending = false;
                return Next::Continue;
            }
        }
        // Budget spent: more may wait.
        Next::Continue
    }

    /// Carries out the engine's commands, hands what the sockets report back to the engine
    /// (which may command more) until both are quiet, and writes its packets to the adapter.
    fn flush(&mut self) -> Result<()> {
        // Bounded: events left over wait for the next turn (the loop does not sleep on them).
        for _ in 0..BUDGET {
            while let Some(cmd) = self.engine.poll_command() {
                self.sockets.dispatch(cmd);
            }
            self.sockets.flush_batches();
            let events = self.sockets.take_events();
            if events.is_empty() {
                break;
            }
            for ev in events {
                handle_event(&mut self.engine, &mut self.sockets, ev);
            }
        }
        while let Some(pkt) = self.engine.poll_tun_transmit() {
            loop {
                match self.tun.send_packet(&pkt) {
                    Ok(_) => {
                        self.engine.recycle(pkt.data);
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_writable()?,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // One bad packet must not stop the gateway; the engine resends what a
                        // TCP segment carried instead of waiting for the host to time out.
                        warn!(error = %e, len = pkt.data.len(), "adapter refused a packet");
                        self.engine
                            .handle_tun_write_failed(Instant::now(), &pkt.data);
                        self.engine.recycle(pkt.data);
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Blocks until the adapter takes writes again. The OS's adapter queue is rarely full;
    /// when it is, the LAN is the bottleneck and waiting is the back-pressure.
    fn wait_writable(&self) -> Result<()> {
        let mut fds = [PollFd::new(self.tun.as_fd(), PollFlags::POLLOUT)];
        match poll(&mut fds, PollTimeout::from(1000u16)) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("adapter {} poll failed", self.tun.name())),
        }
    }
}
