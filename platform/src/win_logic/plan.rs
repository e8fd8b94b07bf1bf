//! What steering changes on Windows, computed from the LAN's address plan.
//!
//! Windows chooses a forwarded packet's route by destination only, so masq makes its adapter
//! the best route for every destination: `0.0.0.0/1` and `128.0.0.0/1` on the adapter beat
//! any `0.0.0.0/0` without replacing it (the halves are more specific), and removing them (or
//! the adapter vanishing) restores the host's own default route untouched. The host's own
//! connections then also enter masq; the engine serves only sources inside the LAN prefix, so
//! the adapter gets an address inside it: the highest host address that is not the gateway's
//! (`.254` in a /24). Keep that address out of any DHCP pool on the LAN.
//!
//! masq's own uplink sockets never loop into the adapter: they are bound to the uplink's
//! address (the strong host model only sends such packets out of the interface owning it)
//! and pinned with `IP_UNICAST_IF`.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::PlatformError;

/// The routes masq puts on its adapter: the two halves of the IPv4 space.
pub(crate) const STEERING_ROUTES: [(Ipv4Addr, u8); 2] = [
    (Ipv4Addr::new(0, 0, 0, 0), 1),
    (Ipv4Addr::new(128, 0, 0, 0), 1),
];

/// Route metric of the steering routes; with the adapter's interface metric 0 they win over
/// every default route, whose prefix is shorter anyway.
pub(crate) const STEERING_ROUTE_METRIC: u32 = 0;

/// The largest LAN prefix length that leaves room for the gateway, the adapter and one host.
pub(crate) const MAX_LAN_PREFIX: u8 = 29;

/// The adapter's own address: the highest host address of `lan` that is not the gateway's.
pub(crate) fn adapter_address(lan: Ipv4Net) -> Result<Ipv4Addr, PlatformError> {
    if lan.prefix_len() > MAX_LAN_PREFIX {
        return Err(PlatformError::InvalidLanAddress {
            addr: lan,
            reason: "on Windows the LAN prefix must be /29 or shorter: masq's adapter takes one address of it besides the gateway's",
        });
    }
    let last_host = u32::from(lan.broadcast()) - 1;
    let gateway = u32::from(lan.addr());
    let chosen = if last_host == gateway {
        last_host - 1
    } else {
        last_host
    };
    Ok(Ipv4Addr::from(chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn adapter_takes_the_highest_free_host_address() {
        assert_eq!(
            adapter_address(net("192.168.137.1/24")).unwrap(),
            Ipv4Addr::new(192, 168, 137, 254)
        );
        assert_eq!(
            adapter_address(net("192.168.137.254/24")).unwrap(),
            Ipv4Addr::new(192, 168, 137, 253)
        );
        assert_eq!(
            adapter_address(net("10.1.2.1/29")).unwrap(),
            Ipv4Addr::new(10, 1, 2, 6)
        );
    }

    #[test]
    fn adapter_address_is_inside_the_lan_and_not_the_gateway() {
        for text in [
            "10.0.0.1/8",
            "172.16.5.9/20",
            "192.168.0.6/29",
            "192.168.1.100/24",
        ] {
            let lan = net(text);
            let a = adapter_address(lan).unwrap();
            assert!(lan.contains(&a), "{text}: {a}");
            assert_ne!(a, lan.addr(), "{text}");
            assert_ne!(a, lan.broadcast(), "{text}");
            assert_ne!(a, lan.network(), "{text}");
        }
    }

    #[test]
    fn tiny_lans_are_refused_with_the_reason() {
        let err = adapter_address(net("192.168.0.1/30")).unwrap_err();
        assert!(err.to_string().contains("/29"), "{err}");
    }

    #[test]
    fn the_halves_cover_the_whole_ipv4_space_and_nothing_twice() {
        let halves: Vec<Ipv4Net> = STEERING_ROUTES
            .iter()
            .map(|(a, p)| Ipv4Net::new(*a, *p).unwrap())
            .collect();
        assert!(halves[0].contains(&Ipv4Addr::new(127, 255, 255, 255)));
        assert!(!halves[0].contains(&Ipv4Addr::new(128, 0, 0, 0)));
        assert!(halves[1].contains(&Ipv4Addr::new(128, 0, 0, 0)));
        assert!(halves[1].contains(&Ipv4Addr::new(255, 255, 255, 255)));
        assert_eq!(Ipv4Net::aggregate(&halves), vec![net("0.0.0.0/0")]);
    }
}
