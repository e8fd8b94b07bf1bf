//! Leases on disk: one JSON document, replaced atomically (write a temporary file in the
//! same directory, then rename), so a crash never leaves half a file. A file that cannot be
//! parsed is set aside as `<name>.corrupt` rather than crashing the server or losing it.

use masq_paths::private_file::{read_bounded_text, write_private};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::leases::Lease;

/// Largest lease file read: a full /16 pool of leases with long host names is well below.
const MAX_LEASE_FILE: u64 = 64 * 1024 * 1024;

/// Format version of the lease file; a different one is set aside like a corrupt file.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct LeaseFile {
    format: u32,
    leases: Vec<Lease>,
}

/// Why leases could not be read or written.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Reading failed for another reason than absence.
    #[error("cannot read the DHCP lease file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// Writing failed (directory missing and not creatable, disk full, read-only).
    #[error(
        "cannot write the DHCP lease file {}: {source}; leases will not survive a restart (set dhcp.lease_file to a writable path)",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

/// Reads the leases; a missing file is an empty table, a malformed one is renamed to
/// `.corrupt` and reported through the returned warning.
pub fn load(path: &Path) -> Result<(Vec<Lease>, Option<String>), StoreError> {
    let text = match read_bounded_text(path, MAX_LEASE_FILE) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
        Err(source) => {
            return Err(StoreError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    match serde_json::from_str::<LeaseFile>(&text) {
        Ok(f) if f.format == FORMAT => Ok((f.leases, None)),
        Ok(f) => Ok((
            Vec::new(),
            Some(set_aside(path, &format!("format {}", f.format))),
        )),
        Err(e) => Ok((Vec::new(), Some(set_aside(path, &e.to_string())))),
    }
}

/// Replaces the file with `leases`.
pub fn save<'a>(path: &Path, leases: impl Iterator<Item = &'a Lease>) -> Result<(), StoreError> {
    let write_err = |source| StoreError::Write {
        path: path.to_owned(),
        source,
    };
    let doc = LeaseFile {
        format: FORMAT,
        leases: leases.cloned().collect(),
    };
    let text = serde_json::to_string_pretty(&doc).map_err(|e| write_err(io::Error::other(e)))?;
    write_private(path, text.as_bytes()).map_err(write_err)
}

fn set_aside(path: &Path, why: &str) -> String {
    let corrupt = path.with_extension("json.corrupt");
    match std::fs::rename(path, &corrupt) {
        Ok(()) => format!(
            "DHCP lease file {} is unreadable ({why}); moved to {} and starting with no leases",
            path.display(),
            corrupt.display()
        ),
        Err(e) => format!(
            "DHCP lease file {} is unreadable ({why}) and cannot be moved aside ({e}); starting with no leases",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use masq_control::MacAddr;

    use super::super::leases::{LeaseState, LeaseTable};
    use super::super::pool::Pool;
    use super::*;

    #[test]
    fn leases_survive_a_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/leases.json");
        assert!(load(&path).unwrap().0.is_empty());
        let pool = Pool::new("192.168.137.1/24".parse().unwrap(), None, None).unwrap();
        let mut t = LeaseTable::new(pool.clone(), 3600, &[]);
        let mac = MacAddr([2, 0, 0, 0, 0, 1]);
        t.commit(
            mac,
            Ipv4Addr::new(192, 168, 137, 10),
            Some("laptop".into()),
            1000,
        )
        .unwrap();
        t.offer(MacAddr([2, 0, 0, 0, 0, 2]), None, None, 1000)
            .unwrap();
        save(&path, t.leases()).unwrap();

        let (leases, warning) = load(&path).unwrap();
        assert_eq!(warning, None);
        let mut again = LeaseTable::new(pool, 3600, &[]);
        again.restore(leases, 1001);
        let back: Vec<_> = again.leases().cloned().collect();
        assert_eq!(back.len(), 1, "offers are not restored");
        assert_eq!(back[0], *t.lease_of(mac).unwrap());
        assert_eq!(back[0].state, LeaseState::Bound);
        assert_eq!(
            again.offer(mac, None, None, 1002).unwrap(),
            Ipv4Addr::new(192, 168, 137, 10),
            "same address after restart"
        );
    }

    #[test]
    fn corrupt_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leases.json");
        std::fs::write(&path, "{not json").unwrap();
        let (leases, warning) = load(&path).unwrap();
        assert!(leases.is_empty());
        assert!(warning.unwrap().contains("leases.json.corrupt"));
        assert!(dir.path().join("leases.json.corrupt").exists());
        assert!(!path.exists());
    }

    #[test]
    fn unwritable_location_names_the_path_and_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let e = save(&blocker.join("leases.json"), std::iter::empty()).unwrap_err();
        assert!(e.to_string().contains("dhcp.lease_file"), "{e}");
    }
}
