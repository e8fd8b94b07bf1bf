//! Routing-socket (`PF_ROUTE`) messages: the `RTM_GET` request for the default route, the
//! parser of the kernel's answer, and the classification of unsolicited messages that may
//! mean the uplink changed (the roaming seam).
//!
//! Layout (Darwin `<net/route.h>`, the same on x86_64 and arm64): a 92-byte `rt_msghdr`,
//! then one sockaddr per bit set in `rtm_addrs`, in bit order (DST, GATEWAY, NETMASK,
//! GENMASK, IFP, IFA, AUTHOR, BRD), each padded to a multiple of 4 bytes; a sockaddr of
//! length 0 still takes 4 bytes. Parsing is bounds-checked throughout and never panics: a
//! message that does not fit is an error, never a guess.

use std::net::Ipv4Addr;

/// `sizeof(struct rt_msghdr)`.
pub(crate) const RT_MSGHDR_LEN: usize = 92;
/// `RTM_VERSION`.
const RTM_VERSION: u8 = 5;
/// Message types.
const RTM_ADD: u8 = 0x1;
const RTM_DELETE: u8 = 0x2;
const RTM_CHANGE: u8 = 0x3;
/// `RTM_GET`: look a route up.
pub(crate) const RTM_GET: u8 = 0x4;
const RTM_NEWADDR: u8 = 0xc;
const RTM_DELADDR: u8 = 0xd;
const RTM_IFINFO: u8 = 0xe;
/// `rtm_addrs` bits.
const RTA_DST: i32 = 0x1;
const RTA_GATEWAY: i32 = 0x2;
const RTA_NETMASK: i32 = 0x4;
const RTA_IFP: i32 = 0x10;
/// Number of sockaddr slots (`RTAX_MAX`).
const RTAX_MAX: usize = 8;
/// `RTF_UP | RTF_GATEWAY | RTF_STATIC` as `route get` sets them.
const RTF_UP: i32 = 0x1;
const RTF_GATEWAY: i32 = 0x2;
const RTF_STATIC: i32 = 0x800;
/// Darwin address families.
const AF_INET: u8 = 2;
const AF_LINK: u8 = 18;
/// `sizeof(struct sockaddr_in)` and `sizeof(struct sockaddr_dl)`.
const SOCKADDR_IN_LEN: u8 = 16;
const SOCKADDR_DL_LEN: u8 = 20;

/// Byte offsets in `rt_msghdr`.
mod field {
    use std::ops::Range;
    pub(super) const MSGLEN: Range<usize> = 0..2;
    pub(super) const VERSION: usize = 2;
    pub(super) const TYPE: usize = 3;
    pub(super) const INDEX: Range<usize> = 4..6;
    pub(super) const FLAGS: Range<usize> = 8..12;
    pub(super) const ADDRS: Range<usize> = 12..16;
    pub(super) const PID: Range<usize> = 16..20;
    pub(super) const SEQ: Range<usize> = 20..24;
    pub(super) const ERRNO: Range<usize> = 24..28;
}

/// Why a routing message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RouteMsgError {
    /// Shorter than its header or than its own length field says.
    #[error("routing message truncated ({len} bytes)")]
    Truncated {
        /// Bytes received.
        len: usize,
    },
    /// Written for another routing-socket ABI.
    #[error("routing message version {0}, expected {RTM_VERSION}")]
    Version(u8),
    /// The kernel answered the lookup with an error (ESRCH: no default route).
    #[error("the kernel answered the route lookup with errno {0}")]
    Errno(i32),
    /// A sockaddr runs past the end of the message.
    #[error("a route address runs past the end of the message")]
    BadAddress,
}

/// The parts of a route message masq uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteReply {
    /// Message type.
    pub(crate) kind: u8,
    /// Interface index the route goes out of.
    pub(crate) index: u16,
    /// Sender's pid (ours for an answer to our request).
    pub(crate) pid: i32,
    /// Sequence number (ours for an answer to our request).
    pub(crate) seq: i32,
    /// IPv4 next hop, if the route has one.
    pub(crate) gateway: Option<Ipv4Addr>,
    /// Interface name from the `RTA_IFP` link address, if present.
    pub(crate) ifp_name: Option<String>,
}

