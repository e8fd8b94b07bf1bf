//! Who may open the control pipe on Windows, written as an SDDL security descriptor.
//!
//! The descriptor is built here as text, from validated SIDs, so the rule can be read and
//! tested on every OS; `windows/security.rs` only hands it to
//! `ConvertStringSecurityDescriptorToSecurityDescriptorW`. The DACL is protected (`P`: nothing
//! inherited) and grants:
//!
//! - full access to SYSTEM (the service), Administrators and the daemon's own user (it creates
//!   the pipe's further instances);
//! - read and write, but not "create pipe instance", to the one extra account allowed to
//!   control masq (the user who installed the service): that account can talk to the daemon
//!   but cannot put up a pipe instance of its own under masq's name to impersonate it.
//!
//! Network logons are denied first (`NU`), on top of the pipe refusing remote clients: the
//! control API is never reachable from another machine.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Rights of the extra account: FILE_GENERIC_READ | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES.
/// Leaves out FILE_APPEND_DATA, which on a pipe means FILE_CREATE_PIPE_INSTANCE.
pub(crate) const CLIENT_RIGHTS: u32 = 0x0012_0089 | 0x0002 | 0x0100;

/// A security identifier in its string form (`S-1-5-21-…`), checked to be well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sid(String);

/// Why a string is not a SID.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "`{0}` is not a Windows security identifier (expected S-1-<authority>-<sub-authority>…, e.g. S-1-5-21-…-1001)"
)]
pub(crate) struct SidError(String);

impl FromStr for Sid {
    type Err = SidError;

    fn from_str(text: &str) -> Result<Sid, SidError> {
        let bad = || SidError(text.to_owned());
        let rest = text.strip_prefix("S-1-").ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split('-').collect();
        // One identifier authority and 1 to 15 sub-authorities (SID_MAX_SUB_AUTHORITIES).
        if !(2..=16).contains(&parts.len()) {
            return Err(bad());
        }
        let (authority, subs) = parts.split_at(1);
        authority[0].parse::<u64>().map_err(|_| bad())?;
        for sub in subs {
            if sub.starts_with('+') {
                return Err(bad());
            }
            sub.parse::<u32>().map_err(|_| bad())?;
        }
        Ok(Sid(text.to_owned()))
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The control pipe's security descriptor: SYSTEM, Administrators and `owner` in full,
/// `extra` (if any, and not already one of those) read and write only, network logons denied.
pub(crate) fn control_pipe_sddl(owner: &Sid, extra: Option<&Sid>) -> String {
    let mut sddl = format!("D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;{owner})");
    if let Some(extra) = extra.filter(|e| *e != owner) {
        sddl.push_str(&format!("(A;;0x{CLIENT_RIGHTS:x};;;{extra})"));
    }
    sddl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_validated() {
        for good in [
            "S-1-5-18",
            "S-1-5-32-544",
            "S-1-5-21-1004336348-1177238915-682003330-1001",
        ] {
            assert_eq!(good.parse::<Sid>().unwrap().to_string(), good);
        }
        for bad in [
            "",
            "S-1-5",
            "S-2-5-18",
            "s-1-5-18",
            "S-1-5-",
            "S-1-5-x",
            "S-1-5-+1",
            "S-1-5-18)(A;;GA;;;WD",
            "S-1-5-4294967296",
            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
            "Administrators",
        ] {
            let e = bad.parse::<Sid>().unwrap_err();
            assert!(e.to_string().contains("security identifier"), "{bad}: {e}");
        }
    }

    #[test]
    fn descriptor_grants_system_admins_owner_and_extra_only() {
        let owner: Sid = "S-1-5-18".parse().unwrap();
        assert_eq!(
            control_pipe_sddl(&owner, None),
            "D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;S-1-5-18)"
        );
        let user: Sid = "S-1-5-21-1-2-3-1001".parse().unwrap();
        let sddl = control_pipe_sddl(&owner, Some(&user));
        assert!(
            sddl.ends_with("(A;;0x12018b;;;S-1-5-21-1-2-3-1001)"),
            "{sddl}"
        );
        assert!(!sddl.contains("WD") && !sddl.contains("AU"), "{sddl}");
        assert_eq!(
            control_pipe_sddl(&user, Some(&user))
                .matches(user.0.as_str())
                .count(),
            1
        );
    }

    #[test]
    fn client_rights_cannot_create_pipe_instances() {
        const FILE_CREATE_PIPE_INSTANCE: u32 = 0x0004;
        const FILE_READ_DATA: u32 = 0x0001;
        const FILE_WRITE_DATA: u32 = 0x0002;
        assert_eq!(CLIENT_RIGHTS & FILE_CREATE_PIPE_INSTANCE, 0);
        assert_eq!(
            CLIENT_RIGHTS & (FILE_READ_DATA | FILE_WRITE_DATA),
            FILE_READ_DATA | FILE_WRITE_DATA
        );
    }
}
