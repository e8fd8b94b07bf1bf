//! The crash journal: an on-disk list of every system change a running masq has made, so that
//! a killed instance can be cleaned up later (`masq down`).
//!
//! Invariants:
//! - a change is recorded *before* it is made, so the journal always lists a superset of what
//!   is in place (undoing a change that never happened is a harmless "already gone");
//! - every write replaces the whole file atomically (temp file, fsync, rename), so a crash
//!   leaves either the old or the new list, never a torn one;
//! - the journal is claimed with a hard link of a complete temp file, which fails if a journal
//!   already exists: two instances never share one, and an earlier run's journal is never
//!   overwritten before it is cleaned up.
//!
//! The step type is chosen by the OS backend (Linux records links, routes, rules, sysctls).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::PlatformError;

/// Version of the file layout; bumped when a step's meaning changes.
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalFile<S> {
    format: u32,
    pid: u32,
    steps: Vec<S>,
}

/// The journal file of one running (or crashed) instance.
#[derive(Debug)]
pub(crate) struct Journal<S> {
    path: PathBuf,
    file: JournalFile<S>,
}

impl<S: Serialize + DeserializeOwned> Journal<S> {
    /// Claims `path` for this process with an empty journal.
    ///
    /// Fails with [`PlatformError::StaleJournal`] if a journal is already there.
    pub(crate) fn create(path: &Path) -> Result<Self, PlatformError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)
                .map_err(|source| journal_error("create the directory of", path, source))?;
        }
        let journal = Journal {
            path: path.to_owned(),
            file: JournalFile {
                format: FORMAT,
                pid: std::process::id(),
                steps: Vec::new(),
            },
        };
        let tmp = journal.write_temp()?;
        let claimed = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match claimed {
            Ok(()) => Ok(journal),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let pid = match Self::load(path)? {
                    Some(existing) => existing.pid(),
                    None => 0,
                };
                Err(PlatformError::StaleJournal {
                    path: path.to_owned(),
                    pid,
                })
            }
            Err(source) => Err(journal_error("write", path, source)),
        }
    }

    /// Reads the journal at `path`; `None` if there is none.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, PlatformError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(journal_error("read", path, source)),
        };
        // Undoing a journal acts as root on what it lists: never one another user wrote.
        check_owner(path).map_err(|source| journal_error("trust", path, source))?;
        let file: JournalFile<S> =
            serde_json::from_str(&text).map_err(|source| PlatformError::JournalCorrupt {
                path: path.to_owned(),
                source,
            })?;
        if file.format != FORMAT {
            return Err(journal_error(
                "understand",
                path,
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "format {} was written by another masq version (this one reads {FORMAT})",
                        file.format
                    ),
                ),
            ));
        }
        Ok(Some(Journal {
            path: path.to_owned(),
            file,
        }))
    }

    /// The process that wrote the journal.
    pub(crate) fn pid(&self) -> u32 {
        self.file.pid
    }

    /// Where the journal lives.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded changes, oldest first.
    pub(crate) fn steps(&self) -> &[S] {
        &self.file.steps
    }

    /// Records a change that is about to be made.
    pub(crate) fn record(&mut self, step: S) -> Result<(), PlatformError> {
        self.file.steps.push(step);
        self.persist()
    }

    /// Drops the newest record: its change failed, so nothing is in place to undo.
    pub(crate) fn forget_last(&mut self) -> Result<(), PlatformError> {
        self.file.steps.pop();
        self.persist()
    }

    /// Replaces the record with the changes that are still in place.
    pub(crate) fn replace_steps(&mut self, steps: Vec<S>) -> Result<(), PlatformError> {
        self.file.steps = steps;
        self.persist()
    }

    /// Deletes the journal once everything it listed is undone.
    pub(crate) fn remove(self) -> Result<(), PlatformError> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(journal_error("remove", &self.path, source)),
        }
    }

    fn persist(&self) -> Result<(), PlatformError> {
        let tmp = self.write_temp()?;
        fs::rename(&tmp, &self.path).map_err(|source| {
            let _ = fs::remove_file(&tmp);
            journal_error("write", &self.path, source)
        })?;
        sync_parent(&self.path);
        Ok(())
    }

    /// Writes the whole journal to a sibling temp file and flushes it to disk.
    fn write_temp(&self) -> Result<PathBuf, PlatformError> {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(format!(".{}.tmp", std::process::id()));
        let tmp = self.path.with_file_name(name);
        let json = serde_json::to_vec_pretty(&self.file).map_err(|e| {
            journal_error(
                "encode",
                &self.path,
                io::Error::new(io::ErrorKind::InvalidData, e),
            )
        })?;
        let result = (|| {
            let mut file = open_private(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()
        })();
        if let Err(source) = result {
            let _ = fs::remove_file(&tmp);
            return Err(journal_error("write", &self.path, source));
        }
        Ok(tmp)
    }
}

