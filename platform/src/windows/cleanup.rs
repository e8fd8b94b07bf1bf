//! Undoing the Windows backend's journaled changes: on stop, after a failed start, at the next
//! start after a crash, and for `masq down`.
//!
//! Steps are undone newest first, so the steering routes go before the adapter and the LAN's
//! forwarding is restored last. What to do per step is decided by
//! `win_logic::cleanup_plan::undo_for`; an interface that no longer exists means its change
//! is already gone. A step whose undo fails stays in the journal for the next try.

use std::path::Path;

use tracing::{debug, warn};

use super::adapter::{TunDevice, delete_adapter};
use super::iphelper;
use super::probes::is_masq_process;
use crate::journal::Journal;
use crate::win_logic::cleanup_plan::{Undo, interface_of, undo_for};
use crate::win_logic::steps::Step;
use crate::{CleanupAction, CleanupOutcome, CleanupReport, PlatformError};

/// Undoes every change recorded in `state_file` and deletes it; "nothing to clean" if there is
/// no journal. Refuses while the masq that wrote it is still running.
pub async fn cleanup_stale(state_file: &Path) -> Result<CleanupReport, PlatformError> {
    let Some(journal) = Journal::<Step>::load(state_file)? else {
        return Ok(CleanupReport::nothing(state_file.to_owned()));
    };
    let pid = journal.pid();
    if pid != std::process::id() && is_masq_process(pid) {
        return Err(PlatformError::StillRunning {
            pid,
            path: state_file.to_owned(),
        });
    }
    undo_all(journal, None)
}

/// Undoes every step in `journal`, closing `tun` before the adapter is deleted.
pub(crate) fn undo_all(
    mut journal: Journal<Step>,
    mut tun: Option<TunDevice>,
) -> Result<CleanupReport, PlatformError> {
    let path = journal.path().to_owned();
    let steps: Vec<Step> = journal.steps().to_vec();
    let mut actions = Vec::new();
    let mut remaining = Vec::new();
    let mut failures = Vec::new();
    for step in steps.into_iter().rev() {
        match undo_step(&step, &mut tun) {
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

fn undo_step(step: &Step, tun: &mut Option<TunDevice>) -> std::io::Result<CleanupOutcome> {
    let luid = iphelper::luid_by_alias(interface_of(step)).ok();
    match (undo_for(step, luid.is_some()), luid, step) {
        (Undo::AlreadyGone, ..) => Ok(CleanupOutcome::AlreadyGone),
        (Undo::DeleteAdapter, ..) => {
            let held = tun.take().is_some();
            let deleted = delete_adapter()?;
            Ok(if held || deleted {
                CleanupOutcome::Undone
            } else {
                CleanupOutcome::AlreadyGone
            })
        }
        (
            Undo::DeleteAddress,
            Some(luid),
            Step::AddressAdded {
                address, prefix, ..
            },
        ) => iphelper::delete_address(luid, *address, *prefix),
        (
            Undo::DeleteRoute,
            Some(luid),
            Step::RouteAdded {
                destination,
                prefix,
                ..
            },
        ) => iphelper::delete_route(luid, *destination, *prefix),
        (Undo::SetForwarding(old), Some(luid), _) => {
            let mut row = iphelper::ipv4_settings(luid)?;
            if row.ForwardingEnabled == old {
                return Ok(CleanupOutcome::AlreadyGone);
            }
            row.ForwardingEnabled = old;
            iphelper::set_ipv4_settings(row)?;
            Ok(CleanupOutcome::Undone)
        }
        (undo, ..) => Err(std::io::Error::other(format!(
            "internal: {undo:?} does not fit the journaled change {step}"
        ))),
    }
}
