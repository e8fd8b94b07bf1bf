//! What an `IcmpSendEcho2Ex` / `Icmp6SendEcho2` answer means, in the engine's terms.
//!
//! Windows does not give user programs the ICMP error messages themselves. For an echo sent
//! through the IP Helper API it reports a status code (ipexport.h `IP_STATUS`) and the
//! address of whoever answered: enough to relay "time exceeded from router R" (traceroute
//! `-I`) and the unreachable kinds, but not the ICMP code's finer distinctions, not the
//! next-hop MTU of "fragmentation needed" (reported as [`IcmpErrorKind::PacketTooBig`] with
//! MTU 0), and not the quoted original packet. IPv6 statuses reuse the IPv4 numbers with
//! other names (11004 is "protocol unreachable" for IPv4 and "administratively prohibited" for
//! IPv6), hence the family parameter.

use masq_vocab::{Family, IcmpErrorKind};

/// The echo was answered by its destination.
const IP_SUCCESS: u32 = 0;
/// IPv4 net unreachable / IPv6 no route.
const IP_DEST_NET_UNREACHABLE: u32 = 11002;
/// IPv4 host unreachable / IPv6 address unreachable.
const IP_DEST_HOST_UNREACHABLE: u32 = 11003;
/// IPv4 protocol unreachable / IPv6 administratively prohibited.
const IP_DEST_PROT_UNREACHABLE: u32 = 11004;
/// Port unreachable (both families).
const IP_DEST_PORT_UNREACHABLE: u32 = 11005;
/// Fragmentation needed / packet too big.
const IP_PACKET_TOO_BIG: u32 = 11009;
/// No answer within the timeout.
const IP_REQ_TIMED_OUT: u32 = 11010;
/// TTL (hop limit) expired in transit.
const IP_TTL_EXPIRED_TRANSIT: u32 = 11013;
/// TTL expired during reassembly.
const IP_TTL_EXPIRED_REASSEM: u32 = 11014;
/// Parameter problem.
const IP_PARAM_PROBLEM: u32 = 11015;
/// IPv6 destination scope mismatch ("beyond scope of source address").
const IP_DEST_SCOPE_MISMATCH: u32 = 11045;

/// The meaning of one echo's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EchoStatus {
    /// An echo reply from the destination.
    Reply,
    /// An ICMP error from the address reported with it.
    Error(IcmpErrorKind),
    /// Nothing came back in time (the LAN host's ping times out as it would anyway).
    TimedOut,
    /// A local failure or a status with no ICMP meaning; logged, nothing relayed.
    Other(u32),
}

/// Maps an `IP_STATUS` for an echo of `family`.
pub(crate) fn echo_status(family: Family, status: u32) -> EchoStatus {
    use IcmpErrorKind::*;
    let kind = match (family, status) {
        (_, IP_SUCCESS) => return EchoStatus::Reply,
        (_, IP_REQ_TIMED_OUT) => return EchoStatus::TimedOut,
        (_, IP_DEST_NET_UNREACHABLE) => NetUnreachable,
        (_, IP_DEST_HOST_UNREACHABLE) => HostUnreachable,
        (Family::V4, IP_DEST_PROT_UNREACHABLE) => ProtocolUnreachable,
        (Family::V6, IP_DEST_PROT_UNREACHABLE) => AdminProhibited,
        (_, IP_DEST_PORT_UNREACHABLE) => PortUnreachable,
        (_, IP_PACKET_TOO_BIG) => PacketTooBig { mtu: 0 },
        (_, IP_TTL_EXPIRED_TRANSIT | IP_TTL_EXPIRED_REASSEM) => TimeExceeded,
        (_, IP_PARAM_PROBLEM) => ParameterProblem,
        (Family::V6, IP_DEST_SCOPE_MISMATCH) => HostUnreachable,
        (_, other) => return EchoStatus::Other(other),
    };
    EchoStatus::Error(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IcmpErrorKind::*;

    #[test]
    fn replies_timeouts_and_traceroute_hops() {
        assert_eq!(echo_status(Family::V4, 0), EchoStatus::Reply);
        assert_eq!(echo_status(Family::V6, 11010), EchoStatus::TimedOut);
        assert_eq!(
            echo_status(Family::V4, 11013),
            EchoStatus::Error(TimeExceeded)
        );
        assert_eq!(
            echo_status(Family::V6, 11013),
            EchoStatus::Error(TimeExceeded)
        );
    }

    #[test]
    fn shared_numbers_differ_by_family() {
        assert_eq!(
            echo_status(Family::V4, 11004),
            EchoStatus::Error(ProtocolUnreachable)
        );
        assert_eq!(
            echo_status(Family::V6, 11004),
            EchoStatus::Error(AdminProhibited)
        );
        assert_eq!(echo_status(Family::V4, 11045), EchoStatus::Other(11045));
    }

    #[test]
    fn unreachable_kinds_and_unknowns() {
        assert_eq!(
            echo_status(Family::V4, 11002),
            EchoStatus::Error(NetUnreachable)
        );
        assert_eq!(
            echo_status(Family::V4, 11003),
            EchoStatus::Error(HostUnreachable)
        );
        assert_eq!(
            echo_status(Family::V4, 11009),
            EchoStatus::Error(PacketTooBig { mtu: 0 })
        );
        assert_eq!(echo_status(Family::V4, 11050), EchoStatus::Other(11050));
    }
}
