//! `masq down`: undo what a killed instance left behind, from its journal.
//!
//! Refuses to run behind a live instance (its changes are in use, and it would undo them
//! itself on stop); otherwise replays the journal through [`super::undo::undo_all`].

use std::fs;
use std::path::Path;

use super::netlink::Netlink;
use super::steps::Step;
use super::undo::undo_all;
use crate::journal::Journal;
use crate::{CleanupReport, PlatformError};

/// Undoes every change recorded in `state_file` and deletes it; "nothing to clean" if there is
/// no journal.
pub async fn cleanup_stale(state_file: &Path) -> Result<CleanupReport, PlatformError> {
    let Some(journal) = Journal::<Step>::load(state_file)? else {
        return Ok(CleanupReport::nothing(state_file.to_owned()));
    };
    if another_masq_is_running(journal.pid()) {
        return Err(PlatformError::StillRunning {
            pid: journal.pid(),
            path: state_file.to_owned(),
        });
    }
    let netlink = Netlink::open("cleanup_stale")?;
    undo_all(&netlink, journal, None).await
}

/// Whether `pid` is alive, is not us, and runs the same program as us (PIDs are reused, so a
/// live PID alone proves nothing).
fn another_masq_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let theirs = fs::read_to_string(format!("/proc/{pid}/comm"));
    let ours = fs::read_to_string("/proc/self/comm");
    matches!((theirs, ours), (Ok(theirs), Ok(ours)) if theirs == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_pid_and_dead_pids_are_not_running_owners() {
        assert!(!another_masq_is_running(std::process::id()));
        // PID 0 never has a /proc entry.
        assert!(!another_masq_is_running(0));
    }

    #[test]
    fn a_live_process_running_another_program_is_not_an_owner() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let running = another_masq_is_running(child.id());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!running);
    }

    #[tokio::test]
    async fn no_journal_means_nothing_to_clean() {
        let path =
            std::env::temp_dir().join(format!("masq-no-journal-{}.json", std::process::id()));
        let report = cleanup_stale(&path).await.unwrap();
        assert!(!report.found);
        assert!(report.to_string().starts_with("nothing to clean"));
    }
}
