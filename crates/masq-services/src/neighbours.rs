//! The gateway's neighbour (ARP) table for the LAN: MACs of hosts that configured their
//! address by hand and so never appear in the DHCP lease table.
//!
//! Linux: `/proc/net/arp` (one line per entry: IP, HW type, flags, MAC, mask, device);
//! complete entries only (flag 0x2). Other OSes: none yet, so such hosts show without a MAC.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use masq_control::MacAddr;

/// ATF_COM: the entry is complete (the MAC is known).
const ATF_COM: u32 = 0x2;

/// Complete entries on interface `lan` from `/proc/net/arp` text.
pub fn parse_proc_arp(text: &str, lan: &str) -> BTreeMap<Ipv4Addr, MacAddr> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [ip, _hw, flags, mac, _mask, dev] = f.as_slice() else {
                return None;
            };
            let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()?;
            if *dev != lan || flags & ATF_COM == 0 {
                return None;
            }
            let mac: MacAddr = mac.parse().ok()?;
            (mac != MacAddr([0; 6])).then_some((ip.parse().ok()?, mac))
        })
        .collect()
}

/// The current neighbours on `lan` (empty where the OS offers no table yet).
pub fn read(lan: &str) -> BTreeMap<Ipv4Addr, MacAddr> {
    if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/net/arp")
            .map(|t| parse_proc_arp(&t, lan))
            .unwrap_or_default()
    } else {
        BTreeMap::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_entries_of_the_lan_only() {
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
192.168.137.10   0x1         0x2         02:aa:bb:cc:dd:0a     *        gw-lan\n\
192.168.137.11   0x1         0x0         00:00:00:00:00:00     *        gw-lan\n\
198.51.100.1     0x1         0x2         02:aa:bb:cc:dd:01     *        gw-up\n\
192.168.137.12   0x1         0x6         02:AA:bb:cc:dd:0c     *        gw-lan\n";
        let n = parse_proc_arp(text, "gw-lan");
        assert_eq!(n.len(), 2);
        assert_eq!(
            n[&Ipv4Addr::new(192, 168, 137, 10)].to_string(),
            "02:aa:bb:cc:dd:0a"
        );
        assert!(n.contains_key(&Ipv4Addr::new(192, 168, 137, 12)));
    }
}
