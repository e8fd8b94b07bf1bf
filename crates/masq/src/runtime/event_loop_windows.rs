//! The one task that owns the engine, on Windows: the same turn structure as the Unix loop
//! (`event_loop.rs`: drain the engine's outputs, then wait for one input, with a bounded
//! amount of work per wake-up and a single re-armed timer), but the adapter's packets arrive
//! in batches from a reader thread (the platform's `TunReader`) instead of the poll, and packets
//! toward the LAN are written straight into Wintun's ring, which never blocks (a full ring
//! drops the packet).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use masq_engine::Engine;
use masq_platform::{ObservedInbound, ObserverThread, TunDevice, TunReader};
use tokio::sync::mpsc;
use tracing::{debug, info, trace, warn};

use super::loop_parts::{BUDGET, LoopParts, answer, handle_event};
use super::sockets::Sockets;
use super::uplink_switch;

/// Far-future deadline for the idle timer (it is never reached while the loop is idle).
const IDLE: Duration = Duration::from_secs(24 * 3600);

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
    let mut reader = TunReader::spawn(&tun)
        .with_context(|| format!("cannot start reading adapter {tun_name}"))?;
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let mut sockets = Sockets::new(uplink.clone(), ev_tx);
    let (probe_tx, mut probe_rx) = mpsc::channel::<ObservedInbound>(1024);
    let mut observer_thread = match observer.map(|o| ObserverThread::spawn(o, probe_tx.clone())) {
        Some(Err(e)) => {
            warn!(error = %e, "cannot watch the uplink for inbound attempts");
            None
        }
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let timer = tokio::time::sleep(IDLE);
    tokio::pin!(timer);
    let mut armed: Option<Instant> = None;
    info!(adapter = %tun_name, uplink = %uplink.name, "masquerading");

    let result: Result<()> = loop {
        if let Err(e) = flush(&mut engine, &mut sockets, &tun) {
            break Err(e);
        }
        let deadline = engine.poll_timeout();
        if deadline != armed {
            armed = deadline;
            let at = deadline.unwrap_or_else(|| Instant::now() + IDLE);
            timer.as_mut().reset(tokio::time::Instant::from_std(at));
        }
        tokio::select! {
            _ = &mut stop => break Ok(()),
            batch = reader.recv() => match batch {
                Some(Ok(packets)) => {
                    let now = Instant::now();
                    for p in &packets {
                        engine.handle_tun_packet(now, p);
                    }
                }
                Some(Err(e)) => break Err(e).with_context(|| format!("reading from adapter {tun_name} failed")),
                None => break Err(anyhow::anyhow!("the reader of adapter {tun_name} stopped")),
            },
            Some(ev) = ev_rx.recv() => {
                handle_event(&mut engine, &mut sockets, ev);
                for _ in 1..BUDGET {
                    match ev_rx.try_recv() {
                        Ok(ev) => handle_event(&mut engine, &mut sockets, ev),
                        Err(_) => break,
                    }
                }
            }
            Some(p) = probe_rx.recv() => {
                engine.handle_uplink_probe(Instant::now(), p.protocol, p.remote, p.local);
            }
            Some(q) = queries.recv() => answer(&mut engine, q),
            Some(switch) = uplink_switches.recv() => {
                uplink_switch::apply(&mut engine, &mut sockets, &switch, &tun_name);
                if let Some(o) = switch.observer {
                    drop(observer_thread.take());
                    observer_thread = ObserverThread::spawn(o, probe_tx.clone())
                        .inspect_err(|e| warn!(error = %e, "cannot watch the new uplink for inbound attempts"))
                        .ok();
                }
            }
            _ = &mut timer, if armed.is_some() => {
                armed = None;
                engine.handle_timeout(Instant::now());
            }
        }
    };

    engine.reset_all(Instant::now());
    if let Err(e) = flush(&mut engine, &mut sockets, &tun) {
        debug!(error = %e, "the hosts' connections could not be reset through the adapter");
    }
    sockets.close_all();
    drop(observer_thread);
    drop(reader);
    debug!("adapter reader stopped");
    result
}

/// Carries out the engine's commands and writes its packets to the adapter. Refusals are
/// logged once per call with their count, not once per packet; an adapter whose session has
/// ended (Wintun's ERROR_HANDLE_EOF) ends the loop.
fn flush(engine: &mut Engine, sockets: &mut Sockets, tun: &TunDevice) -> Result<()> {
    while let Some(cmd) = engine.poll_command() {
        sockets.dispatch(cmd);
    }
    let mut full = 0usize;
    let mut refused: Option<(std::io::Error, usize)> = None;
    while let Some(pkt) = engine.poll_tun_packet() {
        let Err(e) = tun.send(&pkt) else { continue };
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Err(e).context("writing to the adapter failed");
        }
        // A full ring (Wintun's ERROR_BUFFER_OVERFLOW) or a refused packet: the engine
        // resends what a TCP segment carried, soon, instead of waiting for the hidden host
        // to time out.
        if e.kind() == std::io::ErrorKind::WouldBlock {
            full += 1;
        } else {
            match &mut refused {
                Some((_, n)) => *n += 1,
                None => refused = Some((e, 1)),
            }
        }
        engine.handle_tun_write_failed(Instant::now(), &pkt);
    }
    if full > 0 {
        trace!(packets = full, "adapter ring full, packets not written");
    }
    if let Some((e, n)) = refused {
        warn!(error = %e, packets = n, "adapter refused packets");
    }
    Ok(())
}
