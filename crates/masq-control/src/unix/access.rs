//! Who may use a control socket, in words, for "permission denied" messages.
//!
//! Derived from the socket file's owner, group and mode, which [`crate::bind`] sets to match
//! the server's peer check: root, the owner, and with mode 0660 the members of the group.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::{Gid, Group, Uid, User};

/// A sentence naming who may connect to the socket at `path` and how to become one of them.
pub(crate) fn describe_access(path: &Path) -> String {
    let Ok(meta) = std::fs::metadata(path) else {
        return "its directory is not accessible to you; run the command as root or as the user who started masq"
            .to_owned();
    };
    let user = User::from_uid(Uid::from_raw(meta.uid()))
        .ok()
        .flatten()
        .map_or_else(
            || format!("uid {}", meta.uid()),
            |u| format!("user {} (uid {})", u.name, meta.uid()),
        );
    let mut who = format!("only root and {user} may connect");
    if meta.mode() & 0o060 == 0o060 {
        let group = Group::from_gid(Gid::from_raw(meta.gid()))
            .ok()
            .flatten()
            .map_or_else(|| format!("gid {}", meta.gid()), |g| g.name);
        who.push_str(&format!(
            ", and members of group {group} (log in again after being added)"
        ));
    }
    who.push_str("; run the command as one of them, e.g. with sudo");
    who
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn names_owner_and_group_only_when_group_may_connect() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sock");
        std::fs::write(&file, b"").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let uid = nix::unistd::geteuid();
        let text = describe_access(&file);
        assert!(text.contains(&format!("uid {uid}")), "{text}");
        assert!(!text.contains("group"), "{text}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o660)).unwrap();
        assert!(describe_access(&file).contains("members of group"));
        assert!(describe_access(&dir.path().join("missing")).contains("not accessible"));
    }
}
