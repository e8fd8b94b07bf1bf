//! Undoing recorded changes (macOS): shared by `Gateway::stop`, the rollback of a failed
//! start, and `masq down` after a crash.
//!
//! The decisions live here, over a small [`System`] trait, so they are unit-tested on every
//! OS with a fake; `system.rs` is the real implementation (sysctl, pfctl). Rules:
//! - steps are undone newest first; each undo is idempotent ("already gone" is success), and
//!   a step whose undo fails stays in the journal while the others are still undone;
//! - forwarding is restored only if it still has the value masq set: if Internet Sharing or
//!   the user changed it since, their value wins;
//! - a pf token is cleared from the journal *before* `pfctl -X` releases it, so a crash in
//!   between can at worst leak one reference (pf stays enabled with only the system's rules),
//!   never release a reused token on someone else's behalf later;
//! - the utun needs no call: it disappears when its descriptor closes.

use tracing::{debug, warn};

use super::steps::Step;
use crate::journal::Journal;
use crate::{CleanupAction, CleanupOutcome, CleanupReport, PlatformError};

/// The value masq sets `net.inet.ip.forwarding` to.
pub(crate) const FORWARDING_ON: u32 = 1;

/// The system calls undoing needs.
pub(crate) trait System {
    /// Current `net.inet.ip.forwarding`.
    fn forwarding(&mut self) -> Result<u32, PlatformError>;
    /// Sets `net.inet.ip.forwarding`.
    fn set_forwarding(&mut self, value: u32) -> Result<(), PlatformError>;
    /// Removes every rule from `anchor` (and nothing else).
    fn flush_anchor(&mut self, anchor: &str) -> Result<(), PlatformError>;
    /// Releases one pf enable reference; `AlreadyGone` if pf no longer knows the token.
    fn release_pf(&mut self, token: u64) -> Result<CleanupOutcome, PlatformError>;
}

/// Undoes every step in `journal`, dropping `utun` when its opening is undone, and deletes the
/// journal if all succeeded.
pub(crate) fn undo_all<S: System, T>(
    sys: &mut S,
    mut journal: Journal<Step>,
    mut utun: Option<T>,
) -> Result<CleanupReport, PlatformError> {
    let path = journal.path().to_owned();
    let mut actions = Vec::new();
    let mut failures = Vec::new();
    let mut index = journal.steps().len();
    while index > 0 {
        index -= 1;
        let step = journal.steps()[index].clone();
        match undo_step(sys, &mut journal, index, &step, &mut utun) {
            Ok(outcome) => {
                debug!(change = %step, ?outcome, "undid change");
                actions.push(CleanupAction {
                    change: step.to_string(),
                    outcome,
                });
                let mut steps = journal.steps().to_vec();
                steps.remove(index);
                if let Err(e) = journal.replace_steps(steps) {
                    warn!(error = %e, "could not shorten the journal; what it still lists is safe to retry");
                }
            }
            Err(e) => {
                warn!(change = %step, error = %e, "could not undo change");
                failures.push(format!("{step} ({e})"));
            }
        }
    }
    drop(utun);
    if failures.is_empty() {
        journal.remove()?;
        return Ok(CleanupReport {
            journal: path,
            found: true,
            actions,
        });
    }
    Err(PlatformError::CleanupIncomplete { path, failures })
}

