//! A wake-up with sub-millisecond precision, for the data path's poll.
//!
//! The engine's TCP arms timers of a few hundred microseconds (a tail loss probe two LAN
//! round trips out, RACK's reordering window). Linux's `epoll_wait` takes its timeout in
//! whole milliseconds, so mio rounds such a deadline up to 1 ms, which on a LAN is ten round
//! trips of silence after every lost tail ACK. A timerfd in the same poll fires when asked.
//! macOS's kqueue takes a nanosecond timeout already, and Windows' data path waits in tokio:
//! there [`WakeTimer::new`] answers `None` and the poll's own timeout is used.

use std::cell::Cell;
use std::io;
use std::time::{Duration, Instant};

/// A one-shot timer whose expiry makes a descriptor readable (Linux: a timerfd).
#[derive(Debug)]
pub struct WakeTimer {
    inner: imp::Timer,
    /// When the armed expiry is due, until it is consumed.
    armed: Cell<Option<Instant>>,
}

impl WakeTimer {
    /// A timer where the OS's poll needs one for sub-millisecond deadlines, else `None`.
    pub fn new() -> io::Result<Option<WakeTimer>> {
        Ok(imp::Timer::new()?.map(|inner| WakeTimer {
            inner,
            armed: Cell::new(None),
        }))
    }

    /// Makes the descriptor readable by `now + after`. An expiry already armed for no later
    /// than that is kept: waking early only costs a turn of the loop that re-arms, while
    /// every packet of a connection moves its retransmission deadline a little later, and a
    /// system call per packet to follow it would cost more (one per turn, measured on a
    /// connection-rate run).
    pub fn arm(&self, now: Instant, after: Duration) -> io::Result<()> {
        let due = now + after;
        if self.armed.get().is_some_and(|at| at > now && at <= due) {
            return Ok(());
        }
        self.inner.arm(after)?;
        self.armed.set(Some(due));
        Ok(())
    }

    /// Consumes an expiry, so the next one is a new readiness edge.
    pub fn clear(&self) {
        self.armed.set(None);
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Waits up to 1 s for the timer's descriptor; how long it took, or `None`.
    fn wait(t: &WakeTimer, start: Instant) -> Option<Duration> {
        let mut fds = [libc::pollfd {
            fd: t.raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd, 1 s limit.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, 1000) };
        #[allow(clippy::disallowed_methods, reason = "measuring a real timer")]
        let waited = Instant::now() - start;
        (n == 1).then_some(waited)
    }

    #[test]
    fn an_earlier_expiry_is_kept_and_a_later_one_replaced() {
        let t = WakeTimer::new().unwrap().unwrap();
        #[allow(clippy::disallowed_methods, reason = "measuring a real timer")]
        let start = Instant::now();
        t.arm(start, Duration::from_millis(5)).unwrap();
        // Later: kept at 5 ms.
        t.arm(start, Duration::from_millis(800)).unwrap();
        let waited = wait(&t, start).expect("fired");
        assert!(waited < Duration::from_millis(400), "{waited:?}");
        t.clear();
        // Consumed: a later deadline now arms anew, and an earlier one replaces it.
        #[allow(clippy::disallowed_methods, reason = "measuring a real timer")]
        let start = Instant::now();
        t.arm(start, Duration::from_secs(5)).unwrap();
        t.arm(start, Duration::from_millis(5)).unwrap();
        let waited = wait(&t, start).expect("fired");
        assert!(waited >= Duration::from_millis(5), "{waited:?}");
        assert!(waited < Duration::from_millis(400), "{waited:?}");
        t.clear();
    }
}
