//! UDP and ICMP echo sockets in the Unix socket shell: datagrams out as the engine sends them,
//! datagrams and the kernel's queued ICMP errors in when the socket is ready.
//!
//! On Linux, consecutive UDP datagrams of one mapping to one destination with one TTL and DF are sent
//! as a single generic segmentation offload write (`UDP_SEGMENT`): the batch travels the
//! stack (and veth and forwarding) as one buffer and is cut into the original datagrams at
//! the device or the receiver. Every datagram of a batch but the last has the same size, as
//! the kernel requires; a batch is written when the next command does not fit it and at the
//! end of each loop turn, so nothing waits longer than the turn.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use masq_engine::{Family, SocketId};
use masq_platform::sockets as psock;
use socket2::Socket;
use tracing::{debug, trace};

use super::echo::{Kind, deliver, echo_ident, echo_request};
use super::turn::READS_PER_TURN;
use super::{ShellEvent, SocketEvent};

/// The receive buffers every datagram socket shares: one datagram at a time, or (Linux) a
/// batch per system call.
pub(super) struct RxBuffers {
    #[cfg(not(target_os = "linux"))]
    one: Box<[u8]>,
    #[cfg(target_os = "linux")]
    many: super::recv_many::RecvMany,
}

impl RxBuffers {
    pub(super) fn new() -> RxBuffers {
        RxBuffers {
            #[cfg(not(target_os = "linux"))]
            one: vec![0u8; super::DATAGRAM_MAX].into_boxed_slice(),
            #[cfg(target_os = "linux")]
            many: super::recv_many::RecvMany::new(),
        }
    }
}

/// Queued ICMP errors taken per readiness: the queue is finite, but never trust a loop on
/// OS state.
const ERRORS_PER_TURN: usize = 64;
/// Datagrams per segmentation-offload write (the kernel's limit is 64). Fewer than the
/// limit on purpose: a batch reaches the remote's socket as one burst, and at 1 Gbit/s of
/// 1400-byte datagrams the receiver of 64 (about 150 KiB of its 208 KiB buffer) overflowed
/// more often (9.4–9.9 % loss against 7.5–8.7 % with 16, in the same harness) for no saving
/// in CPU.
const GSO_SEGMENTS: usize = 16;
/// Bytes per segmentation-offload write (an IP packet's payload limit).
const GSO_BYTES: usize = 65_000;

/// Where and how one datagram leaves: its destination, and the IP header fields masq keeps
/// from the host's datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outgoing {
    pub dst: SocketAddr,
    pub ttl: u8,
    /// Send whole or fail (the host's DF bit): see `SocketCommand::UdpSend`.
    pub dont_fragment: bool,
}

/// Datagrams waiting to go out as one segmentation-offload write.
struct Batch {
    /// Every datagram of the batch leaves alike.
    to: Outgoing,
    /// Size of every datagram but the last.
    seg: usize,
    /// The datagrams, back to back.
    buf: Vec<u8>,
    count: usize,
    /// The last datagram was shorter than `seg`: nothing more may join.
    closed: bool,
}

/// One UDP mapping's or ICMP echo mapping's socket.
pub(super) struct Datagram {
    sock: Socket,
    family: Family,
    kind: Kind,
    /// TTL last set on the socket (set again only when a datagram needs another).
    ttl: Option<u8>,
    /// DF last set on the socket, likewise.
    dont_fragment: Option<bool>,
    /// UDP datagrams waiting to be written together.
    /// Boxed: present only within a loop turn, while every idle mapping keeps this struct.
    batch: Option<Box<Batch>>,
    /// Segmentation offload failed once on this socket: send one by one.
    no_gso: bool,
}

impl Datagram {
    pub(super) fn new(sock: Socket, family: Family, kind: Kind) -> Datagram {
        Datagram {
            sock,
            family,
            kind,
            ttl: None,
            dont_fragment: None,
            batch: None,
            no_gso: !cfg!(target_os = "linux"),
        }
    }

    pub(super) fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Queues one UDP datagram for the next batch write, or sends it at once where batching
    /// is not possible. Returns true when a batch now waits (the caller writes it at the end
    /// of the turn with [`Datagram::flush`]).
    pub(super) fn send_batched(
        &mut self,
        id: SocketId,
        payload: &[u8],
        to: Outgoing,
        out: &mut Vec<ShellEvent>,
    ) -> bool {
        if self.no_gso || self.kind != Kind::Udp || payload.is_empty() {
            self.flush(id, out);
            self.send_to(id, payload, to, out);
            return false;
        }
        if let Some(b) = &mut self.batch
            && !b.closed
            && b.to == to
            && payload.len() <= b.seg
            && b.count < GSO_SEGMENTS
            && b.buf.len() + payload.len() <= GSO_BYTES
        {
            b.buf.extend_from_slice(payload);
            b.count += 1;
            b.closed = payload.len() < b.seg;
            return true;
        }
        self.flush(id, out);
        self.batch = Some(Box::new(Batch {
            to,
            seg: payload.len(),
            buf: payload.to_vec(),
            count: 1,
            closed: false,
        }));
        true
    }