/// The `RTM_GET` request for the IPv4 default route (destination and netmask 0.0.0.0), asking
/// for the interface's link address too (`RTA_IFP`), as `route -n get default` does.
pub(crate) fn default_route_request(pid: i32, seq: i32) -> Vec<u8> {
    let total = RT_MSGHDR_LEN + 2 * usize::from(SOCKADDR_IN_LEN) + usize::from(SOCKADDR_DL_LEN);
    let mut msg = vec![0u8; total];
    // `total` is 144, which fits u16.
    msg[field::MSGLEN].copy_from_slice(&(total as u16).to_ne_bytes());
    msg[field::VERSION] = RTM_VERSION;
    msg[field::TYPE] = RTM_GET;
    msg[field::FLAGS].copy_from_slice(&(RTF_UP | RTF_GATEWAY | RTF_STATIC).to_ne_bytes());
    msg[field::ADDRS].copy_from_slice(&(RTA_DST | RTA_NETMASK | RTA_IFP).to_ne_bytes());
    msg[field::PID].copy_from_slice(&pid.to_ne_bytes());
    msg[field::SEQ].copy_from_slice(&seq.to_ne_bytes());
    let mut at = RT_MSGHDR_LEN;
    for _ in 0..2 {
        // sockaddr_in 0.0.0.0 for the destination, then the netmask.
        msg[at] = SOCKADDR_IN_LEN;
        msg[at + 1] = AF_INET;
        at += usize::from(SOCKADDR_IN_LEN);
    }
    msg[at] = SOCKADDR_DL_LEN;
    msg[at + 1] = AF_LINK;
    msg
}

/// Parses one routing message (native byte order, as the kernel writes it).
pub(crate) fn parse(msg: &[u8]) -> Result<RouteReply, RouteMsgError> {
    let truncated = RouteMsgError::Truncated { len: msg.len() };
    if msg.len() < RT_MSGHDR_LEN {
        return Err(truncated);
    }
    let msglen = usize::from(u16::from_ne_bytes([msg[0], msg[1]]));
    if msglen < RT_MSGHDR_LEN || msglen > msg.len() {
        return Err(truncated);
    }
    let msg = &msg[..msglen];
    if msg[field::VERSION] != RTM_VERSION {
        return Err(RouteMsgError::Version(msg[field::VERSION]));
    }
    let errno = i32_at(msg, field::ERRNO);
    if errno != 0 {
        return Err(RouteMsgError::Errno(errno));
    }
    let addrs = i32_at(msg, field::ADDRS);
    let mut reply = RouteReply {
        kind: msg[field::TYPE],
        index: u16::from_ne_bytes([msg[field::INDEX.start], msg[field::INDEX.start + 1]]),
        pid: i32_at(msg, field::PID),
        seq: i32_at(msg, field::SEQ),
        gateway: None,
        ifp_name: None,
    };
    let mut rest = &msg[RT_MSGHDR_LEN..];
    for slot in 0..RTAX_MAX {
        if addrs & (1 << slot) == 0 {
            continue;
        }
        let Some(&len) = rest.first() else {
            return Err(RouteMsgError::BadAddress);
        };
        let step = padded(len);
        if step > rest.len() {
            return Err(RouteMsgError::BadAddress);
        }
        let sa = &rest[..usize::from(len)];
        match 1 << slot {
            RTA_GATEWAY => reply.gateway = ipv4_of(sa),
            RTA_IFP => reply.ifp_name = link_name(sa),
            _ => {}
        }
        rest = &rest[step..];
    }
    Ok(reply)
}

/// What an unsolicited routing message means for the uplink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UplinkHint {
    /// A route, address or interface state changed: look the default route up again.
    Recheck,
    /// Nothing that can move the uplink (e.g. another process's lookup).
    Irrelevant,
}

