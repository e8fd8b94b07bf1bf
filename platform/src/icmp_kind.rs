//! ICMP type/code → [`IcmpErrorKind`]: what an ICMP error seen on an uplink socket means, in
//! the engine's IP-version-independent terms.
//!
//! The tables follow RFC 792 / RFC 1812 section 5.2.7.1 (ICMPv4 destination unreachable codes)
//! and RFC 4443 section 3 (ICMPv6). Codes with no counterpart in the engine's vocabulary
//! return `None` and are ignored: inventing a meaning would mislead the hidden host.

use masq_vocab::{Family, IcmpErrorKind};

/// The meaning of an ICMP error; `info` is the kernel's `ee_info` (the next-hop MTU for
/// "fragmentation needed" / "packet too big"). `None` for types and codes that are not errors
/// the engine relays.
pub fn icmp_error_kind(
    family: Family,
    icmp_type: u8,
    code: u8,
    info: u32,
) -> Option<IcmpErrorKind> {
    match family {
        Family::V4 => icmpv4_kind(icmp_type, code, info),
        Family::V6 => icmpv6_kind(icmp_type, code, info),
    }
}

fn icmpv4_kind(icmp_type: u8, code: u8, info: u32) -> Option<IcmpErrorKind> {
    const DEST_UNREACHABLE: u8 = 3;
    const TIME_EXCEEDED: u8 = 11;
    const PARAMETER_PROBLEM: u8 = 12;
    match (icmp_type, code) {
        (TIME_EXCEEDED, _) => Some(IcmpErrorKind::TimeExceeded),
        (PARAMETER_PROBLEM, _) => Some(IcmpErrorKind::ParameterProblem),
        // 0 net, 6 net unknown, 11 net unreachable for TOS.
        (DEST_UNREACHABLE, 0 | 6 | 11) => Some(IcmpErrorKind::NetUnreachable),
        // 1 host, 5 source route failed, 7 host unknown, 8 source host isolated,
        // 12 host unreachable for TOS.
        (DEST_UNREACHABLE, 1 | 5 | 7 | 8 | 12) => Some(IcmpErrorKind::HostUnreachable),
        (DEST_UNREACHABLE, 2) => Some(IcmpErrorKind::ProtocolUnreachable),
        (DEST_UNREACHABLE, 3) => Some(IcmpErrorKind::PortUnreachable),
        (DEST_UNREACHABLE, 4) => Some(IcmpErrorKind::PacketTooBig { mtu: info }),
        // 9 net / 10 host administratively prohibited, 13 communication prohibited,
        // 14 host precedence violation, 15 precedence cutoff.
        (DEST_UNREACHABLE, 9 | 10 | 13 | 14 | 15) => Some(IcmpErrorKind::AdminProhibited),
        _ => None,
    }
}

fn icmpv6_kind(icmp_type: u8, code: u8, info: u32) -> Option<IcmpErrorKind> {
    const DEST_UNREACHABLE: u8 = 1;
    const PACKET_TOO_BIG: u8 = 2;
    const TIME_EXCEEDED: u8 = 3;
    const PARAMETER_PROBLEM: u8 = 4;
    match (icmp_type, code) {
        (DEST_UNREACHABLE, 0) => Some(IcmpErrorKind::NetUnreachable),
        // 1 administratively prohibited, 5 source address failed policy, 6 reject route.
        (DEST_UNREACHABLE, 1 | 5 | 6) => Some(IcmpErrorKind::AdminProhibited),
        // 2 beyond scope of source address, 3 address unreachable.
        (DEST_UNREACHABLE, 2 | 3) => Some(IcmpErrorKind::HostUnreachable),
        (DEST_UNREACHABLE, 4) => Some(IcmpErrorKind::PortUnreachable),
        (PACKET_TOO_BIG, _) => Some(IcmpErrorKind::PacketTooBig { mtu: info }),
        (TIME_EXCEEDED, _) => Some(IcmpErrorKind::TimeExceeded),
        (PARAMETER_PROBLEM, _) => Some(IcmpErrorKind::ParameterProblem),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IcmpErrorKind::*;

    #[test]
    fn icmpv4_table() {
        let v4 = |t, c| icmp_error_kind(Family::V4, t, c, 1400);
        assert_eq!(v4(11, 0), Some(TimeExceeded));
        assert_eq!(v4(11, 1), Some(TimeExceeded));
        assert_eq!(v4(3, 0), Some(NetUnreachable));
        assert_eq!(v4(3, 1), Some(HostUnreachable));
        assert_eq!(v4(3, 2), Some(ProtocolUnreachable));
        assert_eq!(v4(3, 3), Some(PortUnreachable));
        assert_eq!(v4(3, 4), Some(PacketTooBig { mtu: 1400 }));
        assert_eq!(v4(3, 9), Some(AdminProhibited));
        assert_eq!(v4(3, 10), Some(AdminProhibited));
        assert_eq!(v4(3, 13), Some(AdminProhibited));
        assert_eq!(v4(12, 0), Some(ParameterProblem));
        assert_eq!(v4(3, 16), None);
        assert_eq!(v4(0, 0), None, "echo reply is not an error");
        assert_eq!(v4(5, 1), None, "redirects are not relayed");
    }

    #[test]
    fn icmpv6_table() {
        let v6 = |t, c| icmp_error_kind(Family::V6, t, c, 1280);
        assert_eq!(v6(3, 0), Some(TimeExceeded));
        assert_eq!(v6(1, 0), Some(NetUnreachable));
        assert_eq!(v6(1, 1), Some(AdminProhibited));
        assert_eq!(v6(1, 3), Some(HostUnreachable));
        assert_eq!(v6(1, 4), Some(PortUnreachable));
        assert_eq!(v6(2, 0), Some(PacketTooBig { mtu: 1280 }));
        assert_eq!(v6(4, 1), Some(ParameterProblem));
        assert_eq!(v6(1, 7), None);
        assert_eq!(v6(129, 0), None, "echo reply is not an error");
    }

    #[test]
    fn same_numbers_mean_different_things_per_family() {
        assert_eq!(icmp_error_kind(Family::V4, 3, 0, 0), Some(NetUnreachable));
        assert_eq!(icmp_error_kind(Family::V6, 3, 0, 0), Some(TimeExceeded));
    }
}
