//! What kind of network interface a name stands for — an Ethernet port, Wi-Fi, a phone's USB
//! tether, a VPN, something virtual — so a first-time user can tell which one is the cable to
//! the LAN. Each OS gives different clues; deciding from the clues is pure and tested here on
//! every OS, the gathering lives in each backend (`list_interfaces`).

use crate::InterfaceInfo;

/// The kinds a user recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterfaceKind {
    /// A wired port (or a USB Ethernet adapter).
    Ethernet,
    /// A wireless adapter.
    WiFi,
    /// A phone or modem sharing its connection over USB (RNDIS, CDC, iPhone USB) or Bluetooth.
    UsbTether,
    /// A tunnel: VPN clients, WireGuard, PPP, masq's own adapter.
    Vpn,
    /// Software-only: bridges, veth pairs, virtual machines' and containers' switches.
    Virtual,
    /// The host talking to itself.
    Loopback,
    /// None of the above, or not enough clues.
    Other,
}

/// One interface as the first-run screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceSummary {
    /// Name, index, addresses and MTU.
    pub info: InterfaceInfo,
    /// What it is.
    pub kind: InterfaceKind,
    /// Administratively up with a link (carrier).
    pub running: bool,
    /// The OS's own description when it has one ("Intel(R) Wi-Fi 6 AX201", "Wi-Fi").
    pub description: Option<String>,
}

/// Linux's clues, read from `/sys/class/net/NAME`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinuxClues {
    /// `type`: the ARPHRD_* hardware type (1 Ethernet, 772 loopback, 65534 none, 512 PPP).
    pub arphrd: u16,
    /// `wireless/` or `phy80211` exists.
    pub wireless: bool,
    /// The basename of the `device/driver` link.
    pub driver: Option<String>,
    /// `DEVTYPE=` from `uevent` (bridge, wlan, wireguard, vlan, ...).
    pub devtype: Option<String>,
    /// A `device` link exists: there is hardware (or a bus device) behind it.
    pub has_device: bool,
    /// `tun_flags` exists: a TUN/TAP device.
    pub tun: bool,
}

/// USB network drivers that phones and mobile modems bring up when tethering.
const LINUX_TETHER_DRIVERS: [&str; 7] = [
    "rndis_host",
    "cdc_ether",
    "cdc_ncm",
    "cdc_mbim",
    "ipheth",
    "qmi_wwan",
    "huawei_cdc_ncm",
];

/// Decides the kind from Linux's clues.
pub fn classify_linux(c: &LinuxClues) -> InterfaceKind {
    const ARPHRD_ETHER: u16 = 1;
    const ARPHRD_PPP: u16 = 512;
    const ARPHRD_LOOPBACK: u16 = 772;
    const ARPHRD_NONE: u16 = 65534;
    let devtype = c.devtype.as_deref();
    if c.arphrd == ARPHRD_LOOPBACK {
        InterfaceKind::Loopback
    } else if c.wireless || devtype == Some("wlan") {
        InterfaceKind::WiFi
    } else if c
        .driver
        .as_deref()
        .is_some_and(|d| LINUX_TETHER_DRIVERS.contains(&d))
        || devtype == Some("wwan")
    {
        InterfaceKind::UsbTether
    } else if c.tun
        || matches!(
            devtype,
            Some("wireguard" | "ppp" | "vxlan" | "ipip" | "gre")
        )
        || matches!(c.arphrd, ARPHRD_PPP | ARPHRD_NONE)
    {
        InterfaceKind::Vpn
    } else if !c.has_device {
        InterfaceKind::Virtual
    } else if c.arphrd == ARPHRD_ETHER {
        InterfaceKind::Ethernet
    } else {
        InterfaceKind::Other
    }
}

/// Decides a macOS interface's kind from its BSD name and its hardware port (as
/// `networksetup -listallhardwareports` names it: "Wi-Fi", "Ethernet", "iPhone USB", ...).
pub fn classify_macos(name: &str, hardware_port: Option<&str>) -> InterfaceKind {
    let prefix: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if let Some(port) = hardware_port {
        let port = port.to_ascii_lowercase();
        if port.contains("wi-fi") || port.contains("airport") {
            return InterfaceKind::WiFi;
        }
        if port.contains("iphone") || port.contains("ipad") || port.contains("bluetooth pan") {
            return InterfaceKind::UsbTether;
        }
        if port.contains("bridge") {
            return InterfaceKind::Virtual;
        }
        if port.contains("ethernet") || port.contains("lan") || port.contains("thunderbolt") {
            return InterfaceKind::Ethernet;
        }
    }
    match prefix.as_str() {
        "lo" => InterfaceKind::Loopback,
        "utun" | "ipsec" | "ppp" | "tun" | "tap" => InterfaceKind::Vpn,
        "bridge" | "awdl" | "llw" | "anpi" | "ap" | "gif" | "stf" | "vmenet" | "feth" => {
            InterfaceKind::Virtual
        }
        _ => InterfaceKind::Other,
    }
}

/// Reads `networksetup -listallhardwareports`: (hardware port, device) pairs.
pub fn parse_hardware_ports(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut port: Option<String> = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Hardware Port:") {
            port = Some(p.trim().to_owned());
        } else if let Some(d) = line.strip_prefix("Device:")
            && let Some(p) = port.take()
        {
            out.push((p, d.trim().to_owned()));
        }
    }
    out
}

/// Windows's clues, from the interface table (`GetIfTable2`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowsClues {
    /// `Type`: the IANA ifType (6 Ethernet, 71 IEEE 802.11, 24 loopback, 23 PPP, 53
    /// proprietary virtual, 131 tunnel).
    pub if_type: u32,
    /// The driver's description ("Remote NDIS Compatible Device", "Wintun Userspace Tunnel").
    pub description: String,
    /// `HardwareInterface`: backed by a physical device.
    pub hardware: bool,
}