fn undo_step<S: System, T>(
    sys: &mut S,
    journal: &mut Journal<Step>,
    index: usize,
    step: &Step,
    utun: &mut Option<T>,
) -> Result<CleanupOutcome, PlatformError> {
    match step {
        Step::UtunOpened { .. } => Ok(if utun.take().is_some() {
            CleanupOutcome::Undone
        } else {
            // The kernel removed it when the process that held it exited.
            CleanupOutcome::AlreadyGone
        }),
        Step::ForwardingChanged { old } => {
            if sys.forwarding()? != FORWARDING_ON || *old == FORWARDING_ON {
                return Ok(CleanupOutcome::AlreadyGone);
            }
            sys.set_forwarding(*old)?;
            Ok(CleanupOutcome::Undone)
        }
        Step::PfAnchorLoaded { anchor } => {
            sys.flush_anchor(anchor)?;
            Ok(CleanupOutcome::Undone)
        }
        Step::PfEnabled { token: None } => {
            warn!(
                "a pf enable reference was taken but its token was never recorded; pf may stay enabled (with only the system's rules) until reboot"
            );
            Ok(CleanupOutcome::AlreadyGone)
        }
        Step::PfEnabled { token: Some(token) } => {
            let mut steps = journal.steps().to_vec();
            steps[index] = Step::PfEnabled { token: None };
            journal.replace_steps(steps)?;
            sys.release_pf(*token)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ifname::IfName;
    use super::*;

    /// Records calls and answers from fixed state.
    #[derive(Default)]
    struct Fake {
        forwarding: u32,
        calls: Vec<String>,
        fail_flush: bool,
        known_tokens: Vec<u64>,
        /// The journal's steps as they were when `release_pf` ran.
        journal_at_release: Option<Vec<Step>>,
        journal_path: Option<std::path::PathBuf>,
    }

    impl System for Fake {
        fn forwarding(&mut self) -> Result<u32, PlatformError> {
            Ok(self.forwarding)
        }
        fn set_forwarding(&mut self, value: u32) -> Result<(), PlatformError> {
            self.calls.push(format!("forwarding={value}"));
            self.forwarding = value;
            Ok(())
        }
        fn flush_anchor(&mut self, anchor: &str) -> Result<(), PlatformError> {
            if self.fail_flush {
                return Err(PlatformError::Pf {
                    action: format!("flush anchor {anchor}"),
                    detail: "pfctl: Permission denied".into(),
                });
            }
            self.calls.push(format!("flush {anchor}"));
            Ok(())
        }
        fn release_pf(&mut self, token: u64) -> Result<CleanupOutcome, PlatformError> {
            self.calls.push(format!("release {token}"));
            if let Some(path) = &self.journal_path {
                let j: Journal<Step> = Journal::load(path).unwrap().unwrap();
                self.journal_at_release = Some(j.steps().to_vec());
            }
            Ok(if self.known_tokens.contains(&token) {
                CleanupOutcome::Undone
            } else {
                CleanupOutcome::AlreadyGone
            })
        }
    }

    fn journal(tag: &str, steps: &[Step]) -> (Journal<Step>, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("masq-macos-undo-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("state.json");
        let mut j = Journal::create(&path).unwrap();
        for s in steps {
            j.record(s.clone()).unwrap();
        }
        (j, path)
    }

    fn full_run() -> Vec<Step> {
        vec![
            Step::UtunOpened {
                name: IfName::new("utun4").unwrap(),
            },
            Step::ForwardingChanged { old: 0 },
            Step::PfEnabled { token: Some(77) },
            Step::PfAnchorLoaded {
                anchor: "com.apple/masq".into(),
            },
        ]
    }

    #[test]
    fn stop_undoes_newest_first_and_removes_the_journal() {
        let (j, path) = journal("stop", &full_run());
        let mut sys = Fake {
            forwarding: 1,
            known_tokens: vec![77],
            journal_path: Some(path.clone()),
            ..Fake::default()
        };
        let report = undo_all(&mut sys, j, Some(())).unwrap();
        assert_eq!(
            sys.calls,
            ["flush com.apple/masq", "release 77", "forwarding=0"]
        );
        let outcomes: Vec<_> = report.actions.iter().map(|a| a.outcome).collect();
        assert_eq!(outcomes, [CleanupOutcome::Undone; 4]);
        assert!(!path.exists());
        // The token was cleared in the journal before it was released.
        let at_release = sys.journal_at_release.unwrap();
        assert!(
            at_release.contains(&Step::PfEnabled { token: None }),
            "{at_release:?}"
        );
        assert!(
            !at_release
                .iter()
                .any(|s| matches!(s, Step::PfAnchorLoaded { .. }))
        );
    }

    #[test]
    fn after_a_crash_the_utun_is_already_gone() {
        let (j, _) = journal("crash", &full_run());
        let mut sys = Fake {
            forwarding: 1,
            known_tokens: vec![77],
            ..Fake::default()
        };
        let report = undo_all::<_, ()>(&mut sys, j, None).unwrap();
        assert_eq!(report.actions.last().unwrap().change, "utun adapter utun4");
        assert_eq!(
            report.actions.last().unwrap().outcome,
            CleanupOutcome::AlreadyGone
        );
    }

    #[test]
    fn forwarding_changed_by_someone_else_is_left_alone() {
        let (j, _) = journal("fwd", &[Step::ForwardingChanged { old: 0 }]);
        let mut sys = Fake {
            forwarding: 0,
            ..Fake::default()
        };
        let report = undo_all::<_, ()>(&mut sys, j, None).unwrap();
        assert!(sys.calls.is_empty(), "{:?}", sys.calls);
        assert_eq!(report.actions[0].outcome, CleanupOutcome::AlreadyGone);
    }

    #[test]
    fn an_unknown_or_stale_token_is_not_released() {
        let (j, _) = journal(
            "tok",
            &[
                Step::PfEnabled { token: None },
                Step::PfEnabled { token: Some(5) },
            ],
        );
        let mut sys = Fake::default();
        let report = undo_all::<_, ()>(&mut sys, j, None).unwrap();
        assert_eq!(sys.calls, ["release 5"]);
        assert!(
            report
                .actions
                .iter()
                .all(|a| a.outcome == CleanupOutcome::AlreadyGone)
        );
    }

    #[test]
    fn a_failed_undo_stays_in_the_journal_and_the_rest_is_undone() {
        let (j, path) = journal("fail", &full_run());
        let mut sys = Fake {
            forwarding: 1,
            fail_flush: true,
            known_tokens: vec![77],
            ..Fake::default()
        };
        let err = undo_all::<_, ()>(&mut sys, j, None).unwrap_err();
        assert!(
            matches!(err, PlatformError::CleanupIncomplete { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("com.apple/masq"), "{err}");
        assert_eq!(sys.calls, ["release 77", "forwarding=0"]);
        let left: Journal<Step> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(
            left.steps(),
            [Step::PfAnchorLoaded {
                anchor: "com.apple/masq".into()
            }]
        );
        left.remove().unwrap();
    }
}
