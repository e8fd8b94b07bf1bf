//! Which local processes may use the control socket, decided from their kernel credentials.
//!
//! The socket file's mode already keeps others out; this check is the second lock, and the one
//! that still holds in the instant between `bind` and `chmod`. The peer's uid comes from the
//! kernel (SO_PEERCRED on Linux, getpeereid on the BSDs and macOS, through tokio's
//! `peer_cred`), so it cannot be forged. Allowed: root, the uid the daemon runs as, and members
//! of the optional control group (primary group of the peer, or listed in the group database;
//! supplementary groups gained after login need a new login, as everywhere on unix).

use nix::unistd::{Gid, Group, Uid, User};

/// The rule a connecting process must satisfy.
#[derive(Debug, Clone)]
pub(crate) struct PeerPolicy {
    owner: Uid,
    group: Option<(String, Gid)>,
}

impl PeerPolicy {
    /// Allows root, `owner`, and members of `group` (name and id) if given.
    pub(crate) fn new(owner: Uid, group: Option<(String, Gid)>) -> Self {
        PeerPolicy { owner, group }
    }

    /// `Ok` if a peer with these kernel-reported ids may connect, else who may.
    pub(crate) fn check(&self, uid: u32, gid: u32) -> Result<(), String> {
        let uid = Uid::from_raw(uid);
        if uid.is_root() || uid == self.owner {
            return Ok(());
        }
        if let Some((name, group)) = &self.group {
            if Gid::from_raw(gid) == *group || is_listed_member(uid, name) {
                return Ok(());
            }
        }
        Err(self.who_may_connect())
    }

    fn who_may_connect(&self) -> String {
        let mut who = format!("only root and uid {} may connect", self.owner);
        if let Some((name, _)) = &self.group {
            who.push_str(&format!(", and members of group {name}"));
        }
        who
    }
}

fn is_listed_member(uid: Uid, group: &str) -> bool {
    let Ok(Some(user)) = User::from_uid(uid) else {
        return false;
    };
    matches!(Group::from_name(group), Ok(Some(g)) if g.mem.contains(&user.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_owner_and_group_pass_others_fail() {
        let p = PeerPolicy::new(Uid::from_raw(1000), None);
        assert!(p.check(0, 0).is_ok());
        assert!(p.check(1000, 1000).is_ok());
        let e = p.check(1001, 1001).unwrap_err();
        assert!(e.contains("uid 1000") && !e.contains("group"), "{e}");

        let p = PeerPolicy::new(
            Uid::from_raw(1000),
            Some(("masqctl".into(), Gid::from_raw(4242))),
        );
        assert!(p.check(1001, 4242).is_ok());
        let e = p.check(1001, 1001).unwrap_err();
        assert!(e.contains("group masqctl"), "{e}");
    }
}
