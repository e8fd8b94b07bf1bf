//! Registering the descriptors masq owns with tokio's reactor.

use std::io;
use std::os::fd::AsRawFd;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Marker for the descriptor owners the runtime registers: each owns exactly one descriptor
/// for its whole life and never swaps it, which is what tokio's registration requires.
pub(crate) trait OwnsFd: AsRawFd {}

impl OwnsFd for masq_platform::InboundObserver {}

/// Wraps `inner` so its readiness can be awaited.
pub(crate) fn watch<T: OwnsFd>(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
    // SAFETY: `OwnsFd` types own one open descriptor from construction to drop and always
    // return it from `as_raw_fd`; the `AsyncFd` takes ownership of the value, so the
    // descriptor stays open and the same until the `AsyncFd` is dropped.
    unsafe { AsyncFd::register_with_interest(inner, interest) }.map_err(|e| e.into_parts().1)
}