    /// Writes the waiting batch, if any.
    pub(super) fn flush(&mut self, id: SocketId, out: &mut Vec<ShellEvent>) {
        let Some(b) = self.batch.take() else {
            return;
        };
        if b.count == 1 {
            self.send_to(id, &b.buf, b.to, out);
            return;
        }
        self.set_header(b.to);
        // An ICMP error queued since the last write fails the next one (with IP_RECVERR):
        // report it and try once more.
        for attempt in 0..2 {
            match send_gso(&self.sock, &b.buf, b.to.dst, b.seg) {
                Ok(_) => return,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    trace!(dst = %b.to.dst, count = b.count, "send buffer full, batch dropped");
                    return;
                }
                Err(e) if offload_refused(&e) => {
                    debug!(error = %e, "segmentation offload refused; sending one by one");
                    self.no_gso = true;
                    for chunk in b.buf.chunks(b.seg) {
                        self.send_to(id, chunk, b.to, out);
                    }
                    return;
                }
                Err(e) => {
                    trace!(error = %e, attempt, "batch write failed");
                    self.drain_errors(id, out);
                }
            }
        }
    }

    /// Sends one datagram with the hidden host's TTL and DF. A full send buffer drops it, as
    /// a router's full queue would; one too big for the path with DF fails, and the error
    /// queue then holds the "too big" for the host.
    pub(super) fn send_to(
        &mut self,
        id: SocketId,
        payload: &[u8],
        to: Outgoing,
        out: &mut Vec<ShellEvent>,
    ) {
        self.set_header(to);
        if let Err(e) = self.sock.send_to(payload, &to.dst.into()) {
            trace!(error = %e, dst = %to.dst, "send failed");
            let from = out.len();
            self.drain_errors(id, out);
            if e.raw_os_error() == Some(libc::EMSGSIZE) {
                complete_local_too_big(&mut out[from..], to.dst, payload);
            }
        }
    }

    /// Sends one echo request.
    pub(super) fn echo(
        &mut self,
        id: SocketId,
        dst: IpAddr,
        seq: u16,
        ttl: u8,
        payload: &[u8],
        out: &mut Vec<ShellEvent>,
    ) {
        let msg = echo_request(self.family, echo_ident(id), seq, payload);
        let to = Outgoing {
            dst: SocketAddr::new(dst, 0),
            ttl,
            dont_fragment: false,
        };
        self.send_to(id, &msg, to, out);
    }

    /// Receives what waits; returns true if the turn's budget ran out with more to read.
    /// `rx` carries the shared receive buffers.
    pub(super) fn receive(
        &mut self,
        id: SocketId,
        rx: &mut RxBuffers,
        out: &mut Vec<ShellEvent>,
    ) -> bool {
        #[cfg(target_os = "linux")]
        for _ in 0..READS_PER_TURN.div_ceil(super::recv_many::SLOTS) {
            let kind = self.kind;
            match rx.many.recv(&self.sock, |from, data| {
                out.extend(deliver(kind, id, from, data).map(ShellEvent::from))
            }) {
                // Fewer than asked for: the queue is empty now, and the next datagram is a
                // new edge.
                Ok(n) if n < super::recv_many::SLOTS => return false,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A pending ICMP error surfaced as a failed read: its details are queued.
                Err(_) => self.drain_errors(id, out),
            }
        }
        #[cfg(not(target_os = "linux"))]
        for _ in 0..READS_PER_TURN {
            match recv_from(&self.sock, &mut rx.one) {
                Ok((n, from)) => {
                    out.extend(deliver(self.kind, id, from, &rx.one[..n]).map(ShellEvent::from))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A pending ICMP error surfaced as a failed read: its details are queued.
                Err(_) => self.drain_errors(id, out),
            }
        }
        true
    }

    /// Reports the ICMP errors the kernel queued for this socket.
    pub(super) fn drain_errors(&mut self, id: SocketId, out: &mut Vec<ShellEvent>) {
        for _ in 0..ERRORS_PER_TURN {
            match psock::take_icmp_error(&self.sock) {
                Ok(Some(report)) => {
                    out.push(ShellEvent::Socket(SocketEvent::IcmpError { id, report }))
                }
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Sets TTL and DF on the socket where they differ from the last datagram's.
    fn set_header(&mut self, to: Outgoing) {
        if self.ttl != Some(to.ttl) {
            match psock::set_ttl(&self.sock, self.family, to.ttl) {
                Ok(()) => self.ttl = Some(to.ttl),
                Err(e) => debug!(error = %e, ttl = to.ttl, "cannot set ttl"),
            }
        }
        if self.dont_fragment != Some(to.dont_fragment) {
            match psock::set_dont_fragment(&self.sock, self.family, to.dont_fragment) {
                Ok(()) => self.dont_fragment = Some(to.dont_fragment),
                Err(e) => debug!(error = %e, df = to.dont_fragment, "cannot set DF"),
            }
        }
    }
}

/// Fills in the "too big" the gateway's own stack queued while refusing `payload` (DF set,
/// larger than the uplink's path MTU): the kernel names the destination's address but not
/// its port (an unconnected socket has none) and keeps none of the datagram, and the host's
/// stack matches the error to its socket by both.
fn complete_local_too_big(events: &mut [ShellEvent], dst: SocketAddr, payload: &[u8]) {
    for event in events {
        if let ShellEvent::Socket(SocketEvent::IcmpError { report, .. }) = event
            && report.offender.is_unspecified()
            && report.original_dst.ip() == dst.ip()
        {
            report.original_dst = dst;
            if report.payload.is_empty() {
                report.payload = payload.to_vec();
            }
        }
    }
}

/// Errors that mean this path cannot take segmentation offload at all.
fn offload_refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::EOPNOTSUPP | libc::EIO | libc::EMSGSIZE)
    )
}

