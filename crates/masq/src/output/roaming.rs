//! One line of `masq status` on how sharing follows the uplink: whether it may move, whether
//! the uplink works now, and what changed last.

use masq_control::{RoamingReport, UplinkChangeKind, UplinkMode};

use super::duration;

/// E.g. `follows the default route, 1 change; switched veth-a 10.1.0.2 → veth-b 10.2.0.2 4s ago`.
pub(super) fn describe(r: &RoamingReport) -> String {
    let mode = match r.mode {
        UplinkMode::Automatic => "follows the default route",
        UplinkMode::Pinned => "pinned by the settings",
    };
    let plural = if r.changes == 1 { "" } else { "s" };
    let mut text = format!("{mode}, {} change{plural}", r.changes);
    if !r.available {
        text.push_str("; UNAVAILABLE now");
    }
    if let Some(c) = &r.last_change {
        let what = match c.kind {
            UplinkChangeKind::Switched => format!("switched {} → {}", c.from, c.to),
            UplinkChangeKind::Readdressed => format!("new address {} → {}", c.from, c.to),
            UplinkChangeKind::Lost => match &c.reason {
                Some(why) => format!("lost {} ({why})", c.from),
                None => format!("lost {}", c.from),
            },
            UplinkChangeKind::Restored => format!("{} back", c.to),
        };
        text.push_str(&format!("; {what} {} ago", duration(c.ago_s)));
    }
    text
}

#[cfg(test)]
mod tests {
    use masq_control::UplinkChange;

    use super::*;

    #[test]
    fn names_the_mode_the_count_and_the_last_change() {
        let r = RoamingReport {
            mode: UplinkMode::Automatic,
            available: false,
            changes: 1,
            last_change: Some(UplinkChange {
                kind: UplinkChangeKind::Lost,
                from: "wlan0 192.168.1.20".into(),
                to: "wlan0 192.168.1.20".into(),
                ago_s: 4.0,
                reason: None,
            }),
        };
        let text = describe(&r);
        assert_eq!(
            text,
            "follows the default route, 1 change; UNAVAILABLE now; lost wlan0 192.168.1.20 4s ago"
        );
        let mut r = r;
        if let Some(c) = &mut r.last_change {
            c.reason = Some("its network overlaps the LAN".into());
        }
        assert!(
            describe(&r).contains("lost wlan0 192.168.1.20 (its network overlaps the LAN) 4s ago"),
            "{}",
            describe(&r)
        );
    }
}
