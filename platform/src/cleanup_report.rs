//! What `masq down` did: one line per recorded change, so the user sees exactly what was
//! removed and what had already disappeared (e.g. the TUN adapter, which the kernel removes
//! when its owner dies).

use std::fmt;
use std::path::PathBuf;

/// Whether a recorded change still had to be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanupOutcome {
    /// It was still in place and has been undone.
    Undone,
    /// It was already gone (never made, or removed by the kernel or someone else).
    AlreadyGone,
}

/// One recorded change and what cleanup did about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupAction {
    /// The change, in words ("rule iif eth1 lookup 28017 priority 5210").
    pub change: String,
    /// What happened to it.
    pub outcome: CleanupOutcome,
}

/// Everything [`crate::cleanup_stale`] did, printable for the user one line per change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupReport {
    /// The journal that was read.
    pub journal: PathBuf,
    /// Whether a journal existed at all.
    pub found: bool,
    /// The recorded changes, in the order they were undone (newest first).
    pub actions: Vec<CleanupAction>,
}

impl CleanupReport {
    /// The report when there is no journal: nothing to clean.
    pub fn nothing(journal: PathBuf) -> Self {
        CleanupReport {
            journal,
            found: false,
            actions: Vec::new(),
        }
    }

    /// Whether anything was actually removed.
    pub fn removed_anything(&self) -> bool {
        self.actions
            .iter()
            .any(|a| a.outcome == CleanupOutcome::Undone)
    }
}

impl fmt::Display for CleanupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.found {
            return write!(
                f,
                "nothing to clean: no journal at {}",
                self.journal.display()
            );
        }
        if self.actions.is_empty() {
            return write!(
                f,
                "journal {} listed no changes; removed it",
                self.journal.display()
            );
        }
        for (i, action) in self.actions.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match action.outcome {
                CleanupOutcome::Undone => write!(f, "removed: {}", action.change)?,
                CleanupOutcome::AlreadyGone => write!(f, "already gone: {}", action.change)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_clean_names_the_journal() {
        let report = CleanupReport::nothing("/run/masq/state.json".into());
        assert_eq!(
            report.to_string(),
            "nothing to clean: no journal at /run/masq/state.json"
        );
        assert!(!report.removed_anything());
    }

    #[test]
    fn one_line_per_change() {
        let report = CleanupReport {
            journal: "/j".into(),
            found: true,
            actions: vec![
                CleanupAction {
                    change: "rule a".into(),
                    outcome: CleanupOutcome::Undone,
                },
                CleanupAction {
                    change: "TUN adapter masq0".into(),
                    outcome: CleanupOutcome::AlreadyGone,
                },
            ],
        };
        assert_eq!(
            report.to_string(),
            "removed: rule a\nalready gone: TUN adapter masq0"
        );
        assert!(report.removed_anything());
    }
}
