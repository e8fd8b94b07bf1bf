//! How sharing follows the uplink (roaming): whether it may move, whether the uplink is usable
//! now, and the last time it moved, so `masq status` and the GUI can say what happened.

use serde::{Deserialize, Serialize};

/// The uplink's roaming state while sharing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoamingReport {
    /// Whether the uplink was named in the settings (it then never moves; only its state and
    /// address are followed) or picked from the default route (it follows the default route).
    pub mode: UplinkMode,
    /// Whether the uplink can carry traffic now: it has a default route (automatic) or its
    /// link is up with an IPv4 address (pinned).
    pub available: bool,
    /// How many times sharing moved to another uplink or address since it started.
    pub changes: u64,
    /// The most recent change of uplink or of its availability, if any.
    pub last_change: Option<UplinkChange>,
}

/// How the uplink was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UplinkMode {
    /// Picked from the default route, and moved when the default route moves.
    Automatic,
    /// Named in the settings; stays on that interface.
    Pinned,
}

/// One change the user may want to know about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UplinkChange {
    /// What happened.
    pub kind: UplinkChangeKind,
    /// The uplink before, e.g. `wlan0 192.168.1.20`.
    pub from: String,
    /// The uplink after (the same as `from` when only its availability changed).
    pub to: String,
    /// Seconds since it happened.
    pub ago_s: f64,
    /// Why the uplink cannot be used, when there is more to say than "no route" (e.g. its
    /// network overlaps the LAN's prefix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What kind of change it was; clients branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UplinkChangeKind {
    /// Sharing moved to another interface: TCP connections were reset, UDP and ICMP mappings
    /// ended (the next datagram opens a new one).
    Switched,
    /// Same interface, new IPv4 address: handled like a switch.
    Readdressed,
    /// The uplink cannot carry traffic (no default route, the pinned link went down, or its
    /// network now overlaps the LAN's: `reason` says which when it is known).
    Lost,
    /// The uplink can carry traffic again, unchanged.
    Restored,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_snake_case() {
        let r = RoamingReport {
            mode: UplinkMode::Automatic,
            available: true,
            changes: 1,
            last_change: Some(UplinkChange {
                kind: UplinkChangeKind::Switched,
                from: "veth-a 10.1.0.2".into(),
                to: "veth-b 10.2.0.2".into(),
                ago_s: 1.5,
                reason: None,
            }),
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["mode"], "automatic");
        assert_eq!(json["last_change"]["kind"], "switched");
        assert!(json["last_change"].get("reason").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<RoamingReport>(json).unwrap(), r);
    }
}