/// Opens a fresh file readable by its owner only: the journal names interfaces and addresses.
fn open_private(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The journal's directory: created if missing (on Windows with a protected ACL of SYSTEM,
/// Administrators and the owner), and refused when another user owns it.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(target_os = "windows")]
    {
        crate::imp::file_owner::create_private_dir(dir)
    }
    #[cfg(unix)]
    {
        // Not narrowed to 0700: the control socket may share the directory (/run/masq), and
        // the journal file itself is 0600.
        fs::create_dir_all(dir)?;
        check_owner(dir)
    }
    #[cfg(not(any(unix, target_os = "windows")))]
    {
        fs::create_dir_all(dir)
    }
}

/// Fails unless `path` belongs to root or to the user masq runs as (on Windows: SYSTEM, the
/// Administrators or that user).
fn check_owner(path: &Path) -> io::Result<()> {
    #[cfg(target_os = "windows")]
    {
        crate::imp::file_owner::check_owner(path)
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let owner = fs::symlink_metadata(path)?.uid();
        let me = nix::unistd::geteuid().as_raw();
        if owner == 0 || owner == me {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to uid {owner}, not to root or uid {me}; masq will not act on it. Remove it as root and start again",
                    path.display()
                ),
            ))
        }
    }
    #[cfg(not(any(unix, target_os = "windows")))]
    {
        let _ = path;
        Ok(())
    }
}

/// Makes the rename durable; failure only weakens crash safety, so it is logged, not fatal.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
            tracing::debug!(dir = %dir.display(), error = %e, "could not fsync the journal's directory");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn journal_error(action: &'static str, path: &Path, source: io::Error) -> PlatformError {
    PlatformError::Journal {
        action,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("masq-journal-test-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("sub").join("state.json")
    }

    #[test]
    fn record_load_forget_remove_roundtrip() {
        let path = temp_path("roundtrip");
        let mut journal: Journal<String> = Journal::create(&path).unwrap();
        journal.record("first".to_owned()).unwrap();
        journal.record("second".to_owned()).unwrap();

        let loaded: Journal<String> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(loaded.steps(), ["first", "second"]);
        assert_eq!(loaded.pid(), std::process::id());

        journal.forget_last().unwrap();
        let loaded: Journal<String> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(loaded.steps(), ["first"]);

        journal.remove().unwrap();
        assert!(Journal::<String>::load(&path).unwrap().is_none());
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert!(
            leftovers.is_empty(),
            "temp files left behind: {leftovers:?}"
        );
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn an_existing_journal_is_never_overwritten() {
        let path = temp_path("stale");
        let mut first: Journal<String> = Journal::create(&path).unwrap();
        first.record("keep me".to_owned()).unwrap();
        match Journal::<String>::create(&path) {
            Err(PlatformError::StaleJournal { pid, .. }) => assert_eq!(pid, std::process::id()),
            other => panic!("expected StaleJournal, got {other:?}"),
        }
        let loaded: Journal<String> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(loaded.steps(), ["keep me"]);
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    /// Root (as CI runs) can give the file away; as another user there is nothing to test.
    #[cfg(unix)]
    #[test]
    fn a_journal_another_user_owns_is_not_acted_on() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let path = temp_path("foreign");
        let journal: Journal<String> = Journal::create(&path).unwrap();
        drop(journal);
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        match Journal::<String>::load(&path) {
            Err(PlatformError::Journal { source, .. }) => {
                assert_eq!(source.kind(), io::ErrorKind::PermissionDenied, "{source}");
                assert!(source.to_string().contains("uid 65534"), "{source}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn garbage_is_reported_as_corrupt() {
        let path = temp_path("corrupt");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"{ not json").unwrap();
        assert!(matches!(
            Journal::<String>::load(&path),
            Err(PlatformError::JournalCorrupt { .. })
        ));
        fs::write(&path, br#"{"format": 99, "pid": 1, "steps": []}"#).unwrap();
        let err = Journal::<String>::load(&path).unwrap_err();
        assert!(err.to_string().contains("format 99"), "{err}");
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn journal_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_path("mode");
        let mut journal: Journal<String> = Journal::create(&path).unwrap();
        journal.record("x".to_owned()).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        journal.remove().unwrap();
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}
