//! The first-run check: this computer's interfaces with what each one is, the uplink masq
//! would use and why, and — for the LAN a user is about to pick — the gateway address and
//! DHCP range sharing would use and every conflict the daemon can see. A GUI shows it before
//! anything is configured; nothing changes until the user applies the plan with
//! `set_settings` and `start`.

use serde::{Deserialize, Serialize};

/// The answer to `setup_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupReport {
    /// Every interface, in the OS's order.
    pub interfaces: Vec<InterfaceView>,
    /// The interface whose internet connection would be shared; `None` when there is none.
    pub uplink: Option<UplinkChoice>,
    /// What sharing with the asked-for LAN would look like; `None` when no LAN was named.
    pub plan: Option<LanPlan>,
}

/// What an interface is, in the words a user recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterfaceKind {
    /// A wired port or a USB Ethernet adapter.
    Ethernet,
    /// A wireless adapter.
    Wifi,
    /// A phone or modem sharing its connection over USB or Bluetooth.
    UsbTether,
    /// A VPN or other tunnel.
    Vpn,
    /// Software only: bridges, virtual machines' and containers' networks.
    Virtual,
    /// The computer talking to itself.
    Loopback,
    /// Anything else (and kinds newer than this client).
    #[serde(other)]
    Other,
}

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceView {
    /// The OS's name (`eth1`, `Ethernet 2`, `en5`).
    pub name: String,
    /// What it is.
    pub kind: InterfaceKind,
    /// The OS's description, when it has one ("iPhone USB", "Realtek PCIe GbE").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Up with a link (a cable plugged in, associated to a network).
    pub running: bool,
    /// Its addresses with prefix lengths (`192.168.1.20/24`).
    pub addresses: Vec<String>,
    /// Why it cannot be the LAN to share with, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_a_lan: Option<String>,
}

/// The uplink and why it is the one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UplinkChoice {
    /// Its name.
    pub name: String,
    /// Why: "it carries the default route", "named in the settings".
    pub reason: String,
}

/// Sharing with one LAN, as it would start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanPlan {
    /// The LAN interface.
    pub lan: String,
    /// The gateway address and prefix the LAN's devices will use (`192.168.137.1/24`): what
    /// `lan_addr` should be set to.
    pub gateway: String,
    /// Where the gateway address comes from: the interface's own address, the settings, or a
    /// free prefix masq picked.
    pub gateway_source: String,
    /// The first and last address the DHCP server would hand out; `None` with DHCP off.
    pub dhcp_range: Option<(String, String)>,
    /// Conflicts and confirmations, worst first.
    pub findings: Vec<SetupFinding>,
    /// Whether sharing can start as planned (no finding is an error).
    pub ready: bool,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingLevel {
    /// Fine.
    Ok,
    /// Sharing can start, but something deserves a look.
    Warning,
    /// Sharing cannot work until this is fixed.
    Error,
}

/// One conclusion about the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupFinding {
    /// How bad.
    pub level: FindingLevel,
    /// Which check ("uplink", "lan", "addresses", "os_sharing", "link", "dhcp").
    pub check: String,
    /// What was found.
    pub message: String,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}
