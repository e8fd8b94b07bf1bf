//! How the async side of the daemon reaches the data-path thread (`event_loop.rs`) on Unix.
//!
//! The data path blocks in one `mio` poll over the adapter and every uplink socket, so it can
//! no longer await tokio channels. Control queries, uplink moves, the stop request and the
//! inbound observer's probes are moved into plain channels by a small tokio task (the
//! bridge), which then wakes the poll through a [`mio::Waker`]. None of the packet traffic
//! passes through here; these inputs are rare, and a hop through one more task costs them
//! nothing that matters.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use masq_platform::{InboundObserver, ObservedInbound};
use tokio::io::Interest;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::local_ports;
use super::query::Query;
use super::uplink_switch::UplinkSwitch;
use super::watch::watch;
use masq_engine::Protocol;

/// Inbound probes queued for the data path at most; beyond this a flood is dropped (the
/// refused-inbound log is informational).
const PROBES_QUEUED: usize = 1024;

/// A control input for the data path.
#[derive(Debug)]
pub(crate) enum Input {
    Query(Query),
    /// An uplink move; its new observer (if any) has already been started by the bridge.
    Switch(UplinkSwitch),
    Stop,
}

/// The sending side, held by the bridge and the observer task.
#[derive(Clone)]
struct Inbox {
    control: std_mpsc::Sender<Input>,
    probes: std_mpsc::SyncSender<ObservedInbound>,
    waker: Arc<mio::Waker>,
}

impl Inbox {
    /// Queues a control input and wakes the data path; false once the data path is gone.
    fn post(&self, input: Input) -> bool {
        if self.control.send(input).is_err() {
            return false;
        }
        self.wake();
        true
    }

    fn probe(&self, p: ObservedInbound) -> bool {
        match self.probes.try_send(p) {
            Ok(()) => self.wake(),
            Err(std_mpsc::TrySendError::Full(_)) => debug!("inbound observer queue full"),
            Err(std_mpsc::TrySendError::Disconnected(_)) => return false,
        }
        true
    }

    fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            warn!(error = %e, "cannot wake the data path");
        }
    }
}

/// The receiving side, owned by the data-path thread.
pub(crate) struct Mailbox {
    control: std_mpsc::Receiver<Input>,
    probes: std_mpsc::Receiver<ObservedInbound>,
    /// Kept for as long as the data path polls: whoever posts `Stop` (the bridge task, or the
    /// dropped `Bridge`) lets go of its handle right after, and if the waker's descriptor
    /// closed then, the OS would take the pending wake-up out of the poll and the data path
    /// would never see the stop.
    _waker: Arc<mio::Waker>,
}

impl Mailbox {
    /// The next control input, if one waits.
    pub(crate) fn control(&self) -> Option<Input> {
        self.control.try_recv().ok()
    }

    /// The next inbound probe, if one waits.
    pub(crate) fn probe(&self) -> Option<ObservedInbound> {
        self.probes.try_recv().ok()
    }
}

/// The async side's receivers that the bridge empties into the data path.
pub(crate) struct Sources {
    pub queries: mpsc::Receiver<Query>,
    pub uplink_switches: mpsc::Receiver<UplinkSwitch>,
    pub stop: oneshot::Receiver<()>,
    pub observer: Option<InboundObserver>,
}

/// Aborts the bridge (and with it the observer task) when dropped, so neither outlives the
/// data path whichever way it ends, and tells the data path to stop: if whoever awaited it
/// went away, the thread must not go on alone.
pub(crate) struct Bridge {
    task: JoinHandle<()>,
    inbox: Inbox,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.task.abort();
        // Refused once the data path has ended, which is the usual case.
        self.inbox.post(Input::Stop);
    }
}

