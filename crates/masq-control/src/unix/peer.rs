//! Which local processes may use the control socket, decided from their kernel credentials.
//!
//! The socket file's mode already keeps others out; this check is the second lock, and the one
//! that still holds in the instant between `bind` and `chmod`. The peer's uid comes from the
//! kernel (SO_PEERCRED on Linux, getpeereid on the BSDs and macOS, through tokio's
//! `peer_cred`), so it cannot be forged. Allowed: root, the uid the daemon runs as, and members
//! of the optional control group (primary group of the peer, or listed in the group database;
//! supplementary groups gained after login need a new login, as everywhere on unix).

use nix::unistd::{Gid, Group, Uid, User};

use crate::Role;

/// The rule a connecting process must satisfy, and the role it then has.
#[derive(Debug, Clone)]
pub(crate) struct PeerPolicy {
    owner: Uid,
    /// Users named to administer besides root and the owner (the GUI's user).
    admins: Vec<Uid>,
    group: Option<(String, Gid)>,
    observers: Option<(String, Gid)>,
}

impl PeerPolicy {
    /// Administrators: root and `owner`; operators: members of `group`; nobody observes
    /// until [`PeerPolicy::with_observers`] names a group.
    pub(crate) fn new(owner: Uid, group: Option<(String, Gid)>) -> Self {
        PeerPolicy {
            owner,
            admins: Vec::new(),
            group,
            observers: None,
        }
    }

    /// Lets `user` connect as an administrator.
    pub(crate) fn with_admin(mut self, user: Uid) -> Self {
        self.admins.push(user);
        self
    }

    /// Lets members of `observers` connect with the observer role.
    pub(crate) fn with_observers(mut self, observers: (String, Gid)) -> Self {
        self.observers = Some(observers);
        self
    }

    /// The role of a peer with these kernel-reported ids, or who may connect.
    pub(crate) fn check(&self, uid: u32, gid: u32) -> Result<Role, String> {
        let uid = Uid::from_raw(uid);
        if uid.is_root() || uid == self.owner || self.admins.contains(&uid) {
            return Ok(Role::Administrator);
        }
        let member = |group: &Option<(String, Gid)>| {
            group
                .as_ref()
                .is_some_and(|(name, id)| Gid::from_raw(gid) == *id || is_listed_member(uid, name))
        };
        if member(&self.group) {
            return Ok(Role::Operator);
        }
        if member(&self.observers) {
            return Ok(Role::Observer);
        }
        Err(self.who_may_connect())
    }

    fn who_may_connect(&self) -> String {
        let mut who = format!("only root and uid {} may connect", self.owner);
        for admin in &self.admins {
            who.push_str(&format!(", uid {admin}"));
        }
        if let Some((name, _)) = &self.group {
            who.push_str(&format!(", and members of group {name}"));
        }
        if let Some((name, _)) = &self.observers {
            who.push_str(&format!(" (to control) or {name} (to watch)"));
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
    fn root_and_owner_administer_group_operates_observers_watch_others_fail() {
        let p = PeerPolicy::new(Uid::from_raw(1000), None);
        assert_eq!(p.check(0, 0), Ok(Role::Administrator));
        assert_eq!(p.check(1000, 1000), Ok(Role::Administrator));
        let e = p.check(1001, 1001).unwrap_err();
        assert!(e.contains("uid 1000") && !e.contains("group"), "{e}");

        let p = PeerPolicy::new(
            Uid::from_raw(1000),
            Some(("masqctl".into(), Gid::from_raw(4242))),
        )
        .with_observers(("masqview".into(), Gid::from_raw(4343)));
        assert_eq!(p.check(1001, 4242), Ok(Role::Operator));
        let p = p.with_admin(Uid::from_raw(1003));
        assert_eq!(p.check(1003, 1003), Ok(Role::Administrator));
        assert_eq!(p.check(1002, 4343), Ok(Role::Observer));
        let e = p.check(1001, 1001).unwrap_err();
        assert!(e.contains("group masqctl") && e.contains("masqview"), "{e}");
    }
}
