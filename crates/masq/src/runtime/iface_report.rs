//! An interface as `status` shows it: its name and addresses with their prefix lengths.
//! Both the session (the LAN and the uplink it started with) and the uplink watch (the uplink
//! it moves to) report interfaces this way.

use masq_control::IfaceReport;
use masq_platform::InterfaceInfo;

/// The interface and its addresses for `status`.
pub(super) fn iface_report(info: &InterfaceInfo) -> IfaceReport {
    let mut addresses: Vec<String> = info.ipv4.iter().map(|(a, p)| format!("{a}/{p}")).collect();
    addresses.extend(info.ipv6.iter().map(|(a, p)| format!("{a}/{p}")));
    IfaceReport {
        name: info.name.clone(),
        addresses,
    }
}
