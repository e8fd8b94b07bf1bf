//! The two decisions `start` makes from its inputs on macOS, kept pure so they are tested on
//! every OS: which utun unit to ask for, and which LAN address and prefix the gateway uses.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::{InterfaceInfo, PlatformError};

/// Which utun unit a TUN name asks for: `utunN` asks for unit N; anything else (such as the
/// cross-platform default `masq0`) for the next free one (`None`), since macOS names utuns
/// itself.
pub(crate) fn requested_unit(tun_name: &str) -> Option<u32> {
    let digits = tun_name.strip_prefix("utun")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The utun units masq asks for when the TUN name leaves it the choice. Other programs (VPN
/// clients) take the next free unit, the lowest one; these are far above, so the pf rules a
/// crashed run left behind, which name its `utunN`, cannot steer the LAN into another
/// program's tunnel that happened to get the same unit before the next start removes them.
pub(crate) const OWN_UNITS: std::ops::Range<u32> = 180..188;

/// The units to try, in order: the one a `utunN` name asks for, else masq's own units and,
/// if all are taken, the next free one (`None`).
pub(crate) fn units_to_try(tun_name: &str) -> Vec<Option<u32>> {
    match requested_unit(tun_name) {
        Some(n) => vec![Some(n)],
        None => OWN_UNITS.map(Some).chain([None]).collect(),
    }
}

/// The gateway's LAN address: the one asked for, which the interface must already have
/// (masq does not add addresses on macOS, see `gateway.rs`), or the interface's first IPv4
/// address.
pub(crate) fn lan_network(
    wanted: Option<Ipv4Net>,
    lan: &InterfaceInfo,
) -> Result<Ipv4Net, PlatformError> {
    let has = |addr: Ipv4Addr, prefix: u8| lan.ipv4.iter().any(|&(a, p)| a == addr && p == prefix);
    match wanted {
        Some(net) if has(net.addr(), net.prefix_len()) => Ok(net),
        Some(net) => Err(PlatformError::InvalidLanAddress {
            addr: net,
            reason: "on macOS masq does not add addresses; configure it on the LAN interface first (System Settings, or Internet Sharing)",
        }),
        None => lan
            .ipv4
            .iter()
            .find_map(|&(a, p)| Ipv4Net::new(a, p).ok())
            .ok_or_else(|| PlatformError::NoLanAddress {
                lan: lan.name.clone(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge(ipv4: Vec<(Ipv4Addr, u8)>) -> InterfaceInfo {
        InterfaceInfo {
            name: "bridge100".into(),
            index: 12,
            ipv4,
            ipv6: Vec::new(),
            mtu: 1500,
        }
    }

    #[test]
    fn utun_units_from_names() {
        assert_eq!(requested_unit("utun7"), Some(7));
        assert_eq!(requested_unit("utun0"), Some(0));
        assert_eq!(requested_unit("masq0"), None);
        assert_eq!(requested_unit("utun"), None);
        assert_eq!(requested_unit("utun+1"), None);
        assert_eq!(requested_unit("utun99999999999"), None);
    }

    #[test]
    fn a_named_unit_is_the_only_one_tried_otherwise_masqs_own_high_units_first() {
        assert_eq!(units_to_try("utun3"), [Some(3)]);
        let tried = units_to_try("masq0");
        assert_eq!(tried.first(), Some(&Some(OWN_UNITS.start)));
        assert_eq!(
            tried.last(),
            Some(&None),
            "the next free unit as the last resort"
        );
        assert_eq!(tried.len(), OWN_UNITS.len() + 1);
    }

    #[test]
    fn lan_address_defaults_to_the_first_one() {
        let lan = bridge(vec![(Ipv4Addr::new(192, 168, 2, 1), 24)]);
        assert_eq!(
            lan_network(None, &lan).unwrap(),
            "192.168.2.1/24".parse::<Ipv4Net>().unwrap()
        );
    }

    #[test]
    fn a_requested_address_must_already_be_there() {
        let lan = bridge(vec![(Ipv4Addr::new(192, 168, 2, 1), 24)]);
        let same: Ipv4Net = "192.168.2.1/24".parse().unwrap();
        assert_eq!(lan_network(Some(same), &lan).unwrap(), same);
        let other: Ipv4Net = "10.9.0.1/24".parse().unwrap();
        let err = lan_network(Some(other), &lan).unwrap_err();
        assert!(err.to_string().contains("does not add addresses"), "{err}");
        assert!(matches!(
            lan_network(None, &bridge(Vec::new())),
            Err(PlatformError::NoLanAddress { .. })
        ));
    }
}