/// The roaming seam: whether a message read from a `PF_ROUTE` socket calls for looking the
/// uplink up again. Only the header common to every routing message (length, version, type)
/// is read, since interface messages (`RTM_IFINFO`) use `if_msghdr`, not `rt_msghdr`; a
/// message too short even for that is treated as a reason to re-check.
pub(crate) fn uplink_hint(msg: &[u8]) -> UplinkHint {
    let Some(&kind) = msg.get(field::TYPE) else {
        return UplinkHint::Recheck;
    };
    match kind {
        RTM_ADD | RTM_DELETE | RTM_CHANGE | RTM_NEWADDR | RTM_DELADDR | RTM_IFINFO => {
            UplinkHint::Recheck
        }
        _ => UplinkHint::Irrelevant,
    }
}

/// A sockaddr's length rounded up to 4, with 0 taking 4 bytes (Darwin's `ROUNDUP32`).
fn padded(len: u8) -> usize {
    match usize::from(len) {
        0 => 4,
        n => (n + 3) & !3,
    }
}

fn i32_at(msg: &[u8], range: std::ops::Range<usize>) -> i32 {
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(&msg[range]);
    i32::from_ne_bytes(bytes)
}

/// The address of a `sockaddr_in` (family 2, address at bytes 4..8).
fn ipv4_of(sa: &[u8]) -> Option<Ipv4Addr> {
    if sa.len() < 8 || sa[1] != AF_INET {
        return None;
    }
    Some(Ipv4Addr::new(sa[4], sa[5], sa[6], sa[7]))
}

