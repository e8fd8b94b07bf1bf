//! The raw sockets that carry hidden hosts' ICMP errors out to the internet (RFC 5508 REQ-5).
//!
//! The engine has already checked that an error quotes a datagram its mapping let in and
//! rebuilt it as the remote would have seen it without masq; what is left is sending it from
//! the mapping's uplink address, which only a raw socket can do. One socket per address
//! family is opened on first use and kept while the uplink and its address stay the same.
//! Sending is best effort, like ICMP itself: a socket that cannot be opened (no raw-socket
//! privilege) or a full send buffer drops the error, with one warning and later debug lines.
//! After a failed open, errors are dropped for [`RETRY_OPEN_AFTER`] without trying again, so
//! a LAN host's stream of errors does not become a stream of failing system calls.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use masq_platform::sockets::{self as psock, Uplink};
use socket2::Socket;
use tracing::{debug, warn};

/// How long a raw socket that could not be opened is not tried again.
const RETRY_OPEN_AFTER: Duration = Duration::from_secs(10);

/// An open raw socket and what it is pinned and bound to.
struct Bound {
    uplink: String,
    source: IpAddr,
    sock: Socket,
}

/// Up to one raw ICMP socket per family, opened when the first error needs it.
#[derive(Default)]
pub(super) struct IcmpErrors {
    v4: Option<Bound>,
    v6: Option<Bound>,
    /// A failure was already reported at warning level.
    warned: bool,
    /// An open failed: no new attempt before this.
    retry_open_at: Option<Instant>,
}

impl IcmpErrors {
    /// Sends `message` (an ICMP message with its checksum) from `from` to `to` out of `uplink`.
    pub(super) fn send(&mut self, uplink: &Uplink, from: IpAddr, to: IpAddr, message: &[u8]) {
        let slot = if from.is_ipv4() {
            &mut self.v4
        } else {
            &mut self.v6
        };
        let stale = slot
            .as_ref()
            .is_some_and(|b| b.source != from || b.uplink != uplink.name);
        if stale {
            *slot = None;
        }
        if slot.is_none() {
            let now = Instant::now();
            if self.retry_open_at.is_some_and(|t| now < t) {
                return;
            }
            match psock::icmp_error_socket(uplink, from) {
                Ok(sock) => {
                    *slot = Some(Bound {
                        uplink: uplink.name.clone(),
                        source: from,
                        sock,
                    });
                    self.retry_open_at = None;
                }
                Err(e) => {
                    self.retry_open_at = Some(now + RETRY_OPEN_AFTER);
                    return self.failed(to, &e);
                }
            }
        }
        let Some(bound) = slot.as_ref() else {
            return;
        };
        if let Err(e) = bound.sock.send_to(message, &SocketAddr::new(to, 0).into()) {
            self.failed(to, &e);
        }
    }

    fn failed(&mut self, to: IpAddr, e: &std::io::Error) {
        if std::mem::replace(&mut self.warned, true) {
            debug!(%to, error = %e, "a LAN host's ICMP error was not relayed");
        } else {
            warn!(
                %to,
                error = %e,
                "cannot relay LAN hosts' ICMP errors to the internet; remotes will not learn of closed ports on the LAN"
            );
        }
    }
}
