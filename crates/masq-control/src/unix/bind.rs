//! Creating the control socket: one per machine and user, never on a network address.
//!
//! [`bind`] refuses to take over a socket a live daemon answers on, removes one left by a
//! crashed daemon, and sets the file's mode so that only the allowed users can even connect
//! (0600, or 0660 with the control group). The socket file is removed again when the
//! [`ControlListener`] (or the [`crate::serve`] future that owns it) is dropped, but only if it
//! is still the file this listener created.

use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, Uid, User, chown, geteuid};

use super::peer::PeerPolicy;

/// A bound control socket, ready for [`crate::serve`].
#[derive(Debug)]
pub struct ControlListener {
    pub(crate) listener: UnixListener,
    pub(crate) policy: PeerPolicy,
    pub(crate) file: SocketFile,
}

impl ControlListener {
    /// Where clients connect.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Lets `user` (a name or a numeric uid) connect as an administrator, and gives it the
    /// socket file: what a GUI that started the root daemon needs, without opening the socket
    /// to a primary group that every user shares (`staff` on macOS, `users` on some Linux).
    pub fn with_control_user(mut self, user: &str) -> io::Result<ControlListener> {
        let uid = resolve_user(user)?;
        let path = &self.file.path;
        chown(path, Some(uid), None).map_err(|e| {
            context(
                e.into(),
                format!(
                    "cannot give user {user} the control socket {}",
                    path.display()
                ),
            )
        })?;
        tracing::info!(path = %path.display(), user, "control socket administered by this user too");
        self.policy = self.policy.with_admin(uid);
        Ok(self)
    }

    /// Lets members of `group` connect as observers (read-only).
    ///
    /// A socket file has one group, so the file becomes connectable by every local user
    /// (0666) and the credentials check alone decides: a process in none of the groups is
    /// told who may connect and disconnected before any request is served.
    pub fn with_observer_group(mut self, group: &str) -> io::Result<ControlListener> {
        let observers = resolve_group(group)?;
        let path = &self.file.path;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
            .map_err(|e| context(e, format!("cannot set mode 666 on {}", path.display())))?;
        tracing::info!(path = %path.display(), observers = observers.0.as_str(), "control socket open to observers");
        self.policy = self.policy.with_observers(observers);
        Ok(self)
    }
}

/// Binds the control socket at `path`, reachable by root, this user and `group`'s members.
///
/// Fails if another daemon answers at `path` ("another masq is already running"), if `path`
/// exists and is not a socket, or if `group` does not exist.
pub fn bind(path: &Path, group: Option<&str>) -> io::Result<ControlListener> {
    let group = group.map(resolve_group).transpose()?;
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| {
                context(
                    e,
                    format!(
                        "cannot create the control socket directory {}",
                        dir.display()
                    ),
                )
            })?;
    }
    check_directory(path)?;
    remove_stale(path)?;
    let listener = UnixListener::bind(path).map_err(|e| {
        context(
            e,
            format!("cannot create the control socket {}", path.display()),
        )
    })?;
    let file = SocketFile::of(path)?;
    let mode = if group.is_some() { 0o660 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| context(e, format!("cannot set mode {mode:o} on {}", path.display())))?;
    if let Some((name, gid)) = &group {
        chown(path, None, Some(*gid)).map_err(|e| {
            context(
                e.into(),
                format!("cannot give group {name} access to {}", path.display()),
            )
        })?;
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| context(e, format!("cannot make {} non-blocking", path.display())))?;
    tracing::info!(path = %path.display(), mode = format!("{mode:o}"), group = group.as_ref().map(|g| g.0.as_str()), "control socket ready");
    Ok(ControlListener {
        listener,
        policy: PeerPolicy::new(geteuid(), group),
        file,
    })
}

fn resolve_user(name: &str) -> io::Result<Uid> {
    if let Ok(raw) = name.parse::<u32>() {
        return Ok(Uid::from_raw(raw));
    }
    match User::from_name(name) {
        Ok(Some(u)) => Ok(u.uid),
        Ok(None) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("control user `{name}` does not exist; name an existing user or a numeric uid"),
        )),
        Err(e) => Err(context(
            e.into(),
            format!("cannot look up control user `{name}`"),
        )),
    }
}

fn resolve_group(name: &str) -> io::Result<(String, Gid)> {
    match Group::from_name(name) {
        Ok(Some(g)) => Ok((g.name, g.gid)),
        Ok(None) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "control group `{name}` does not exist; create it (e.g. `groupadd {name}`) or leave the control group unset"
            ),
        )),
        Err(e) => Err(context(
            e.into(),
            format!("cannot look up control group `{name}`"),
        )),
    }
}

