//! Reading the Wintun adapter and the inbound observer on Windows, where neither has a file
//! descriptor tokio could poll.
//!
//! Each gets a dedicated OS thread that blocks in the platform call and hands what it read
//! to the event loop over a bounded tokio channel. Adapter packets travel in batches (what
//! one wake-up of the thread found, up to [`BATCH`]), so a busy adapter costs one channel
//! message per batch rather than per packet; when the event loop falls behind, the channel
//! fills, the thread waits, and Wintun's ring absorbs the burst (it drops packets when full,
//! as a full interface queue would). Dropping the handle wakes and joins the thread.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use masq_platform::{InboundObserver, ObservedInbound, TunDevice};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Most packets in one batch.
pub(super) const BATCH: usize = 256;
/// Batches queued between the reader thread and the event loop.
const QUEUED_BATCHES: usize = 32;
/// Largest packet Wintun delivers.
const PACKET_MAX: usize = 65_535;

/// What the adapter's reader thread sends: a batch of packets, or the error that ended it.
pub(super) type TunBatch = io::Result<Vec<Vec<u8>>>;

/// The adapter's reader thread; dropping it stops and joins the thread.
pub(super) struct TunReader {
    tun: TunDevice,
    thread: Option<JoinHandle<()>>,
}

impl TunReader {
    /// Starts reading `tun` on its own thread.
    pub(super) fn spawn(tun: &TunDevice) -> io::Result<(TunReader, mpsc::Receiver<TunBatch>)> {
        let (tx, rx) = mpsc::channel(QUEUED_BATCHES);
        let reader = tun.try_clone()?;
        let thread = std::thread::Builder::new()
            .name("masq-wintun".into())
            .spawn(move || read_batches(&reader, &tx))?;
        Ok((
            TunReader {
                tun: tun.try_clone()?,
                thread: Some(thread),
            },
            rx,
        ))
    }
}

impl Drop for TunReader {
    fn drop(&mut self) {
        if let Err(e) = self.tun.close_reader() {
            warn!(error = %e, "cannot wake the adapter's reader thread");
            return;
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            warn!("the adapter's reader thread panicked");
        }
    }
}

fn read_batches(tun: &TunDevice, tx: &mpsc::Sender<TunBatch>) {
    let mut buf = vec![0u8; PACKET_MAX];
    loop {
        let mut batch = Vec::new();
        match tun.recv_blocking(&mut buf) {
            Ok(Some(n)) => batch.push(buf[..n].to_vec()),
            Ok(None) => return,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
        while batch.len() < BATCH {
            match tun.recv(&mut buf) {
                Ok(n) => batch.push(buf[..n].to_vec()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    let _ = tx.blocking_send(Ok(batch));
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
        if tx.blocking_send(Ok(batch)).is_err() {
            return;
        }
    }
}

/// The inbound observer's thread; dropping it stops and joins the thread.
pub(super) struct ObserverThread {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ObserverThread {
    /// Forwards what `observer` sees to `tx` until dropped (dropping attempts under a flood:
    /// the log is informational).
    pub(super) fn spawn(
        observer: InboundObserver,
        tx: mpsc::Sender<ObservedInbound>,
    ) -> io::Result<ObserverThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("masq-observer".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match observer.recv() {
                        Ok(Some(seen)) => {
                            if tx.try_send(seen).is_err() {
                                debug!("inbound observer queue full");
                            }
                        }
                        Ok(None) => {}
                        Err(e) => {
                            warn!(error = %e, "inbound observer read failed");
                            return;
                        }
                    }
                }
            })?;
        Ok(ObserverThread {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for ObserverThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            warn!("the inbound observer thread panicked");
        }
    }
}