/// Starts the bridge on the current tokio runtime; `waker` wakes the data path's poll.
pub(crate) fn start(sources: Sources, waker: mio::Waker) -> (Bridge, Mailbox) {
    let (control, control_rx) = std_mpsc::channel();
    let (probes, probes_rx) = std_mpsc::sync_channel(PROBES_QUEUED);
    let waker = Arc::new(waker);
    let mailbox = Mailbox {
        control: control_rx,
        probes: probes_rx,
        _waker: waker.clone(),
    };
    let inbox = Inbox {
        control,
        probes,
        waker,
    };
    let task = tokio::spawn(bridge(sources, inbox.clone()));
    (Bridge { task, inbox }, mailbox)
}

async fn bridge(sources: Sources, inbox: Inbox) {
    let Sources {
        mut queries,
        mut uplink_switches,
        mut stop,
        observer,
    } = sources;
    let mut observer_task = observer.map(|o| Observing::start(o, inbox.clone()));
    loop {
        let delivered = tokio::select! {
            // Sent, or the session dropped its end: either way sharing ends.
            _ = &mut stop => {
                inbox.post(Input::Stop);
                break;
            }
            Some(q) = queries.recv() => inbox.post(Input::Query(q)),
            Some(mut switch) = uplink_switches.recv() => {
                if let Some(o) = switch.observer.take() {
                    observer_task = Some(Observing::start(o, inbox.clone()));
                }
                inbox.post(Input::Switch(switch))
            }
        };
        if !delivered {
            break;
        }
    }
    drop(observer_task);
}

/// The observer's task; dropping this stops it (a new uplink replaces it).
struct Observing(JoinHandle<()>);

impl Observing {
    fn start(observer: InboundObserver, inbox: Inbox) -> Observing {
        Observing(tokio::spawn(observe(observer, inbox)))
    }
}

impl Drop for Observing {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads the uplink observer and forwards attempts that no local service of the host itself
/// would answer (a SYN to the host's own SSH server is not a refused inbound connection).
/// Kept off the data path: deciding that reads the OS's socket tables.
async fn observe(observer: InboundObserver, inbox: Inbox) {
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
                    if !inbox.probe(p) {
                        return;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mio::{Events, Poll, Token};

    use super::*;

    const WAKE: Token = Token(7);

    /// A bridge waking `poll`, with no queries or uplink moves, and the sender of its stop
    /// (kept by the caller: dropping it is a stop too).
    fn bridge_for(poll: &Poll) -> (oneshot::Sender<()>, Bridge, Mailbox) {
        let waker = mio::Waker::new(poll.registry(), WAKE).unwrap();
        let (stop_tx, stop) = oneshot::channel();
        let sources = Sources {
            queries: mpsc::channel(1).1,
            uplink_switches: mpsc::channel(1).1,
            stop,
            observer: None,
        };
        let (bridge, mailbox) = start(sources, waker);
        (stop_tx, bridge, mailbox)
    }

    #[tokio::test]
    async fn a_stop_still_wakes_the_poll_after_the_bridge_has_ended() {
        let mut poll = Poll::new().unwrap();
        let (stop_tx, bridge, mailbox) = bridge_for(&poll);
        stop_tx.send(()).unwrap();
        // The bridge ends right after posting the stop, dropping its handle on the waker.
        for _ in 0..1000 {
            if bridge.task.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(
            bridge.task.is_finished(),
            "the bridge did not end after the stop"
        );

        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(2)))
            .unwrap();
        assert!(
            events.iter().any(|e| e.token() == WAKE),
            "the data path would sleep through the stop"
        );
        assert!(matches!(mailbox.control(), Some(Input::Stop)));
    }

    #[tokio::test]
    async fn dropping_the_bridge_tells_the_data_path_to_stop() {
        let poll = Poll::new().unwrap();
        // The stop is never sent: whoever awaited the data path went away instead.
        let (_stop_tx, bridge, mailbox) = bridge_for(&poll);
        drop(bridge);
        assert!(matches!(mailbox.control(), Some(Input::Stop)));
    }
}
