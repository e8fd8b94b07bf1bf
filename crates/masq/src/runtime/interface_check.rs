//! Which interfaces a setting may name as the uplink or the LAN.
//!
//! The root daemon acts on whatever interface its settings name: it adds addresses, pins
//! sockets, serves DHCP and DNS there. Loopback would turn those services toward every local
//! process, and masq's own adapter would route the LAN into itself; a name that does not exist
//! is a typo the user should hear about when saving, not at the next start.

use std::net::IpAddr;

use anyhow::{Result, bail};
use masq_control::Settings;
use masq_platform::{InterfaceInfo, Ipv4Net};

use crate::prefixes::overlap;

use super::boot_wait::NotReady;

/// Checks `settings.uplink` and `settings.lan` against the interfaces present now; `running_tun`
/// is the adapter of a running session, if any.
pub(crate) fn check_interfaces(settings: &Settings, running_tun: Option<&str>) -> Result<()> {
    for (key, name) in [("uplink", &settings.uplink), ("lan", &settings.lan)] {
        let Some(name) = name else { continue };
        let info = masq_platform::interface_info(name).map_err(|e| {
            // Missing is "not yet" at boot (Wi-Fi, USB adapters), and its message already
            // says how to list the interfaces; anything else is final.
            if matches!(e, masq_platform::PlatformError::InterfaceNotFound { .. }) {
                anyhow::Error::new(NotReady(format!("{key} = {name:?}: {e}")))
            } else {
                anyhow::anyhow!("{key} = {name:?}: {e}; list the interfaces with `ip link` (or `ifconfig`, `Get-NetAdapter`)")
            }
        })?;
        check_one(key, &info, &settings.tun, running_tun)?;
    }
    Ok(())
}

/// Refuses a LAN prefix that overlaps one of the uplink's networks: an address there would
/// name a LAN host and an uplink neighbour at once, so replies could go out the wrong side.
pub(crate) fn check_prefixes(uplink: &InterfaceInfo, lan: Ipv4Net) -> Result<()> {
    for &(addr, prefix) in &uplink.ipv4 {
        let Ok(up) = Ipv4Net::new(addr, prefix) else {
            continue;
        };
        if overlap(up, lan) {
            bail!(
                "the LAN {} overlaps the network of uplink {} ({}): give the LAN a prefix of its own, e.g. --lan-addr 192.168.137.1/24 or `lan_addr` in the config file (`masq doctor` checks this)",
                lan.trunc(),
                uplink.name,
                up.trunc()
            );
        }
    }
    Ok(())
}

/// The rule for one interface, apart so it is tested without the OS.
fn check_one(key: &str, info: &InterfaceInfo, tun: &str, running_tun: Option<&str>) -> Result<()> {
    let name = &info.name;
    if is_loopback(info) {
        bail!("{key} = {name:?} is the loopback interface; name a real network interface");
    }
    if name == tun || Some(name.as_str()) == running_tun {
        bail!("{key} = {name:?} is masq's own adapter; name the physical interface instead");
    }
    Ok(())
}

/// Loopback by what it holds: every OS gives its loopback interface 127.0.0.1 or ::1, and
/// nothing else carries them.
fn is_loopback(info: &InterfaceInfo) -> bool {
    info.ipv4
        .iter()
        .map(|(a, _)| IpAddr::V4(*a))
        .chain(info.ipv6.iter().map(|(a, _)| IpAddr::V6(*a)))
        .any(|a| a.is_loopback())
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn iface(name: &str, addr: Ipv4Addr) -> InterfaceInfo {
        InterfaceInfo {
            name: name.into(),
            index: 2,
            ipv4: vec![(addr, 8)],
            ipv6: Vec::new(),
            mtu: 1500,
        }
    }

    #[test]
    fn loopback_and_own_adapter_are_refused() {
        let lo = iface("lo", Ipv4Addr::LOCALHOST);
        let e = check_one("lan", &lo, "masq0", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("loopback"), "{e}");
        let tun = iface("masq0", Ipv4Addr::new(192, 168, 137, 1));
        assert!(check_one("lan", &tun, "masq0", None).is_err());
        let old = iface("masq1", Ipv4Addr::new(192, 168, 137, 1));
        assert!(check_one("uplink", &old, "masq0", Some("masq1")).is_err());
        let eth = iface("eth1", Ipv4Addr::new(192, 168, 137, 1));
        assert!(check_one("lan", &eth, "masq0", Some("masq1")).is_ok());
    }

    #[test]
    fn a_missing_interface_is_named() {
        let settings = Settings {
            lan: Some("nosuchif0".into()),
            ..Settings::default()
        };
        let e = check_interfaces(&settings, None).unwrap_err().to_string();
        assert!(e.contains("lan = \"nosuchif0\""), "{e}");
    }

    #[test]
    fn a_lan_overlapping_the_uplinks_network_is_refused() {
        let up = InterfaceInfo {
            ipv4: vec![(Ipv4Addr::new(192, 168, 1, 20), 24)],
            ..iface("wlan0", Ipv4Addr::UNSPECIFIED)
        };
        let same: Ipv4Net = "192.168.1.1/24".parse().expect("net");
        let err = check_prefixes(&up, same).expect_err("overlap");
        assert!(err.to_string().contains("192.168.1.0/24"), "{err}");
        let inside: Ipv4Net = "192.168.1.128/25".parse().expect("net");
        assert!(
            check_prefixes(&up, inside).is_err(),
            "a narrower LAN inside it"
        );
        let own: Ipv4Net = "192.168.137.1/24".parse().expect("net");
        assert!(check_prefixes(&up, own).is_ok());
    }
}
