//! ICMP echo on Windows through the IP Helper API (`IcmpSendEcho2Ex`, `Icmp6SendEcho2`).
//!
//! Windows offers unprivileged programs no ping socket; raw ICMP sockets need a firewall
//! exception and see every ICMP packet of the host. The IP Helper API sends an echo from a
//! given source address with a given TTL and returns the answer: the reply, or the status and
//! address of the router that reported an error (enough for `traceroute -I` through masq; see
//! `win_logic::icmp_status` for what is lost). Each call blocks until the answer or the
//! timeout, so the runtime runs it on tokio's blocking pool, one call per echo.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use masq_vocab::{Family, IcmpErrorReport};
use windows_sys::Win32::Foundation::{GetLastError, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    ICMP_ECHO_REPLY, ICMPV6_ECHO_REPLY_LH, IP_OPTION_INFORMATION, Icmp6CreateFile,
    Icmp6ParseReplies, Icmp6SendEcho2, IcmpCloseHandle, IcmpCreateFile, IcmpSendEcho2Ex,
};
use windows_sys::Win32::Networking::WinSock::{
    AF_INET6, IN6_ADDR, IN6_ADDR_0, SOCKADDR_IN6, SOCKADDR_IN6_0,
};

use crate::sockets::Uplink;
use crate::win_logic::icmp_status::{EchoStatus, echo_status};

/// Room after the reply structure for the IO_STATUS_BLOCK and an ICMP error's extra bytes.
const REPLY_SLACK: usize = 8 + 64;

/// The answer to one echo request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchoOutcome {
    /// The destination answered.
    Reply {
        /// Who answered.
        from: IpAddr,
        /// The echoed data.
        data: Vec<u8>,
    },
    /// A router or the destination reported an error about the request.
    Error(IcmpErrorReport),
    /// No answer in time, or an answer Windows could not classify.
    NoAnswer,
}

/// Sends ICMP echo requests from the uplink's address.
#[derive(Debug, Clone)]
pub struct IcmpEcho {
    family: Family,
    source: IpAddr,
}

impl IcmpEcho {
    /// Echoes of `family` from the uplink's address for that family.
    pub fn open(uplink: &Uplink, family: Family) -> io::Result<IcmpEcho> {
        Ok(IcmpEcho {
            family,
            source: uplink.source(family)?,
        })
    }

    /// The source address echoes are sent from.
    pub fn local(&self) -> SocketAddr {
        SocketAddr::new(self.source, 0)
    }

    /// Sends one echo request and waits up to `timeout` for its answer (blocking).
    pub fn send(
        &self,
        dst: IpAddr,
        seq: u16,
        ttl: u8,
        payload: &[u8],
        timeout: Duration,
    ) -> io::Result<EchoOutcome> {
        let size = u16::try_from(payload.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "echo payload larger than 65535 bytes",
            )
        })?;
        let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let options = IP_OPTION_INFORMATION {
            Ttl: ttl,
            Tos: 0,
            Flags: 0,
            OptionsSize: 0,
            OptionsData: std::ptr::null_mut(),
        };
        let handle = Handle::open(self.family)?;
        let (status, from, data) = match (self.source, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                echo_v4(&handle, src, dst, payload, size, &options, timeout_ms)
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                echo_v6(&handle, src, dst, payload, size, &options, timeout_ms)
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "echo destination and source are of different IP versions",
                ));
            }
        };
        Ok(match echo_status(self.family, status) {
            EchoStatus::Reply => EchoOutcome::Reply {
                from: from.unwrap_or(dst),
                data,
            },
            EchoStatus::Error(kind) => EchoOutcome::Error(IcmpErrorReport {
                offender: from.unwrap_or(dst),
                kind,
                original_dst: SocketAddr::new(dst, 0),
                payload: echo_header(self.family, seq, payload),
            }),
            EchoStatus::TimedOut => EchoOutcome::NoAnswer,
            EchoStatus::Other(code) => {
                tracing::debug!(code, %dst, "echo ended with an unclassified IP Helper status");
                EchoOutcome::NoAnswer
            }
        })
    }
}

/// The echo request as it went out (type, code, checksum, identifier, sequence, data): what
/// an ICMP error quotes, so the engine can rebuild the LAN host's own request.
fn echo_header(family: Family, seq: u16, payload: &[u8]) -> Vec<u8> {
    let ty = match family {
        Family::V4 => 8,
        Family::V6 => 128,
    };
    let mut msg = Vec::with_capacity(8 + payload.len());
    msg.extend_from_slice(&[ty, 0, 0, 0, 0, 0]);
    msg.extend_from_slice(&seq.to_be_bytes());
    msg.extend_from_slice(payload);
    msg
}

/// An IcmpCreateFile / Icmp6CreateFile handle, closed on drop.
struct Handle(HANDLE);

impl Handle {
    fn open(family: Family) -> io::Result<Handle> {
        // SAFETY: no arguments; the result is checked.
        let h = unsafe {
            match family {
                Family::V4 => IcmpCreateFile(),
                Family::V6 => Icmp6CreateFile(),
            }
        };
        if h == INVALID_HANDLE_VALUE || h.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(Handle(h))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from IcmpCreateFile and is closed exactly once.
        unsafe { IcmpCloseHandle(self.0) };
    }
}

