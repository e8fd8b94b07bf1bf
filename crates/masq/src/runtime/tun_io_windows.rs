//! Reading the Wintun adapter and the inbound observer on Windows, where neither has a file
//! descriptor tokio could poll: each gets a dedicated OS thread that blocks in the platform
//! call. The adapter's thread is a [`BatchReader`] (see `batch_reader.rs`).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use masq_platform::{InboundObserver, ObservedInbound, TunDevice};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::batch_reader::{BatchReader, PacketSource};

/// The adapter's reader thread and its batches; dropping it stops and joins the thread.
pub(super) type TunReader = BatchReader<TunDevice>;

impl PacketSource for TunDevice {
    fn recv_blocking(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        TunDevice::recv_blocking(self, buf)
    }

    fn recv_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        TunDevice::recv(self, buf)
    }

    fn wake(&self) -> io::Result<()> {
        self.close_reader()
    }
}

/// Starts reading `tun` on its own thread.
pub(super) fn spawn_reader(tun: &TunDevice) -> io::Result<TunReader> {
    BatchReader::spawn(Arc::new(tun.try_clone()?), "masq-wintun")
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
