//! Undoing recorded changes: shared by [`super::Gateway::stop`], the rollback of a failed
//! start, and `masq down` after a crash.
//!
//! Steps are undone newest first. Each undo is idempotent ("already gone" is success), so a
//! journal can be replayed any number of times, including after a crash during cleanup. A
//! step whose undo fails stays in the journal, and cleanup goes on with the others.

use tracing::{debug, warn};

use super::inbound_guard;
use super::netlink::{Netlink, RouteSpec};
use super::steps::Step;
use super::tun::TunDevice;
use crate::journal::Journal;
use crate::{CleanupAction, CleanupOutcome, CleanupReport, PlatformError};

/// Undoes every step in `journal`, closing `tun` when its creation is undone, and deletes the
/// journal if all succeeded.
pub(crate) async fn undo_all(
    netlink: &Netlink,
    mut journal: Journal<Step>,
    mut tun: Option<TunDevice>,
) -> Result<CleanupReport, PlatformError> {
    let path = journal.path().to_owned();
    let steps: Vec<Step> = journal.steps().to_vec();
    let mut actions = Vec::new();
    let mut remaining = Vec::new();
    let mut failures = Vec::new();
    for step in steps.into_iter().rev() {
        match undo_step(netlink, &step, &mut tun).await {
            Ok(outcome) => {
                debug!(change = %step, ?outcome, "undid change");
                actions.push(CleanupAction {
                    change: step.to_string(),
                    outcome,
                });
            }
            Err(e) => {
                warn!(change = %step, error = %e, "could not undo change");
                failures.push(format!("{step} ({e})"));
                remaining.push(step);
            }
        }
    }
    drop(tun);
    if failures.is_empty() {
        journal.remove()?;
        return Ok(CleanupReport {
            journal: path,
            found: true,
            actions,
        });
    }
    remaining.reverse();
    if let Err(e) = journal.replace_steps(remaining) {
        warn!(error = %e, "could not shorten the journal; it still lists every change, all safe to retry");
    }
    Err(PlatformError::CleanupIncomplete { path, failures })
}

async fn undo_step(
    netlink: &Netlink,
    step: &Step,
    tun: &mut Option<TunDevice>,
) -> Result<CleanupOutcome, PlatformError> {
    match step {
        Step::TunCreated { name } => {
            let held = tun.take().is_some();
            let outcome = netlink.delete_tun(name.as_str()).await?;
            // Closing our fd removed it; report that as undone, not as found missing.
            Ok(if held {
                CleanupOutcome::Undone
            } else {
                outcome
            })
        }
        Step::AddressAdded {
            iface,
            address,
            prefix,
        } => {
            let Some(link) = netlink.link_by_name(iface.as_str()).await? else {
                return Ok(CleanupOutcome::AlreadyGone);
            };
            netlink
                .delete_address(link.header.index, iface.as_str(), *address, *prefix)
                .await
        }
        Step::RouteAdded {
            table,
            destination,
            prefix,
            iface,
        } => {
            // The kernel flushes a device's routes when it disappears, so no link, no route.
            let Some(link) = netlink.link_by_name(iface.as_str()).await? else {
                return Ok(CleanupOutcome::AlreadyGone);
            };
            let route = RouteSpec {
                table: *table,
                destination: *destination,
                prefix: *prefix,
                iface: iface.as_str(),
            };
            netlink.delete_route(&route, link.header.index).await
        }
        Step::RuleAdded {
            iif,
            table,
            priority,
            v6,
        } => {
            netlink
                .delete_rule(iif.as_str(), *table, *priority, *v6)
                .await
        }
        Step::GuardAdded { table } => inbound_guard::remove(table),
        Step::SysctlChanged { key, old } => match key.write_raw(old) {
            Ok(()) => Ok(CleanupOutcome::Undone),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CleanupOutcome::AlreadyGone),
            Err(source) => Err(PlatformError::Sysctl {
                action: "write",
                path: key.path(),
                source,
            }),
        },
    }
}
