//! Undoing the Windows backend's journaled changes: on stop, after a failed start, at the next
//! start after a crash, and for `masq down`.
//!
//! Steps are undone newest first, so the steering routes go before the adapter and the LAN's
//! forwarding is restored last. What to do per step is decided by
//! [`undo_for`](super::cleanup_plan::undo_for); an interface that no longer exists means its
//! change is already gone. A step whose undo fails stays in the journal for the next try.

use std::io;
use std::path::Path;

use tracing::{debug, info, warn};

use super::cleanup_plan::{StaleJournal, Undo, interface_of, on_stale_journal, undo_for};
use super::steps::Step;
use super::system::System;
use crate::journal::Journal;
use crate::{CleanupAction, CleanupOutcome, CleanupReport, PlatformError};

/// Undoes every change recorded in `state_file` and deletes it; "nothing to clean" if there is
/// no journal. Refuses while the masq that wrote it is still running.
pub(crate) fn cleanup_stale<S: System>(
    sys: &mut S,
    state_file: &Path,
) -> Result<CleanupReport, PlatformError> {
    let Some(journal) = Journal::<Step>::load(state_file)? else {
        return Ok(CleanupReport::nothing(state_file.to_owned()));
    };
    let pid = journal.pid();
    match on_stale_journal(pid, std::process::id(), sys.is_masq_process(pid)) {
        StaleJournal::Refuse => Err(PlatformError::StillRunning {
            pid,
            path: state_file.to_owned(),
        }),
        StaleJournal::CleanUpFirst => undo_all(sys, journal, None),
    }
}

/// Before a start: undoes what a dead masq left (its address on the LAN would otherwise look
/// like someone else's, and its routes would still steer); refuses if that masq still runs.
pub(crate) fn repair_before_start<S: System>(
    sys: &mut S,
    state_file: &Path,
) -> Result<(), PlatformError> {
    let report = cleanup_stale(sys, state_file)?;
    if report.found {
        warn!(journal = %state_file.display(), "undid what a crashed masq left behind");
        info!("{report}");
    }
    Ok(())
}

/// Undoes every step in `journal`, removing `adapter` (ours, still open) when its creation is
/// undone, and deletes the journal if all succeeded.
pub(crate) fn undo_all<S: System>(
    sys: &mut S,
    mut journal: Journal<Step>,
    mut adapter: Option<S::Adapter>,
) -> Result<CleanupReport, PlatformError> {
    let path = journal.path().to_owned();
    let steps: Vec<Step> = journal.steps().to_vec();
    let mut actions = Vec::new();
    let mut remaining = Vec::new();
    let mut failures = Vec::new();
    for step in steps.into_iter().rev() {
        match undo_step(sys, &step, &mut adapter) {
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
    if let Some(adapter) = adapter {
        sys.remove_adapter(adapter);
    }
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

fn undo_step<S: System>(
    sys: &mut S,
    step: &Step,
    adapter: &mut Option<S::Adapter>,
) -> io::Result<CleanupOutcome> {
    let luid = sys.luid(interface_of(step)).ok();
    match (undo_for(step, luid.is_some()), luid, step) {
        (Undo::AlreadyGone, ..) => Ok(CleanupOutcome::AlreadyGone),
        (Undo::DeleteAdapter, ..) => match adapter.take() {
            Some(ours) => {
                sys.remove_adapter(ours);
                Ok(CleanupOutcome::Undone)
            }
            // Wintun removes an adapter with the process that created it, so one that is
            // still there without being ours is another live process's: only it can remove it.
            None => Err(io::Error::other(
                "masq's Wintun adapter is still there, held by another running process; it goes away when that process exits",
            )),
        },
        (
            Undo::DeleteAddress,
            Some(luid),
            Step::AddressAdded {
                address, prefix, ..
            },
        ) => sys.delete_address(luid, *address, *prefix),
        (
            Undo::DeleteRoute,
            Some(luid),
            Step::RouteAdded {
                destination,
                prefix,
                ..
            },
        ) => sys.delete_route(luid, *destination, *prefix),
        (Undo::SetForwarding(old), Some(luid), _) => {
            if sys.ipv4_settings(luid)?.forwarding == old {
                return Ok(CleanupOutcome::AlreadyGone);
            }
            sys.set_forwarding(luid, old)?;
            Ok(CleanupOutcome::Undone)
        }
        (undo, ..) => Err(io::Error::other(format!(
            "internal: {undo:?} does not fit the journaled change {step}"
        ))),
    }
}
