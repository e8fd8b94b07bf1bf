//! A reader thread for a packet source that has no descriptor to poll (Wintun's session):
//! the thread blocks in the source, and hands what one wake-up found to the event loop as a
//! batch over a bounded channel, so a busy adapter costs one message per batch rather than
//! per packet. When the event loop falls behind, the channel fills, the thread waits, and the
//! source's own ring absorbs the burst (Wintun drops packets when its ring is full, as a full
//! interface queue would).
//!
//! The reader owns the receiving end, so stopping cannot deadlock: dropping it wakes the
//! source *and* closes the channel before joining, which also frees a thread that waits for
//! room in a full channel.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tracing::warn;

/// Most packets in one batch.
pub(crate) const BATCH: usize = 256;
/// Batches queued between the reader thread and the event loop.
const QUEUED_BATCHES: usize = 32;
/// Largest packet a source delivers.
const PACKET_MAX: usize = 65_535;

/// What the reader thread sends: a batch of packets, or the error that ended it.
pub(crate) type Batch = io::Result<Vec<Vec<u8>>>;

/// Something packets are read from by blocking.
pub(crate) trait PacketSource: Send + Sync + 'static {
    /// Waits for the next packet; `Ok(None)` once [`PacketSource::wake`] was called.
    fn recv_blocking(&self, buf: &mut [u8]) -> io::Result<Option<usize>>;
    /// Reads one packet without waiting; `WouldBlock` when none is queued.
    fn recv_now(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Makes every waiting and later [`PacketSource::recv_blocking`] return `None`.
    fn wake(&self) -> io::Result<()>;
}

/// The reader thread and the batches it sends; dropping it stops and joins the thread.
pub(crate) struct BatchReader<S: PacketSource> {
    source: Arc<S>,
    batches: mpsc::Receiver<Batch>,
    thread: Option<JoinHandle<()>>,
}

impl<S: PacketSource> BatchReader<S> {
    /// Starts reading `source` on a thread called `name`.
    pub(crate) fn spawn(source: Arc<S>, name: &str) -> io::Result<BatchReader<S>> {
        let (tx, batches) = mpsc::channel(QUEUED_BATCHES);
        let reader = Arc::clone(&source);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || read_batches(&*reader, &tx))?;
        Ok(BatchReader {
            source,
            batches,
            thread: Some(thread),
        })
    }

    /// The next batch; `None` once the thread has ended.
    pub(crate) async fn recv(&mut self) -> Option<Batch> {
        self.batches.recv().await
    }
}

impl<S: PacketSource> Drop for BatchReader<S> {
    fn drop(&mut self) {
        if let Err(e) = self.source.wake() {
            warn!(error = %e, "cannot wake the packet reader thread; leaving it behind");
            self.batches.close();
            return;
        }
        // A thread waiting for room in the channel wakes up to a closed channel and ends.
        self.batches.close();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            warn!("the packet reader thread panicked");
        }
    }
}

fn read_batches<S: PacketSource>(source: &S, tx: &mpsc::Sender<Batch>) {
    let mut buf = vec![0u8; PACKET_MAX];
    loop {
        let mut batch = Vec::new();
        match source.recv_blocking(&mut buf) {
            Ok(Some(n)) => batch.push(buf[..n].to_vec()),
            Ok(None) => return,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
        while batch.len() < BATCH {
            match source.recv_now(&mut buf) {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A source with packets always waiting, until woken.
    #[derive(Default)]
    struct Flood {
        woken: AtomicBool,
        read: AtomicUsize,
    }

    impl PacketSource for Flood {
        fn recv_blocking(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
            if self.woken.load(Ordering::SeqCst) {
                return Ok(None);
            }
            self.recv_now(buf).map(Some)
        }

        fn recv_now(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.read.fetch_add(1, Ordering::SeqCst);
            buf[..4].copy_from_slice(b"pkt!");
            Ok(4)
        }

        fn wake(&self) -> io::Result<()> {
            self.woken.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    /// Drops `reader` on another thread; whether that returned within a few seconds.
    fn drops_promptly(reader: BatchReader<Flood>) -> bool {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(reader);
            let _ = done_tx.send(());
        });
        done_rx.recv_timeout(Duration::from_secs(5)).is_ok()
    }

    #[test]
    fn stopping_never_hangs_on_a_reader_waiting_for_room() {
        let source = Arc::new(Flood::default());
        let reader = BatchReader::spawn(Arc::clone(&source), "test-reader").expect("spawn");
        // Nobody reads: the channel fills and the thread waits in its send.
        let full = QUEUED_BATCHES * BATCH;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while source.read.load(Ordering::SeqCst) < full && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            source.read.load(Ordering::SeqCst) >= full,
            "the channel filled"
        );
        assert!(drops_promptly(reader), "dropping the reader returned");
    }

    #[test]
    fn batches_arrive_in_order_and_end_with_the_sources_error() {
        struct Three(AtomicUsize);
        impl PacketSource for Three {
            fn recv_blocking(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
                self.recv_now(buf).map(Some)
            }
            fn recv_now(&self, buf: &mut [u8]) -> io::Result<usize> {
                let i = self.0.fetch_add(1, Ordering::SeqCst);
                if i == 3 {
                    return Err(io::Error::other("adapter gone"));
                }
                buf[0] = i as u8;
                Ok(1)
            }
            fn wake(&self) -> io::Result<()> {
                Ok(())
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let mut reader =
            BatchReader::spawn(Arc::new(Three(AtomicUsize::new(0))), "test-reader").expect("spawn");
        rt.block_on(async {
            let mut packets = Vec::new();
            loop {
                match reader.recv().await {
                    Some(Ok(batch)) => packets.extend(batch),
                    Some(Err(e)) => {
                        assert_eq!(e.to_string(), "adapter gone");
                        break;
                    }
                    None => panic!("ended without the error"),
                }
            }
            assert_eq!(packets, [vec![0], vec![1], vec![2]]);
        });
    }
}
