//! A wake-up with sub-millisecond precision, for the data path's poll.
//!
//! The engine's TCP arms timers of a few hundred microseconds (a tail loss probe two LAN
//! round trips out, RACK's reordering window). Linux's `epoll_wait` takes its timeout in
//! whole milliseconds, so mio rounds such a deadline up to 1 ms, which on a LAN is ten round
//! trips of silence after every lost tail ACK. A timerfd in the same poll fires when asked.
//! macOS's kqueue takes a nanosecond timeout already, and Windows' data path waits in tokio:
//! there [`WakeTimer::new`] answers `None` and the poll's own timeout is used.

use std::io;

/// A one-shot timer whose expiry makes a descriptor readable (Linux: a timerfd).
#[derive(Debug)]
pub struct WakeTimer {
    inner: imp::Timer,
}

impl WakeTimer {
    /// A timer where the OS's poll needs one for sub-millisecond deadlines, else `None`.
    pub fn new() -> io::Result<Option<WakeTimer>> {
        Ok(imp::Timer::new()?.map(|inner| WakeTimer { inner }))
    }

    /// Makes the descriptor readable `after` from now (re-arming replaces any earlier
    /// expiry).
    pub fn arm(&self, after: std::time::Duration) -> io::Result<()> {
        self.inner.arm(after)
    }

    /// Consumes an expiry, so the next one is a new readiness edge.
    pub fn clear(&self) {
        self.inner.clear()
    }

    /// The descriptor to register in the poll.
    #[cfg(unix)]
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.raw_fd()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::time::Duration;

    #[derive(Debug)]
    pub(super) struct Timer {
        fd: OwnedFd,
    }

    impl Timer {
        pub(super) fn new() -> io::Result<Option<Timer>> {
            // SAFETY: plain syscall; a non-negative result is a new descriptor we own.
            let fd = unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
                )
            };
            if fd < 0 {
                return Err(io::Error::other(format!(
                    "create the data path's wake-up timer (timerfd): {}",
                    io::Error::last_os_error()
                )));
            }
            // SAFETY: `fd` was just returned by timerfd_create and is owned by nothing else.
            Ok(Some(Timer {
                fd: unsafe { OwnedFd::from_raw_fd(fd) },
            }))
        }

        pub(super) fn arm(&self, after: Duration) -> io::Result<()> {
            // A zero it_value would disarm the timer: the earliest expiry is 1 ns.
            let after = after.max(Duration::from_nanos(1));
            let spec = libc::itimerspec {
                it_interval: libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: libc::timespec {
                    tv_sec: after.as_secs().min(i64::MAX as u64) as libc::time_t,
                    tv_nsec: after.subsec_nanos() as libc::c_long,
                },
            };
            // SAFETY: `spec` lives for the call; the old value is not asked for.
            let rc = unsafe {
                libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut())
            };
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }

        pub(super) fn clear(&self) {
            let mut expirations = [0u8; 8];
            // SAFETY: reads at most 8 bytes into a buffer of 8; EAGAIN (nothing expired) is
            // fine and ignored.
            let _ = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    expirations.as_mut_ptr().cast(),
                    expirations.len(),
                )
            };
        }

        pub(super) fn raw_fd(&self) -> RawFd {
            self.fd.as_raw_fd()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::time::Instant;

        #[test]
        fn fires_after_the_time_asked_with_microsecond_precision() {
            let t = Timer::new().unwrap().unwrap();
            #[allow(clippy::disallowed_methods, reason = "measuring a real timer")]
            let start = Instant::now();
            t.arm(Duration::from_micros(300)).unwrap();
            let mut fds = [libc::pollfd {
                fd: t.raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            // SAFETY: one valid pollfd, 1 s limit.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, 1000) };
            let waited = start.elapsed();
            assert_eq!(n, 1, "the timer fired");
            assert!(waited >= Duration::from_micros(300), "{waited:?}");
            // A loaded CI machine may wake late, but not by the whole millisecond epoll's
            // rounding would have cost.
            assert!(waited < Duration::from_millis(50), "{waited:?}");
            t.clear();
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::time::Duration;

    /// No timer is needed here; the type cannot be built.
    #[derive(Debug)]
    pub(super) enum Timer {}

    impl Timer {
        pub(super) fn new() -> io::Result<Option<Timer>> {
            Ok(None)
        }

        pub(super) fn arm(&self, _after: Duration) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn clear(&self) {
            match *self {}
        }

        #[cfg(unix)]
        pub(super) fn raw_fd(&self) -> std::os::fd::RawFd {
            match *self {}
        }
    }
}
