//! Creating the control pipe: one per machine, never reachable from the network.
//!
//! [`bind`] creates the first instance with FILE_FLAG_FIRST_PIPE_INSTANCE, so a second daemon
//! (or any other program already holding the name) is refused with a clear error instead of
//! silently sharing the name; every instance carries the ACL from `pipe_sddl.rs` and rejects
//! remote clients. The pipe disappears when its last instance is closed: no file to clean up.

use std::io;
use std::path::{Path, PathBuf};

use tokio::net::windows::named_pipe::{NamedPipeServer, ServerOptions};
use windows_sys::Win32::Foundation::ERROR_ACCESS_DENIED;

use super::security::{PipeSecurity, account_sid, current_user_sid};
use crate::pipe_name::check_pipe_name;
use crate::pipe_sddl::control_pipe_sddl;

/// A created control pipe, ready for [`crate::serve`].
#[derive(Debug)]
pub struct ControlListener {
    pub(crate) server: NamedPipeServer,
    pub(crate) name: String,
    pub(crate) security: PipeSecurity,
    path: PathBuf,
}

impl ControlListener {
    /// Where clients connect.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Creates the control pipe at `path` (`\\.\pipe\NAME`), usable by SYSTEM, Administrators,
/// this process's user and `group` (a Windows account name or SID, e.g. the installing user).
///
/// Fails if another masq (or anything else) already holds the pipe name, if `path` is not a
/// local pipe name, if `group` is not a known account, or outside a tokio runtime.
pub fn bind(path: &Path, group: Option<&str>) -> io::Result<ControlListener> {
    let name = check_pipe_name(path)
        .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?
        .to_owned();
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(io::Error::other(
            "the control pipe can only be created inside a tokio runtime",
        ));
    }
    let owner = current_user_sid()?;
    let extra = group.map(account_sid).transpose()?;
    let security = PipeSecurity::from_sddl(control_pipe_sddl(&owner, extra.as_ref()))?;
    let server = create_instance(&name, &security, true).map_err(|e| {
        if e.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) {
            io::Error::new(
                io::ErrorKind::AddrInUse,
                format!(
                    "another masq is already running, controlled at {name} (or another program holds that pipe name)"
                ),
            )
        } else {
            io::Error::new(
                e.kind(),
                format!("cannot create the control pipe {name}: {e}"),
            )
        }
    })?;
    tracing::info!(pipe = %name, acl = security.sddl(), "control pipe ready");
    Ok(ControlListener {
        server,
        name,
        security,
        path: path.to_owned(),
    })
}

/// Creates one more instance of pipe `name` (the first one with `first`), local clients only.
pub(crate) fn create_instance(
    name: &str,
    security: &PipeSecurity,
    first: bool,
) -> io::Result<NamedPipeServer> {
    let mut attributes = security.attributes();
    let mut options = ServerOptions::new();
    options
        .first_pipe_instance(first)
        .reject_remote_clients(true);
    // SAFETY: `attributes` is a valid SECURITY_ATTRIBUTES whose descriptor is owned by
    // `security`, which outlives this call; CreateNamedPipeW copies what it needs.
    unsafe { options.create_with_security_attributes_raw(name, (&raw mut attributes).cast()) }
}
