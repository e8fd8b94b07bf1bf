//! The control API over a Windows named pipe (`\\.\pipe\masq-control` by default).
//!
//! Server side: [`bind`] creates the pipe's first instance with an ACL that admits only
//! SYSTEM, Administrators, the daemon's user and one configured account (the user who
//! installed the service), refuses a second daemon (FILE_FLAG_FIRST_PIPE_INSTANCE) and remote
//! clients; [`serve`] accepts clients on a fresh instance each and answers them with the same
//! connection code as on unix. Client side: the shared [`crate::AsyncClient`] on a pipe
//! connection, and a blocking [`Client`] that drives it on a private single-thread runtime.
//!
//! Unlike a Unix socket there is no peer check after connecting: Windows applies the ACL when
//! the client opens the pipe, and the pipe exists only with that ACL from its first instance.

mod bind;
mod client;
mod peer_role;
mod security;
mod server;
mod server_check;

pub use bind::{ControlListener, bind};
pub(crate) use client::connect_async;
pub use client::{Client, Subscription};
pub use server::serve;

/// The SID (`S-1-5-21-…`) of the user this process runs as: what `masq service install`
/// records as the account allowed on the control pipe besides SYSTEM and Administrators.
pub fn current_user_sid() -> std::io::Result<String> {
    security::current_user_sid().map(|sid| sid.to_string())
}

#[cfg(test)]
mod tests;