/// Decides a Windows interface's kind.
pub fn classify_windows(c: &WindowsClues) -> InterfaceKind {
    let d = c.description.to_ascii_lowercase();
    let vpn_words = [
        "wintun",
        "wireguard",
        "tap-",
        "tap ",
        "openvpn",
        "vpn",
        "tunnel",
    ];
    let virtual_words = [
        "hyper-v",
        "virtualbox",
        "vmware",
        "virtual",
        "loopback adapter",
    ];
    match c.if_type {
        24 => InterfaceKind::Loopback,
        71 => InterfaceKind::WiFi,
        _ if d.contains("remote ndis")
            || d.contains("rndis")
            || d.contains("apple mobile device") =>
        {
            InterfaceKind::UsbTether
        }
        23 | 131 => InterfaceKind::Vpn,
        _ if vpn_words.iter().any(|w| d.contains(w)) => InterfaceKind::Vpn,
        53 => InterfaceKind::Virtual,
        _ if !c.hardware || virtual_words.iter().any(|w| d.contains(w)) => InterfaceKind::Virtual,
        6 => InterfaceKind::Ethernet,
        _ => InterfaceKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(arphrd: u16, f: impl FnOnce(&mut LinuxClues)) -> InterfaceKind {
        let mut c = LinuxClues {
            arphrd,
            has_device: true,
            ..LinuxClues::default()
        };
        f(&mut c);
        classify_linux(&c)
    }

    #[test]
    fn linux_kinds() {
        use InterfaceKind::*;
        assert_eq!(linux(772, |c| c.has_device = false), Loopback);
        assert_eq!(linux(1, |c| c.driver = Some("e1000e".into())), Ethernet);
        assert_eq!(linux(1, |c| c.wireless = true), WiFi);
        assert_eq!(linux(1, |c| c.devtype = Some("wlan".into())), WiFi);
        assert_eq!(
            linux(1, |c| c.driver = Some("rndis_host".into())),
            UsbTether
        );
        assert_eq!(linux(1, |c| c.driver = Some("ipheth".into())), UsbTether);
        assert_eq!(
            linux(65534, |c| {
                c.tun = true;
                c.has_device = false;
            }),
            Vpn
        );
        assert_eq!(
            linux(65534, |c| {
                c.devtype = Some("wireguard".into());
                c.has_device = false;
            }),
            Vpn
        );
        assert_eq!(linux(512, |c| c.has_device = false), Vpn);
        // veth pairs, bridges and dummies have no device behind them.
        assert_eq!(linux(1, |c| c.has_device = false), Virtual);
        assert_eq!(
            linux(1, |c| {
                c.devtype = Some("bridge".into());
                c.has_device = false;
            }),
            Virtual
        );
        assert_eq!(linux(32, |_| {}), Other);
    }

    #[test]
    fn macos_kinds() {
        use InterfaceKind::*;
        assert_eq!(classify_macos("en0", Some("Wi-Fi")), WiFi);
        assert_eq!(
            classify_macos("en1", Some("Thunderbolt Ethernet Slot 1")),
            Ethernet
        );
        assert_eq!(classify_macos("en7", Some("USB 10/100/1000 LAN")), Ethernet);
        assert_eq!(classify_macos("en8", Some("iPhone USB")), UsbTether);
        assert_eq!(
            classify_macos("bridge0", Some("Thunderbolt Bridge")),
            Virtual
        );
        assert_eq!(classify_macos("utun3", None), Vpn);
        assert_eq!(classify_macos("lo0", None), Loopback);
        assert_eq!(classify_macos("awdl0", None), Virtual);
        assert_eq!(classify_macos("en5", None), Other);
    }

    #[test]
    fn hardware_ports_parse() {
        let text = "\nHardware Port: Wi-Fi\nDevice: en0\nEthernet Address: aa:bb:cc:dd:ee:ff\n\n\
                    Hardware Port: iPhone USB\nDevice: en8\nEthernet Address: N/A\n\n\
                    VLAN Configurations\n===================\n";
        assert_eq!(
            parse_hardware_ports(text),
            vec![
                ("Wi-Fi".to_owned(), "en0".to_owned()),
                ("iPhone USB".to_owned(), "en8".to_owned())
            ]
        );
    }

    #[test]
    fn windows_kinds() {
        use InterfaceKind::*;
        let w = |if_type, description: &str, hardware| {
            classify_windows(&WindowsClues {
                if_type,
                description: description.into(),
                hardware,
            })
        };
        assert_eq!(w(71, "Intel(R) Wi-Fi 6 AX201 160MHz", true), WiFi);
        assert_eq!(w(6, "Realtek PCIe GbE Family Controller", true), Ethernet);
        assert_eq!(w(6, "Remote NDIS Compatible Device", true), UsbTether);
        assert_eq!(w(6, "Apple Mobile Device Ethernet", true), UsbTether);
        assert_eq!(w(53, "Wintun Userspace Tunnel", false), Vpn);
        assert_eq!(w(6, "TAP-Windows Adapter V9", false), Vpn);
        assert_eq!(w(6, "Hyper-V Virtual Ethernet Adapter", false), Virtual);
        assert_eq!(
            w(6, "Microsoft Wi-Fi Direct Virtual Adapter", false),
            Virtual
        );
        assert_eq!(w(24, "Software Loopback Interface 1", false), Loopback);
        assert_eq!(w(131, "Teredo Tunneling Pseudo-Interface", false), Vpn);
    }
}
