//! The IPv4 default route's interface, asked of the kernel through a `PF_ROUTE` socket
//! (`RTM_GET`, what `route -n get default` does); messages are built and parsed by
//! [`super::route_msg`].

use std::io::{self, Read, Write};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::route_msg::{RTM_GET, RouteMsgError, default_route_request, parse};
use crate::PlatformError;

/// How long to wait for the kernel's answer (it is immediate; this only bounds a surprise).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// Other processes' routing messages are broadcast to every routing socket: skip at most
/// this many before giving up.
const MAX_SKIPPED: usize = 256;

/// The name of the interface the IPv4 default route goes out of, if there is one.
pub async fn default_uplink() -> Result<Option<String>, PlatformError> {
    let fail = |source: io::Error| PlatformError::RoutingSocket {
        action: "look up the default route",
        source,
    };
    let mut sock = Socket::new(Domain::from(libc::PF_ROUTE), Type::RAW, None).map_err(fail)?;
    sock.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(fail)?;
    let pid = std::process::id() as i32;
    let seq = 1;
    match sock.write(&default_route_request(pid, seq)) {
        Ok(_) => {}
        // ESRCH: no route matches, i.e. no default route.
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Ok(None),
        Err(e) => return Err(fail(e)),
    }
    let mut buf = vec![0u8; 2048];
    for _ in 0..MAX_SKIPPED {
        let n = sock.read(&mut buf).map_err(fail)?;
        let reply = match parse(&buf[..n]) {
            Ok(reply) => reply,
            Err(RouteMsgError::Errno(e)) if e == libc::ESRCH => return Ok(None),
            Err(e) => {
                tracing::trace!(error = %e, "skipped a routing message");
                continue;
            }
        };
        if reply.kind != RTM_GET || reply.pid != pid || reply.seq != seq {
            continue;
        }
        tracing::debug!(index = reply.index, gateway = ?reply.gateway, name = ?reply.ifp_name, "default route");
        if let Some(name) = reply.ifp_name {
            return Ok(Some(name));
        }
        return name_of_index(reply.index).map(Some).map_err(fail);
    }
    Err(fail(io::Error::new(
        io::ErrorKind::TimedOut,
        "no answer to the route lookup among the routing messages read",
    )))
}

fn name_of_index(index: u16) -> io::Result<String> {
    let mut name = [0 as libc::c_char; libc::IFNAMSIZ];
    // SAFETY: `name` has IFNAMSIZ bytes, which if_indextoname requires.
    let p = unsafe { libc::if_indextoname(u32::from(index), name.as_mut_ptr()) };
    if p.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success if_indextoname wrote a NUL-terminated name into `name`.
    let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    Ok(name.to_string_lossy().into_owned())
}
