//! Follows the uplink while sharing (roaming: Wi-Fi ↔ Ethernet ↔ phone tether).
//!
//! One task per session waits for the platform's change hints ([`masq_platform::uplink_watch`]),
//! lets each burst settle ([`Debounce`]), looks at the uplink again and acts on the
//! [`decide`] verdict: it tells the event loop to move its sockets (with a fresh inbound
//! observer), points the DNS forwarder's upstream queries at the new uplink, logs the change
//! and records it for `status`. An uplink named in the settings is never replaced; only its
//! outages, returns and new addresses are followed. Design notes: docs/roaming.md.

use std::time::Instant;

use masq_control::{IfaceReport, UplinkChangeKind, UplinkMode};
use masq_platform::sockets::Uplink;
use masq_platform::{InboundObserver, Ipv4Net, UplinkWatch};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::roaming_state::{Roaming, describe};
use super::uplink_decide::{Debounce, MoveKind, Seen, Verdict, decide};
use super::uplink_switch::UplinkSwitch;

/// Where the follower reports to.
pub(crate) struct Follower {
    /// The shared roaming state (mode, uplink, counters).
    pub roaming: Roaming,
    /// The event loop, which moves the sockets.
    pub switches: mpsc::Sender<UplinkSwitch>,
    /// The uplink the DNS forwarder's upstream queries leave from.
    pub dns_uplink: watch::Sender<Uplink>,
    /// The hidden network, when the inbound observer is on (it is re-opened on a move).
    pub observe_hidden: Option<Ipv4Net>,
    /// The LAN's prefix: an uplink whose network overlaps it cannot be used (RFC 4787 REQ-7),
    /// at start or after a move.
    pub lan: Ipv4Net,
}

/// Starts the platform watch and the follower task; `None` (logged) when this OS cannot
/// watch, in which case sharing stays on the uplink it started with.
pub(crate) fn spawn(follower: Follower) -> Option<tokio::task::JoinHandle<()>> {
    match masq_platform::uplink_watch() {
        Ok(watch) => Some(tokio::spawn(run(watch, follower))),
        Err(e) => {
            warn!(error = %e, "uplink changes will not be followed");
            None
        }
    }
}

async fn run(mut watch: UplinkWatch, f: Follower) {
    // A change between the start of sharing and the start of the watch would otherwise go
    // unseen until the next one.
    look_and_act(&f).await;
    while watch.changed().await {
        let mut burst = Debounce::start(Instant::now());
        loop {
            tokio::select! {
                more = watch.changed() => {
                    if !more {
                        return;
                    }
                    burst.hint(Instant::now());
                }
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(burst.due())) => break,
            }
        }
        watch.drain();
        look_and_act(&f).await;
    }
    warn!("the OS stopped reporting network changes; the uplink is no longer followed");
}

/// Looks at the uplink now and carries out what that means.
async fn look_and_act(f: &Follower) {
    let mode = f.roaming.mode();
    let (current, available) = f.roaming.current();
    let (seen, iface, why_unusable) = look(mode, &current.name, f.lan).await;
    let verdict = decide(&current, available, seen);
    let now = Instant::now();
    match verdict {
        Verdict::Unchanged => debug!(uplink = %current.name, "uplink unchanged"),
        Verdict::Lost => {
            match &why_unusable {
                Some(why) => {
                    warn!(uplink = %describe(&current), "the uplink cannot be used: {why}; sharing waits for a usable uplink");
                }
                None => {
                    warn!(uplink = %describe(&current), "the uplink cannot carry traffic now; sharing waits for it (or another) to come back");
                }
            }
            f.roaming
                .record(UplinkChangeKind::Lost, None, false, why_unusable, now);
        }
        Verdict::Restored { uplink } => {
            info!(uplink = %describe(&uplink), "the uplink is back");
            let iface = iface.unwrap_or_else(|| f.roaming.iface());
            f.roaming.record(
                UplinkChangeKind::Restored,
                Some((uplink.clone(), iface)),
                true,
                None,
                now,
            );
            move_sources(f, uplink, false).await;
        }
        Verdict::Refreshed { uplink } => {
            debug!(uplink = %uplink.name, ipv6 = ?uplink.ipv6, "the uplink's IPv6 source changed");
            f.roaming
                .refresh(uplink.clone(), iface.unwrap_or_else(|| f.roaming.iface()));
            move_sources(f, uplink, false).await;
        }
        Verdict::Moved { to, kind } => {
            let kind = match kind {
                MoveKind::Switched => UplinkChangeKind::Switched,
                MoveKind::Readdressed => UplinkChangeKind::Readdressed,
            };
            info!(from = %describe(&current), to = %describe(&to), ?kind, "sharing moves to the new uplink: TCP connections are reset, UDP mappings reopen on demand");
            let iface = iface.unwrap_or_else(|| IfaceReport {
                name: to.name.clone(),
                addresses: Vec::new(),
            });
            f.roaming
                .record(kind, Some((to.clone(), iface)), true, None, now);
            move_sources(f, to, true).await;
        }
    }
}

/// Tells the event loop and the DNS forwarder about the uplink to use from now on.
async fn move_sources(f: &Follower, uplink: Uplink, reset: bool) {
    let observer = match (reset, f.observe_hidden) {
        (true, Some(hidden)) => match InboundObserver::open(&uplink, hidden) {
            Ok(o) => Some(o),
            Err(e) => {
                warn!(uplink = %uplink.name, error = %e, "cannot watch the new uplink for inbound attempts");
                None
            }
        },
        _ => None,
    };
    f.dns_uplink.send_replace(uplink.clone());
    let switch = UplinkSwitch {
        uplink,
        reset,
        observer,
    };
    if f.switches.send(switch).await.is_err() {
        debug!("the event loop has ended; the uplink change is not applied");
    }
}

/// The uplink as the OS has it now: the default route's interface (automatic) or the named
/// one (pinned), with its interface report for `status`, and why it cannot be used when that
/// is more than "not there".
async fn look(
    mode: UplinkMode,
    pinned: &str,
    lan: Ipv4Net,
) -> (Seen, Option<IfaceReport>, Option<String>) {
    let name = match mode {
        UplinkMode::Pinned => pinned.to_owned(),
        UplinkMode::Automatic => match masq_platform::default_uplink().await {
            Ok(Some(name)) => name,
            Ok(None) => return (Seen::Unusable, None, None),
            Err(e) => {
                warn!(error = %e, "cannot look up the default route");
                return (Seen::Unusable, None, None);
            }
        },
    };
    let info = match masq_platform::interface_info(&name) {
        Ok(info) => info,
        Err(e) => {
            debug!(error = %e, "the uplink interface is not there");
            return (Seen::Unusable, None, None);
        }
    };
    // A Linux interface keeps its addresses while its link is down, so the pinned uplink's
    // state is read from its flags; an OS that cannot tell is taken at its addresses.
    if mode == UplinkMode::Pinned {
        match masq_platform::link_running(&name) {
            Ok(false) => return (Seen::Unusable, None, None),
            Ok(true) => {}
            Err(e) => debug!(error = %e, "link state unknown"),
        }
    }
    let uplink = Uplink::from(&info);
    if uplink.ipv4.is_none() {
        return (Seen::Unusable, None, None);
    }
    if let Err(e) = super::interface_check::check_prefixes(&info, lan) {
        return (Seen::Unusable, None, Some(e.to_string()));
    }
    (
        Seen::Usable(uplink),
        Some(super::iface_report::iface_report(&info)),
        None,
    )
}