/// One write of back-to-back datagrams of `seg` bytes (the last may be shorter).
#[cfg(target_os = "linux")]
fn send_gso(sock: &Socket, buf: &[u8], dst: SocketAddr, seg: usize) -> io::Result<usize> {
    use std::os::fd::AsRawFd;

    use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrStorage, sendmsg};

    let seg = u16::try_from(seg).map_err(|_| io::Error::other("datagram too large"))?;
    let to = SockaddrStorage::from(dst);
    let iov = [io::IoSlice::new(buf)];
    sendmsg(
        sock.as_raw_fd(),
        &iov,
        &[ControlMessage::UdpGsoSegments(&seg)],
        MsgFlags::empty(),
        Some(&to),
    )
    .map_err(io::Error::from)
}

/// Not available: batches are never formed where this is compiled.
#[cfg(not(target_os = "linux"))]
fn send_gso(_: &Socket, _: &[u8], _: SocketAddr, _: usize) -> io::Result<usize> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(not(target_os = "linux"))]
fn recv_from(sock: &Socket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    use std::mem::MaybeUninit;

    // SAFETY: `recvfrom` writes at most `buf.len()` bytes into `buf` and never reads it;
    // treating initialized bytes as `MaybeUninit` is always sound.
    let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
    let (n, addr) = sock.recv_from(uninit)?;
    let from = addr.as_socket().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, "datagram from a non-IP address")
    })?;
    Ok((n, from))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use masq_engine::{IcmpErrorKind, IcmpErrorReport};

    use super::*;

    fn too_big(offender: Ipv4Addr, dst: &str) -> ShellEvent {
        ShellEvent::Socket(SocketEvent::IcmpError {
            id: SocketId(7),
            report: IcmpErrorReport {
                offender: offender.into(),
                kind: IcmpErrorKind::PacketTooBig { mtu: 1400 },
                original_dst: dst.parse().expect("address"),
                payload: Vec::new(),
            },
        })
    }

    #[test]
    fn only_the_gateways_own_too_big_for_that_address_is_completed() {
        let dst: SocketAddr = "203.0.113.10:7007".parse().expect("address");
        let mut events = [
            too_big(Ipv4Addr::UNSPECIFIED, "203.0.113.10:0"),
            too_big(Ipv4Addr::new(198, 51, 100, 1), "203.0.113.10:0"),
            too_big(Ipv4Addr::UNSPECIFIED, "203.0.113.99:0"),
        ];
        complete_local_too_big(&mut events, dst, b"datagram");
        let seen: Vec<(SocketAddr, Vec<u8>)> = events
            .iter()
            .map(|e| match e {
                ShellEvent::Socket(SocketEvent::IcmpError { report, .. }) => {
                    (report.original_dst, report.payload.clone())
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            seen,
            [
                (dst, b"datagram".to_vec()),
                ("203.0.113.10:0".parse().expect("address"), Vec::new()),
                ("203.0.113.99:0".parse().expect("address"), Vec::new()),
            ]
        );
    }
}
