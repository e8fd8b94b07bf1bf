//! Starting sharing at boot, when the network may not be there yet: a service that autostarts
//! before Wi-Fi has associated or a USB Ethernet adapter has appeared would otherwise fail once
//! and stay off until someone starts it by hand. As WireGuard's service does, a start that
//! failed only because an interface or the default route is missing is tried again, every
//! few seconds for a bounded time, while the control API keeps answering.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

/// How long a boot-time start keeps waiting for the network.
pub(super) const WAIT_AT_MOST: Duration = Duration::from_secs(120);
/// Pause between tries.
pub(super) const RETRY_EVERY: Duration = Duration::from_secs(5);

/// A start failed because something it needs is not there *yet* (an interface, a default
/// route): worth trying again at boot, unlike a bad setting.
#[derive(Debug)]
pub(crate) struct NotReady(pub String);

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotReady {}

/// Whether `e` (or anything it wraps) says the network is not ready yet.
pub(super) fn is_not_ready(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<NotReady>().is_some()
            || matches!(
                c.downcast_ref::<masq_platform::PlatformError>(),
                Some(masq_platform::PlatformError::InterfaceNotFound { .. })
            )
    })
}

/// A pending boot-time retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BootRetry {
    /// When the next try is due.
    pub next: Instant,
    /// After this, a failure is final.
    pub until: Instant,
}

impl BootRetry {
    /// The retry after a first failure at `now`.
    pub(super) fn first(now: Instant) -> BootRetry {
        BootRetry {
            next: now + RETRY_EVERY,
            until: now + WAIT_AT_MOST,
        }
    }

    /// The retry after another not-ready failure at `now`, or `None` once time is up.
    pub(super) fn after(self, now: Instant) -> Option<BootRetry> {
        let next = now + RETRY_EVERY;
        (next <= self.until).then_some(BootRetry { next, ..self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_not_ready_failures_are_retried_and_only_for_a_while() {
        let missing = anyhow::Error::new(NotReady("no default route".into())).context("start");
        assert!(is_not_ready(&missing), "found through the context");
        assert!(!is_not_ready(&anyhow::anyhow!("invalid --lan-addr")));

        let t0 = Instant::now();
        let mut retry = BootRetry::first(t0);
        let mut tries = 1;
        while let Some(next) = retry.after(retry.next) {
            retry = next;
            tries += 1;
            assert!(tries < 100, "bounded");
        }
        assert_eq!(
            tries,
            (WAIT_AT_MOST.as_secs() / RETRY_EVERY.as_secs()) as usize,
            "every RETRY_EVERY until WAIT_AT_MOST"
        );
        assert!(retry.next <= t0 + WAIT_AT_MOST);
    }
}