/// The interface name of a `sockaddr_dl` (family 18, name length at byte 5, name at 8).
fn link_name(sa: &[u8]) -> Option<String> {
    if sa.len() < 8 || sa[1] != AF_LINK {
        return None;
    }
    let name = sa.get(8..8 + usize::from(sa[5]))?;
    let name = std::str::from_utf8(name).ok()?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer to `route -n get default` on a Mac whose default route is 192.168.1.1 via
    /// en0 (index 6): header, DST 0.0.0.0, GATEWAY 192.168.1.1, NETMASK with length 0,
    /// IFP `en0`, IFA 192.168.1.20.
    fn reply_fixture() -> Vec<u8> {
        let mut m = vec![0u8; RT_MSGHDR_LEN];
        m[field::VERSION] = RTM_VERSION;
        m[field::TYPE] = RTM_GET;
        m[4..6].copy_from_slice(&6u16.to_ne_bytes());
        m[field::FLAGS].copy_from_slice(&0x8043_i32.to_ne_bytes());
        let addrs = RTA_DST | RTA_GATEWAY | RTA_NETMASK | RTA_IFP | 0x20;
        m[field::ADDRS].copy_from_slice(&addrs.to_ne_bytes());
        m[field::PID].copy_from_slice(&4242i32.to_ne_bytes());
        m[field::SEQ].copy_from_slice(&7i32.to_ne_bytes());
        // DST 0.0.0.0
        m.extend_from_slice(&[16, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // GATEWAY 192.168.1.1
        m.extend_from_slice(&[16, 2, 0, 0, 192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        // NETMASK of length 0: four bytes of padding.
        m.extend_from_slice(&[0, 0, 0, 0]);
        // IFP: sockaddr_dl, index 6, type 6 (ethernet), nlen 3, alen 6, "en0" + MAC.
        m.extend_from_slice(&[
            20, 18, 6, 0, 6, 3, 6, 0, b'e', b'n', b'0', 0xa4, 0x83, 0xe7, 0x01, 0x02, 0x03, 0, 0, 0,
        ]);
        // IFA 192.168.1.20
        m.extend_from_slice(&[16, 2, 0, 0, 192, 168, 1, 20, 0, 0, 0, 0, 0, 0, 0, 0]);
        let len = m.len() as u16;
        m[0..2].copy_from_slice(&len.to_ne_bytes());
        m
    }

    #[test]
    fn request_layout() {
        let req = default_route_request(4242, 7);
        assert_eq!(req.len(), 144);
        assert_eq!(u16::from_ne_bytes([req[0], req[1]]), 144);
        assert_eq!(req[2], 5);
        assert_eq!(req[3], RTM_GET);
        assert_eq!(i32_at(&req, field::ADDRS), 0x15);
        assert_eq!(i32_at(&req, field::PID), 4242);
        assert_eq!(i32_at(&req, field::SEQ), 7);
        assert_eq!(&req[92..94], &[16, 2]);
        assert_eq!(&req[108..110], &[16, 2]);
        assert_eq!(&req[124..126], &[20, 18]);
        // The request parses as a message itself (no addresses of interest filled in).
        let parsed = parse(&req).unwrap();
        assert_eq!((parsed.pid, parsed.seq, parsed.gateway), (4242, 7, None));
    }

    #[test]
    fn reply_gives_index_gateway_and_name() {
        let reply = parse(&reply_fixture()).unwrap();
        assert_eq!(reply.kind, RTM_GET);
        assert_eq!(reply.index, 6);
        assert_eq!(reply.pid, 4242);
        assert_eq!(reply.seq, 7);
        assert_eq!(reply.gateway, Some(Ipv4Addr::new(192, 168, 1, 1)));
        assert_eq!(reply.ifp_name.as_deref(), Some("en0"));
    }

    #[test]
    fn kernel_errors_and_bad_messages_are_errors() {
        let mut no_route = reply_fixture();
        no_route[field::ERRNO].copy_from_slice(&3i32.to_ne_bytes());
        assert_eq!(parse(&no_route), Err(RouteMsgError::Errno(3)));

        let mut old = reply_fixture();
        old[field::VERSION] = 4;
        assert_eq!(parse(&old), Err(RouteMsgError::Version(4)));

        let full = reply_fixture();
        assert!(matches!(
            parse(&full[..50]),
            Err(RouteMsgError::Truncated { .. })
        ));
        // The length field claims more than was read.
        assert!(matches!(
            parse(&full[..full.len() - 1]),
            Err(RouteMsgError::Truncated { .. })
        ));
        // Shorten the length field so the last sockaddr no longer fits.
        let mut cut = full.clone();
        let short = (full.len() - 8) as u16;
        cut[0..2].copy_from_slice(&short.to_ne_bytes());
        assert_eq!(parse(&cut), Err(RouteMsgError::BadAddress));
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics() {
        let full = reply_fixture();
        for cut in 0..full.len() {
            let mut m = full[..cut].to_vec();
            if m.len() >= 2 {
                let len = m.len() as u16;
                m[0..2].copy_from_slice(&len.to_ne_bytes());
            }
            let _ = parse(&m);
            let _ = uplink_hint(&m);
        }
        let mut garbage = full.clone();
        for b in garbage.iter_mut().skip(RT_MSGHDR_LEN) {
            *b = 0xff;
        }
        let _ = parse(&garbage);
    }

    #[test]
    fn route_and_address_changes_call_for_a_recheck() {
        let mut m = reply_fixture();
        for (kind, hint) in [
            (RTM_ADD, UplinkHint::Recheck),
            (RTM_DELETE, UplinkHint::Recheck),
            (RTM_CHANGE, UplinkHint::Recheck),
            (RTM_NEWADDR, UplinkHint::Recheck),
            (RTM_DELADDR, UplinkHint::Recheck),
            (RTM_IFINFO, UplinkHint::Recheck),
            (RTM_GET, UplinkHint::Irrelevant),
        ] {
            m[field::TYPE] = kind;
            assert_eq!(uplink_hint(&m), hint, "type {kind}");
        }
        assert_eq!(uplink_hint(&[1, 2, 3]), UplinkHint::Recheck);
    }

    #[test]
    fn padding_rounds_to_four() {
        assert_eq!(padded(0), 4);
        assert_eq!(padded(1), 4);
        assert_eq!(padded(16), 16);
        assert_eq!(padded(17), 20);
        assert_eq!(padded(20), 20);
    }
}
