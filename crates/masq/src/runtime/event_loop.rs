//! The one task that owns the engine: adapter packets, socket events, the timer and control
//! queries in; adapter packets and socket commands out.
//!
//! Each turn drains the engine's outputs first, then waits for the next input. Work per
//! wake-up is bounded ([`BUDGET`]) so that a flood on one input cannot starve the others, and
//! the single timer is re-armed only when the engine's deadline moves. With no traffic and
//! no deadline the task sleeps without waking up.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result};
use masq_engine::{Engine, Protocol};
use masq_platform::{InboundObserver, ObservedInbound, TunDevice};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::local_ports;
use super::loop_parts::{BUDGET, IDLE, LoopParts, answer, handle_event};
use super::sockets::{Drained, Sockets};
use super::tun_io;
use super::uplink_switch;
use super::watch::watch;

/// Runs until `stop` fires or the adapter fails; on the way out every hidden TCP connection
/// is reset so hosts notice at once, and every socket is closed.
pub(crate) async fn run(parts: LoopParts) -> Result<()> {
    let LoopParts {
        mut engine,
        tun,
        uplink,
        observer,
        mut queries,
        mut uplink_switches,
        mut stop,
    } = parts;
    let tun_name = tun.name().to_owned();
    let tun = watch(tun, Interest::READABLE | Interest::WRITABLE)
        .with_context(|| format!("cannot watch adapter {tun_name}"))?;
    let mut sockets = Sockets::new(uplink.clone()).context("cannot create the socket poller")?;
    // Declared after `sockets`, so it is dropped first: it watches the poller's descriptor.
    let sockets_ready = sockets.watch().context("cannot watch the socket poller")?;
    let (probe_tx, mut probe_rx) = mpsc::channel::<ObservedInbound>(1024);
    let mut observer_task = observer.map(|o| tokio::spawn(observe(o, probe_tx.clone())));
    // 64 KiB IP packet plus the offload header in front of it.
    let mut buf = vec![0u8; 65_536 + 64];
    let timer = tokio::time::sleep(IDLE);
    tokio::pin!(timer);
    let mut armed: Option<Instant> = None;
    info!(adapter = %tun_name, uplink = %uplink.name, "masquerading");

    let result: Result<()> = loop {
        if let Err(e) = flush(&mut engine, &mut sockets, &tun).await {
            break Err(e);
        }
        if sockets.has_events() {
            // The flush's budget ran out: take another turn before waiting.
            continue;
        }
        let deadline = engine.poll_timeout();
        if deadline != armed {
            armed = deadline;
            let at = deadline.unwrap_or_else(|| Instant::now() + IDLE);
            timer.as_mut().reset(tokio::time::Instant::from_std(at));
        }
        tokio::select! {
            _ = &mut stop => break Ok(()),
            r = tun.readable() => {
                let mut guard = match r {
                    Ok(g) => g,
                    Err(e) => break Err(e).context("adapter poll failed"),
                };
                let mut failed = None;
                for _ in 0..BUDGET {
                    match guard.try_io(|fd| tun_io::recv(fd.get_ref(), &mut buf)) {
                        Ok(Ok((range, meta))) => engine.handle_tun_packet_with(Instant::now(), &buf[range], meta),
                        Ok(Err(e)) => {
                            failed = Some(e);
                            break;
                        }
                        Err(_would_block) => break,
                    }
                }
                if let Some(e) = failed {
                    break Err(e).with_context(|| format!("reading from adapter {tun_name} failed"));
                }
            }
            r = sockets_ready.readable() => {
                let mut guard = match r {
                    Ok(g) => g,
                    Err(e) => break Err(e).context("socket poll failed"),
                };
                match sockets.poll_io() {
                    Ok(Drained::Yes) => guard.clear_ready(),
                    // More is ready: keep the readiness so the next turn comes at once.
                    Ok(Drained::No) => {}
                    Err(e) => break Err(e).context("socket poll failed"),
                }
            }
            Some(p) = probe_rx.recv() => {
                engine.handle_uplink_probe(Instant::now(), p.protocol, p.remote, p.local);
            }
            Some(q) = queries.recv() => answer(&mut engine, q),
            Some(switch) = uplink_switches.recv() => {
                uplink_switch::apply(&mut engine, &mut sockets, &switch);
                if let Some(o) = switch.observer {
                    observer_task.take().inspect(tokio::task::JoinHandle::abort);
                    observer_task = Some(tokio::spawn(observe(o, probe_tx.clone())));
                }
            }
            _ = &mut timer, if armed.is_some() => {
                armed = None;
                engine.handle_timeout(Instant::now());
            }
        }
    };

    engine.reset_all(Instant::now());
    if let Err(e) = flush(&mut engine, &mut sockets, &tun).await {
        debug!(error = %e, "could not send the final resets");
    }
    sockets.close_all();
    if let Some(t) = observer_task {
        t.abort();
    }
    result
}

/// Carries out the engine's commands, hands what the sockets report back to the engine
/// (which may command more) until both are quiet, and writes its packets to the adapter.
async fn flush(engine: &mut Engine, sockets: &mut Sockets, tun: &AsyncFd<TunDevice>) -> Result<()> {
    // Bounded: events left over wait for the next turn (the loop does not sleep on them).
    for _ in 0..BUDGET {
        while let Some(cmd) = engine.poll_command() {
            sockets.dispatch(cmd);
        }
        sockets.flush_batches();
        let events = sockets.take_events();
        if events.is_empty() {
            break;
        }
        for ev in events {
            handle_event(engine, sockets, ev);
        }
    }
    while let Some(pkt) = engine.poll_tun_transmit() {
        loop {
            match tun_io::send(tun.get_ref(), &pkt) {
                Ok(_) => {
                    engine.recycle(pkt.data);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let mut g = tun.writable().await.context("adapter poll failed")?;
                    g.clear_ready();
                }
                Err(e) => {
                    // One bad packet must not stop the gateway; the TCP relay retransmits.
                    warn!(error = %e, len = pkt.data.len(), "adapter refused a packet");
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Reads the uplink observer and forwards attempts that no local service of the host itself
/// would answer (a SYN to the host's own SSH server is not a refused inbound connection).
async fn observe(observer: InboundObserver, tx: mpsc::Sender<ObservedInbound>) {
    let fd = match watch(observer, Interest::READABLE) {
        Ok(fd) => fd,
        Err(e) => {
            warn!(error = %e, "cannot watch the uplink for inbound attempts");
            return;
        }
    };
    loop {
        let mut guard = match fd.readable().await {
            Ok(g) => g,
            Err(e) => {
                warn!(error = %e, "inbound observer failed");
                return;
            }
        };
        loop {
            match fd.get_ref().recv() {
                Ok(Some(p)) => {
                    if is_local_service(p.protocol, p.local) {
                        continue;
                    }
                    if tx.try_send(p).is_err() {
                        // The log is informational: under a flood, drop rather than queue.
                        debug!("inbound observer queue full");
                    }
                }
                Ok(None) => {
                    guard.clear_ready();
                    break;
                }
                Err(e) => {
                    warn!(error = %e, "inbound observer read failed");
                    return;
                }
            }
        }
    }
}

fn is_local_service(protocol: Protocol, local: SocketAddr) -> bool {
    match protocol {
        Protocol::Tcp => local_ports::tcp_listening(local.port()),
        Protocol::Udp => local_ports::udp_bound(local.port()),
        Protocol::Icmp => false,
    }
}
