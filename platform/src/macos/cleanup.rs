//! `masq down` on macOS: undo what a killed instance left behind, from its journal.
//!
//! Refuses to run behind a live instance; otherwise replays the journal through
//! [`super::undo::undo_all`] against the real system.

use std::path::Path;

use tracing::{info, warn};

use super::processes::process_name;
use super::steps::Step;
use super::system::Mac;
use super::undo::undo_all;
use crate::journal::Journal;
use crate::{CleanupReport, PlatformError};

/// Undoes every change recorded in `state_file` and deletes it; "nothing to clean" if there is
/// no journal.
pub async fn cleanup_stale(state_file: &Path) -> Result<CleanupReport, PlatformError> {
    undo_stale(state_file)
}

/// Before a start: undoes what a dead masq left (launchd restarts the daemon after a crash,
/// and its journal must not keep sharing off until someone runs `masq down`); refuses if that
/// masq still runs.
pub(crate) fn repair_before_start(state_file: &Path) -> Result<(), PlatformError> {
    let report = undo_stale(state_file)?;
    if report.found {
        warn!(journal = %state_file.display(), "undid what a crashed masq left behind");
        info!("{report}");
    }
    Ok(())
}

fn undo_stale(state_file: &Path) -> Result<CleanupReport, PlatformError> {
    let Some(journal) = Journal::<Step>::load(state_file)? else {
        return Ok(CleanupReport::nothing(state_file.to_owned()));
    };
    if another_masq_is_running(journal.pid()) {
        return Err(PlatformError::StillRunning {
            pid: journal.pid(),
            path: state_file.to_owned(),
        });
    }
    undo_all::<_, ()>(&mut Mac, journal, None)
}

/// Whether `pid` is alive, is not us, and runs the same program as us (PIDs are reused, so a
/// live PID alone proves nothing).
fn another_masq_is_running(pid: u32) -> bool {
    let ours = std::process::id();
    if pid == ours {
        return false;
    }
    match (process_name(pid), process_name(ours)) {
        (Some(theirs), Some(ours)) => theirs == ours,
        _ => false,
    }
}
