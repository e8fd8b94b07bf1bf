//! The Wintun adapter and the inbound observer have no descriptor an event loop could poll,
//! so each is read by a dedicated OS thread that blocks in the platform call: the adapter's
//! thread hands the event loop batches ([`TunReader`], over `crate::batch_reader`), the
//! observer's thread forwards what it sees ([`ObserverThread`]). Dropping either stops and
//! joins its thread.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::adapter::TunDevice;
use super::inbound::InboundObserver;
use crate::ObservedInbound;
use crate::batch_reader::{BatchReader, PacketSource};

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

/// The adapter's reader thread and the batches it reads.
pub struct TunReader(BatchReader<TunDevice>);

impl TunReader {
    /// Starts reading `tun` on a thread of its own.
    pub fn spawn(tun: &TunDevice) -> io::Result<TunReader> {
        BatchReader::spawn(Arc::new(tun.try_clone()?), "masq-wintun").map(TunReader)
    }

    /// The next batch of packets (at most 256), or the error that ended the reader; `None`
    /// once the thread has ended.
    pub async fn recv(&mut self) -> Option<io::Result<Vec<Vec<u8>>>> {
        self.0.recv().await
    }
}

/// The inbound observer's thread.
pub struct ObserverThread {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ObserverThread {
    /// Forwards what `observer` sees to `tx` until dropped (dropping attempts under a flood:
    /// the log is informational).
    pub fn spawn(
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
