//! What the control API shows about roaming: the uplink in use, whether it works, how often it
//! moved and what happened last. Written by the uplink follower, read by `status`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use masq_control::{IfaceReport, RoamingReport, UplinkChange, UplinkChangeKind, UplinkMode};
use masq_platform::sockets::Uplink;

/// The roaming state shared by the follower task and the supervisor.
#[derive(Debug, Clone)]
pub(crate) struct Roaming(Arc<Mutex<State>>);

#[derive(Debug)]
struct State {
    mode: UplinkMode,
    uplink: Uplink,
    iface: IfaceReport,
    available: bool,
    changes: u64,
    last: Option<Last>,
}

#[derive(Debug)]
struct Last {
    kind: UplinkChangeKind,
    from: String,
    to: String,
    at: Instant,
    reason: Option<String>,
}

impl Roaming {
    /// The state at the start of sharing: usable, unchanged.
    pub(crate) fn new(mode: UplinkMode, uplink: Uplink, iface: IfaceReport) -> Self {
        Roaming(Arc::new(Mutex::new(State {
            mode,
            uplink,
            iface,
            available: true,
            changes: 0,
            last: None,
        })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether the uplink is followed or pinned.
    pub(crate) fn mode(&self) -> UplinkMode {
        self.with(|s| s.mode)
    }

    /// The uplink in use and whether it was usable at the last look.
    pub(crate) fn current(&self) -> (Uplink, bool) {
        self.with(|s| (s.uplink.clone(), s.available))
    }

    /// The uplink interface for `status`.
    pub(crate) fn iface(&self) -> IfaceReport {
        self.with(|s| s.iface.clone())
    }

    /// Records a change; `moved` counts it in `changes` (a switch or a new address).
    pub(crate) fn record(
        &self,
        kind: UplinkChangeKind,
        to: Option<(Uplink, IfaceReport)>,
        available: bool,
        reason: Option<String>,
        now: Instant,
    ) {
        self.with(|s| {
            let from = describe(&s.uplink);
            if let Some((uplink, iface)) = to {
                s.uplink = uplink;
                s.iface = iface;
            }
            if matches!(
                kind,
                UplinkChangeKind::Switched | UplinkChangeKind::Readdressed
            ) {
                s.changes += 1;
            }
            s.available = available;
            s.last = Some(Last {
                kind,
                from,
                to: describe(&s.uplink),
                at: now,
                reason,
            });
        });
    }

    /// Updates the uplink's sources without it counting as a change (a rotated IPv6 address).
    pub(crate) fn refresh(&self, uplink: Uplink, iface: IfaceReport) {
        self.with(|s| {
            s.uplink = uplink;
            s.iface = iface;
        });
    }

    /// The report for `status`.
    pub(crate) fn report(&self, now: Instant) -> RoamingReport {
        self.with(|s| RoamingReport {
            mode: s.mode,
            available: s.available,
            changes: s.changes,
            last_change: s.last.as_ref().map(|l| UplinkChange {
                kind: l.kind,
                from: l.from.clone(),
                to: l.to.clone(),
                ago_s: now.saturating_duration_since(l.at).as_secs_f64(),
                reason: l.reason.clone(),
            }),
        })
    }
}

/// `veth-a 10.1.0.2`: the name and the IPv4 source, what a user recognises.
pub(crate) fn describe(u: &Uplink) -> String {
    match u.ipv4 {
        Some(a) => format!("{} {a}", u.name),
        None => u.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    fn up(name: &str, v4: [u8; 4]) -> (Uplink, IfaceReport) {
        (
            Uplink {
                name: name.into(),
                index: 1,
                ipv4: Some(Ipv4Addr::from(v4)),
                ipv6: None,
            },
            IfaceReport {
                name: name.into(),
                addresses: vec![format!("{}/24", Ipv4Addr::from(v4))],
            },
        )
    }

    #[test]
    fn a_switch_counts_and_an_outage_does_not() {
        let t0 = Instant::now();
        let (a, ia) = up("veth-a", [10, 1, 0, 2]);
        let r = Roaming::new(UplinkMode::Automatic, a, ia);
        let why = "the LAN 10.1.0.0/24 overlaps the network of uplink veth-a (10.1.0.0/24)";
        r.record(UplinkChangeKind::Lost, None, false, Some(why.into()), t0);
        assert_eq!(r.report(t0).changes, 0);
        assert!(!r.report(t0).available);
        let lost = r.report(t0).last_change.unwrap();
        assert_eq!(lost.reason.as_deref(), Some(why));
        r.record(
            UplinkChangeKind::Switched,
            Some(up("veth-b", [10, 2, 0, 2])),
            true,
            None,
            t0,
        );
        let rep = r.report(t0 + Duration::from_secs(2));
        assert_eq!(rep.changes, 1);
        assert!(rep.available);
        let last = rep.last_change.unwrap();
        assert_eq!(
            (last.from.as_str(), last.to.as_str()),
            ("veth-a 10.1.0.2", "veth-b 10.2.0.2")
        );
        assert_eq!(last.ago_s, 2.0);
        assert_eq!(last.reason, None);
        assert_eq!(r.iface().name, "veth-b");
        assert_eq!(r.current().0.name, "veth-b");
    }
}
