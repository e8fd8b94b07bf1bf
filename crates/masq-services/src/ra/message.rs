//! The bytes of a router advertisement, and recognising a router solicitation.
//!
//! smoltcp's NDISC types write the header, the MTU and the Prefix Information options; the
//! RDNSS option (RFC 8106, type 25), which smoltcp does not model, is written through its
//! generic option type. The checksum is left zero: the kernel fills it in for raw ICMPv6
//! sockets (RFC 3542 section 3.1), since only it knows the source address it picks.

use std::net::Ipv6Addr;
use std::time::Duration;

use smoltcp::time::Duration as SmolDuration;
use smoltcp::wire::{
    Icmpv6Message, Icmpv6Packet, NdiscOption, NdiscOptionRepr, NdiscPrefixInfoFlags,
    NdiscPrefixInformation, NdiscRepr, NdiscRouterFlags,
};

/// RDNSS option type (RFC 8106 section 5.1).
const RDNSS: u8 = 25;
/// RDNSS option length in units of 8 bytes, for one address.
const RDNSS_UNITS: u8 = 3;

/// What one advertisement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advert {
    /// The LAN's prefix (network address).
    pub prefix: Ipv6Addr,
    /// Its length (64 for SLAAC).
    pub prefix_len: u8,
    /// How long hosts may use the gateway as default router; zero says "not a router".
    pub router_lifetime: Duration,
    /// How long addresses from the prefix stay valid.
    pub valid_lifetime: Duration,
    /// How long they stay preferred for new connections.
    pub preferred_lifetime: Duration,
    /// The LAN's MTU, so hosts never send more than the gateway can forward.
    pub mtu: u32,
    /// The DNS server to announce (the gateway's own address), with its lifetime.
    pub dns: Option<(Ipv6Addr, Duration)>,
}

/// The ICMPv6 message of a router advertisement for `a` (checksum left to the kernel).
pub fn router_advertisement(a: &Advert) -> Vec<u8> {
    let repr = NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: NdiscRouterFlags::empty(),
        router_lifetime: smol(a.router_lifetime),
        reachable_time: SmolDuration::from_millis(0),
        retrans_time: SmolDuration::from_millis(0),
        lladdr: None,
        mtu: Some(a.mtu),
        prefix_info: Some(NdiscPrefixInformation {
            prefix_len: a.prefix_len,
            flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
            valid_lifetime: smol(a.valid_lifetime),
            preferred_lifetime: smol(a.preferred_lifetime),
            prefix: a.prefix,
        }),
    };
    let base = repr.buffer_len();
    let rdnss_len = if a.dns.is_some() {
        usize::from(RDNSS_UNITS) * 8
    } else {
        0
    };
    let mut buf = vec![0u8; base + rdnss_len];
    repr.emit(&mut Icmpv6Packet::new_unchecked(&mut buf[..base]));
    if let Some((server, lifetime)) = a.dns {
        let mut data = [0u8; 22];
        data[2..6].copy_from_slice(&secs(lifetime).to_be_bytes());
        data[6..22].copy_from_slice(&server.octets());
        let option = NdiscOptionRepr::Unknown {
            type_: RDNSS,
            length: RDNSS_UNITS,
            data: &data,
        };
        option.emit(&mut NdiscOption::new_unchecked(&mut buf[base..]));
    }
    buf
}

/// Whether an ICMPv6 message (as a raw ICMPv6 socket returns it) is a router solicitation.
pub fn is_router_solicitation(icmp: &[u8]) -> bool {
    let Ok(packet) = Icmpv6Packet::new_checked(icmp) else {
        return false;
    };
    packet.msg_type() == Icmpv6Message::RouterSolicit && packet.msg_code() == 0
}

fn smol(d: Duration) -> SmolDuration {
    SmolDuration::from_secs(d.as_secs())
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advert() -> Advert {
        Advert {
            prefix: "fd00:6d71:1::".parse().unwrap(),
            prefix_len: 64,
            router_lifetime: Duration::from_secs(1800),
            valid_lifetime: Duration::from_secs(86_400),
            preferred_lifetime: Duration::from_secs(14_400),
            mtu: 1500,
            dns: Some(("fd00:6d71:1::1".parse().unwrap(), Duration::from_secs(1800))),
        }
    }

    #[test]
    fn advertisement_carries_prefix_mtu_and_dns() {
        let bytes = router_advertisement(&advert());
        // Header 16 + MTU 8 + Prefix Information 32 + RDNSS 24.
        assert_eq!(bytes.len(), 80);
        assert_eq!((bytes[0], bytes[1]), (134, 0), "type 134, code 0");
        assert_eq!(
            u16::from_be_bytes([bytes[6], bytes[7]]),
            1800,
            "router lifetime"
        );
        let packet = Icmpv6Packet::new_checked(&bytes[..56]).unwrap();
        let NdiscRepr::RouterAdvert {
            mtu, prefix_info, ..
        } = NdiscRepr::parse(&packet).unwrap()
        else {
            panic!("not an RA")
        };
        assert_eq!(mtu, Some(1500));
        let p = prefix_info.unwrap();
        assert_eq!(p.prefix_len, 64);
        assert_eq!(p.prefix, "fd00:6d71:1::".parse::<Ipv6Addr>().unwrap());
        assert!(
            p.flags
                .contains(NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF)
        );
        assert_eq!(p.valid_lifetime, SmolDuration::from_secs(86_400));
        let rdnss = &bytes[56..];
        assert_eq!((rdnss[0], rdnss[1]), (25, 3), "RDNSS, 3 units");
        assert_eq!(
            u32::from_be_bytes([rdnss[4], rdnss[5], rdnss[6], rdnss[7]]),
            1800
        );
        assert_eq!(
            Ipv6Addr::from(<[u8; 16]>::try_from(&rdnss[8..24]).unwrap()),
            "fd00:6d71:1::1".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn goodbye_has_router_lifetime_zero_and_no_dns_when_off() {
        let a = Advert {
            router_lifetime: Duration::ZERO,
            dns: None,
            ..advert()
        };
        let bytes = router_advertisement(&a);
        assert_eq!(bytes.len(), 56);
        assert_eq!(u16::from_be_bytes([bytes[6], bytes[7]]), 0);
    }

    #[test]
    fn solicitations_are_recognised() {
        let rs = [133u8, 0, 0, 0, 0, 0, 0, 0];
        assert!(is_router_solicitation(&rs));
        assert!(!is_router_solicitation(&[133, 1, 0, 0, 0, 0, 0, 0]));
        assert!(
            !is_router_solicitation(&[128, 0, 0, 0, 0, 0, 0, 0]),
            "echo request"
        );
        assert!(!is_router_solicitation(&[133]), "truncated");
        assert!(!is_router_solicitation(&router_advertisement(&advert())));
    }
}