/// Refuses a control path in a directory that another user could change. The daemon (root)
/// sets the socket file's mode and group by path after binding it; in a directory another
/// user may write to, that user could swap the socket for a symlink in between and have root
/// open any file to the control group. Every directory up to `/` must belong to root or to
/// this user and be writable by no one else, unless it is sticky (`/tmp`): there others
/// cannot rename or remove what is not theirs.
fn check_directory(path: &Path) -> io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_owned(),
        None => PathBuf::from("."),
    };
    let dir = dir.canonicalize().map_err(|e| {
        context(
            e,
            format!("cannot resolve the directory of {}", path.display()),
        )
    })?;
    let me = geteuid().as_raw();
    for d in dir.ancestors() {
        let meta = std::fs::metadata(d)
            .map_err(|e| context(e, format!("cannot inspect {}", d.display())))?;
        let problem = if meta.uid() != 0 && meta.uid() != me {
            Some(format!("it belongs to uid {}", meta.uid()))
        } else if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 {
            Some("other users may write to it".to_owned())
        } else {
            None
        };
        if let Some(why) = problem {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the control socket {} would be in {}, which is not safe for it ({why}): choose a directory only root or you can change, such as /run/masq",
                    path.display(),
                    d.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Removes a socket file nobody answers on; refuses if a daemon answers or it is not a socket.
fn remove_stale(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(context(e, format!("cannot inspect {}", path.display()))),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not a socket; remove it or choose another control path",
                path.display()
            ),
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "another masq is already running, controlled at {}",
                path.display()
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing the control socket of a masq that is gone");
            std::fs::remove_file(path).map_err(|e| {
                context(
                    e,
                    format!("cannot remove the stale control socket {}", path.display()),
                )
            })
        }
        Err(e) => Err(context(
            e,
            format!(
                "cannot tell whether a masq still answers at {}",
                path.display()
            ),
        )),
    }
}

/// The socket file a listener created, identified by device and inode.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    fn of(path: &Path) -> io::Result<Self> {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| context(e, format!("cannot inspect {}", path.display())))?;
        Ok(SocketFile {
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|m| m.dev() == self.dev && m.ino() == self.ino);
        if ours {
            if let Err(e) = std::fs::remove_file(&self.path) {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot remove the control socket");
            }
        }
    }
}

fn context(e: io::Error, what: String) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_dir_sets_mode_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/masq/control.sock");
        let l = bind(&path, None).unwrap();
        assert_eq!(l.path(), path);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777,
            0o755
        );
        drop(l);
        assert!(!path.exists());
    }

    #[test]
    fn live_socket_is_not_taken_over_and_stale_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let live = bind(&path, None).unwrap();
        let e = bind(&path, None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        assert!(
            e.to_string().contains("another masq is already running"),
            "{e}"
        );
        assert!(path.exists(), "the live daemon's socket must survive");
        drop(live);
        bind(&path, None).unwrap();
    }

    #[test]
    fn stale_socket_from_a_dead_listener_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let l = bind(&path, None).unwrap();
        assert!(path.exists());
        drop(l);
    }

    #[test]
    fn refuses_to_replace_a_regular_file_and_unknown_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        std::fs::write(&path, b"precious").unwrap();
        let e = bind(&path, None).unwrap_err();
        assert!(e.to_string().contains("not a socket"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");

        let e = bind(&dir.path().join("other.sock"), Some("no-such-group-masq")).unwrap_err();
        assert!(e.to_string().contains("no-such-group-masq"), "{e}");
    }

    #[test]
    fn group_mode_is_0660() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let gid = nix::unistd::getegid();
        let Ok(Some(group)) = Group::from_gid(gid) else {
            return;
        };
        let _l = bind(&path, Some(&group.name)).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o660);
        assert_eq!(meta.gid(), gid.as_raw());
    }

    #[test]
    fn a_directory_others_can_change_is_refused_a_sticky_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = bind(&open.join("control.sock"), None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("other users may write to it"), "{e}");
        assert!(!open.join("control.sock").exists(), "nothing was created");

        let sticky = dir.path().join("sticky");
        std::fs::create_dir(&sticky).unwrap();
        std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let l = bind(&sticky.join("control.sock"), None).unwrap();
        drop(l);

        let nested = open.join("inner");
        std::fs::create_dir(&nested).unwrap();
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o700)).unwrap();
        let e = bind(&nested.join("control.sock"), None).unwrap_err();
        assert!(
            e.to_string().contains("open"),
            "an unsafe ancestor counts too: {e}"
        );
    }
}