fn echo_v4(
    handle: &Handle,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    payload: &[u8],
    size: u16,
    options: &IP_OPTION_INFORMATION,
    timeout_ms: u32,
) -> (u32, Option<IpAddr>, Vec<u8>) {
    let header = std::mem::size_of::<ICMP_ECHO_REPLY>();
    let mut buf = vec![0u64; (header + payload.len() + REPLY_SLACK).div_ceil(8)];
    let buf_len = (buf.len() * 8) as u32;
    // SAFETY: every pointer is valid for the call; the reply buffer (8-byte aligned, as the
    // reply structure needs) is writable for `buf_len` bytes; no event or APC, so the call
    // completes synchronously.
    let count = unsafe {
        IcmpSendEcho2Ex(
            handle.0,
            std::ptr::null_mut(),
            None,
            std::ptr::null(),
            u32::from(src).to_be(),
            u32::from(dst).to_be(),
            payload.as_ptr().cast(),
            size,
            options,
            buf.as_mut_ptr().cast(),
            buf_len,
            timeout_ms,
        )
    };
    // SAFETY: the buffer starts with an ICMP_ECHO_REPLY the call filled in (zeroes if not).
    let reply = unsafe { &*(buf.as_ptr().cast::<ICMP_ECHO_REPLY>()) };
    if count == 0 && reply.Status == 0 {
        // SAFETY: reads the calling thread's last error, which holds the IP_STATUS.
        return (unsafe { GetLastError() }, None, Vec::new());
    }
    let from = IpAddr::V4(Ipv4Addr::from(u32::from_be(reply.Address)));
    let data = if reply.Data.is_null() {
        Vec::new()
    } else {
        let len = usize::from(reply.DataSize).min(payload.len());
        // SAFETY: Data points into `buf` at DataSize echoed bytes, bounded by what was sent.
        unsafe { std::slice::from_raw_parts(reply.Data.cast::<u8>(), len) }.to_vec()
    };
    (reply.Status, Some(from), data)
}

fn sockaddr_v6(addr: Ipv6Addr) -> SOCKADDR_IN6 {
    SOCKADDR_IN6 {
        sin6_family: AF_INET6,
        sin6_port: 0,
        sin6_flowinfo: 0,
        sin6_addr: IN6_ADDR {
            u: IN6_ADDR_0 {
                Byte: addr.octets(),
            },
        },
        Anonymous: SOCKADDR_IN6_0 { sin6_scope_id: 0 },
    }
}

fn echo_v6(
    handle: &Handle,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    payload: &[u8],
    size: u16,
    options: &IP_OPTION_INFORMATION,
    timeout_ms: u32,
) -> (u32, Option<IpAddr>, Vec<u8>) {
    let header = std::mem::size_of::<ICMPV6_ECHO_REPLY_LH>();
    let mut buf = vec![0u64; (header + payload.len() + REPLY_SLACK).div_ceil(8)];
    let buf_len = (buf.len() * 8) as u32;
    let src = sockaddr_v6(src);
    let dst_sa = sockaddr_v6(dst);
    // SAFETY: as in `echo_v4`; the addresses outlive the call.
    let count = unsafe {
        Icmp6SendEcho2(
            handle.0,
            std::ptr::null_mut(),
            None,
            std::ptr::null(),
            &src,
            &dst_sa,
            payload.as_ptr().cast(),
            size,
            options,
            buf.as_mut_ptr().cast(),
            buf_len,
            timeout_ms,
        )
    };
    if count == 0 {
        // SAFETY: reads the calling thread's last error, which holds the IP_STATUS.
        let status = unsafe { GetLastError() };
        // SAFETY: the buffer is ours and `buf_len` long.
        if unsafe { Icmp6ParseReplies(buf.as_mut_ptr().cast(), buf_len) } == 0 {
            return (status, None, Vec::new());
        }
    }
    // SAFETY: the buffer starts with an ICMPV6_ECHO_REPLY the call filled in.
    let reply = unsafe { &*(buf.as_ptr().cast::<ICMPV6_ECHO_REPLY_LH>()) };
    // IPV6_ADDRESS_EX is packed: copy the words out before touching them.
    let words = reply.Address.sin6_addr;
    let status = reply.Status;
    let mut octets = [0u8; 16];
    for (i, word) in words.iter().enumerate() {
        octets[2 * i..2 * i + 2].copy_from_slice(&word.to_ne_bytes());
    }
    let from = IpAddr::V6(Ipv6Addr::from(octets));
    let bytes: &[u8] =
        // SAFETY: `buf` is `buf_len` bytes of initialized memory.
        unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), buf_len as usize) };
    let data = bytes
        .get(header..header + payload.len())
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    (status, Some(from), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_header_carries_the_sequence_number() {
        let h = echo_header(Family::V4, 0x0102, b"abc");
        assert_eq!(h, vec![8, 0, 0, 0, 0, 0, 1, 2, b'a', b'b', b'c']);
        assert_eq!(echo_header(Family::V6, 0, b"")[0], 128);
    }

    #[test]
    fn v6_sockaddr_keeps_the_address_bytes() {
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let sa = sockaddr_v6(a);
        // SAFETY: the union was written through `Byte`.
        assert_eq!(unsafe { sa.sin6_addr.u.Byte }, a.octets());
    }
}
