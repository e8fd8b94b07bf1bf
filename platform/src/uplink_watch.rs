//! Notice when the uplink may have changed (roaming: Wi-Fi ↔ Ethernet ↔ phone tether).
//!
//! Every backend feeds the same [`UplinkWatch`]: a bounded channel of "look again" hints from
//! the OS's own change notifications (Linux rtnetlink multicast groups, Windows
//! `NotifyRouteChange2`/`NotifyIpInterfaceChange`, macOS `PF_ROUTE` messages). A hint says
//! nothing about *what* changed: the caller debounces the burst that one change produces and
//! then reads the default route and the interface again, so a lost or coalesced hint can never
//! leave it with a wrong picture.

use tokio::sync::mpsc;

/// Hints queued before the backend drops further ones: one pending hint already makes the
/// reader look at everything again, so more would carry no information.
pub(crate) const HINT_QUEUE: usize = 16;

/// A running watch for route, link and address changes; dropping it stops the OS notifications.
#[derive(Debug)]
pub struct UplinkWatch {
    hints: mpsc::Receiver<()>,
    _backend: crate::imp::uplink_watch::Backend,
}

impl UplinkWatch {
    pub(crate) fn new(
        hints: mpsc::Receiver<()>,
        backend: crate::imp::uplink_watch::Backend,
    ) -> Self {
        UplinkWatch {
            hints,
            _backend: backend,
        }
    }

    /// Waits for the next hint that routes, links or addresses changed; `false` once the OS
    /// notification source has ended (the watch then never reports again).
    pub async fn changed(&mut self) -> bool {
        self.hints.recv().await.is_some()
    }

    /// Drops hints already queued (after the caller has looked at the current state).
    pub fn drain(&mut self) {
        while self.hints.try_recv().is_ok() {}
    }
}

/// Starts watching the OS for changes that can move the uplink: the default route, links going
/// up or down, addresses coming and going. Needs a tokio runtime on Linux.
pub fn uplink_watch() -> Result<UplinkWatch, crate::PlatformError> {
    crate::imp::uplink_watch::start()
}

/// Sends a hint without waiting: a full queue already holds one.
pub(crate) fn hint(tx: &mpsc::Sender<()>) -> bool {
    !matches!(tx.try_send(()), Err(mpsc::error::TrySendError::Closed(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_still_counts_as_delivered_and_a_closed_one_does_not() {
        let (tx, rx) = mpsc::channel(1);
        assert!(hint(&tx));
        assert!(hint(&tx), "full: the pending hint stands for this one");
        drop(rx);
        assert!(!hint(&tx));
    }
}
