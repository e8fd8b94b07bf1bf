//! Many datagrams per system call on Linux (`recvmmsg`).
//!
//! A download over UDP arrives as tens of thousands of datagrams a second on one mapping's
//! socket; reading them one `recvfrom` at a time costs a system call each, in the one thread
//! that also writes them to the adapter. `recvmmsg` takes up to [`SLOTS`] in one call. Each
//! slot holds the largest datagram, so nothing is ever cut short; the buffer is allocated
//! zeroed, and the OS only backs the pages a datagram actually touches.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use socket2::Socket;

use super::DATAGRAM_MAX;

/// Datagrams per call: a burst at 1 Gbit/s between two loop turns fits in a few calls.
pub(super) const SLOTS: usize = 16;

/// The receive slots, reused for every call.
pub(super) struct RecvMany {
    buf: Box<[u8]>,
}

impl RecvMany {
    pub(super) fn new() -> RecvMany {
        RecvMany {
            buf: vec![0u8; SLOTS * DATAGRAM_MAX].into_boxed_slice(),
        }
    }

    /// Reads what waits on `sock`, at most [`SLOTS`] datagrams, and hands each to `each`
    /// with its sender. Returns how many were read; `WouldBlock` when none waited.
    pub(super) fn recv(
        &mut self,
        sock: &Socket,
        mut each: impl FnMut(SocketAddr, &[u8]),
    ) -> io::Result<usize> {
        // SAFETY: all-zero bytes are valid values of these plain C structs.
        let mut iovs: [libc::iovec; SLOTS] = unsafe { zeroed() };
        let mut names: [libc::sockaddr_storage; SLOTS] = unsafe { zeroed() };
        let mut hdrs: [libc::mmsghdr; SLOTS] = unsafe { zeroed() };
        for (i, chunk) in self.buf.chunks_mut(DATAGRAM_MAX).enumerate().take(SLOTS) {
            iovs[i] = libc::iovec {
                iov_base: chunk.as_mut_ptr().cast(),
                iov_len: chunk.len(),
            };
            let h = &mut hdrs[i].msg_hdr;
            h.msg_iov = &mut iovs[i];
            h.msg_iovlen = 1;
            h.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        }
        // SAFETY: every header points at its own iovec and address slot, and every iovec at
        // its own part of `self.buf`; all of them live on this frame or in `self` for the
        // whole call, and the kernel writes at most the lengths given.
        let n = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                hdrs.as_mut_ptr(),
                SLOTS as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        for (i, (hdr, name)) in hdrs.iter().zip(&names).enumerate().take(n) {
            let len = (hdr.msg_len as usize).min(DATAGRAM_MAX);
            let start = i * DATAGRAM_MAX;
            // A sender that is not an IP address cannot happen on our sockets; skip it.
            if let Some(from) = socket_addr(name) {
                each(from, &self.buf[start..start + len]);
            }
        }
        Ok(n)
    }
}

/// The IPv4 or IPv6 address the kernel wrote into `name`.
fn socket_addr(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it is large and
            // aligned enough for.
            let a =
                unsafe { &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a =
                unsafe { &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Protocol, Type};

    fn bound(addr: &str) -> Socket {
        let a: SocketAddr = addr.parse().unwrap();
        let s = Socket::new(Domain::for_address(a), Type::DGRAM, Some(Protocol::UDP)).unwrap();
        s.bind(&a.into()).unwrap();
        s
    }

    #[test]
    fn reads_a_burst_in_order_with_senders_and_says_when_empty() {
        for family in ["127.0.0.1:0", "[::1]:0"] {
            let rx = bound(family);
            let tx = bound(family);
            let to = rx.local_addr().unwrap();
            let from = tx.local_addr().unwrap().as_socket().unwrap();
            // One near the largest UDP payload, so a slot must hold a whole 64 KiB datagram.
            let size = |i: usize| if i == 2 { 65_000 } else { 100 + i };
            let sent: Vec<Vec<u8>> = (0..SLOTS + 3).map(|i| vec![i as u8; size(i)]).collect();
            for d in &sent {
                tx.send_to(d, &to).unwrap();
            }
            let mut many = RecvMany::new();
            let mut got = Vec::new();
            let first = many.recv(&rx, |f, d| got.push((f, d.to_vec()))).unwrap();
            assert_eq!(first, SLOTS, "{family}: a full batch first");
            let second = many.recv(&rx, |f, d| got.push((f, d.to_vec()))).unwrap();
            assert_eq!(second, 3, "{family}");
            assert!(got.iter().all(|(f, _)| *f == from), "{family}: senders");
            let data: Vec<Vec<u8>> = got.into_iter().map(|(_, d)| d).collect();
            assert_eq!(data, sent, "{family}: every datagram whole, in order");
            let empty = many.recv(&rx, |_, _| panic!("nothing waits"));
            assert_eq!(empty.unwrap_err().kind(), io::ErrorKind::WouldBlock);
        }
    }
}
