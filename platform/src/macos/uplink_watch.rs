//! macOS uplink watch: a `PF_ROUTE` socket, which the kernel sends every routing, address and
//! interface message to; a thread reads it and turns the messages that can move the uplink
//! ([`super::route_msg::uplink_hint`]) into hints.
//!
//! The thread reads with a timeout so that it notices within a second when the watch was
//! dropped (its hint channel is then closed) and closes the socket.

use std::io::{self, Read};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use tokio::sync::mpsc;

use super::route_msg::{UplinkHint, uplink_hint};
use crate::PlatformError;
use crate::uplink_watch::{HINT_QUEUE, UplinkWatch, hint};

/// How often the reader looks whether the watch is still wanted.
const POLL: Duration = Duration::from_secs(1);

/// Nothing to hold: the reader thread owns the socket and stops once the hints are unwanted.
#[derive(Debug)]
pub(crate) struct Backend;

pub(crate) fn start() -> Result<UplinkWatch, PlatformError> {
    let fail = |source: io::Error| PlatformError::RoutingSocket {
        action: "follow the uplink",
        source,
    };
    let mut sock = Socket::new(Domain::from(libc::PF_ROUTE), Type::RAW, None).map_err(fail)?;
    sock.set_read_timeout(Some(POLL)).map_err(fail)?;
    let (tx, rx) = mpsc::channel(HINT_QUEUE);
    std::thread::Builder::new()
        .name("masq-uplink-watch".into())
        .spawn(move || {
            let mut buf = vec![0u8; 2048];
            while !tx.is_closed() {
                match sock.read(&mut buf) {
                    Ok(n) => {
                        let msg = buf.get(..n).unwrap_or(&[]);
                        if uplink_hint(msg) == UplinkHint::Recheck && !hint(&tx) {
                            return;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock
                                | io::ErrorKind::TimedOut
                                | io::ErrorKind::Interrupted
                        ) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the routing socket failed; uplink changes are no longer seen");
                        return;
                    }
                }
            }
        })
        .map_err(fail)?;
    Ok(UplinkWatch::new(rx, Backend))
}
