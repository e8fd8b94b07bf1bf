//! The control API over a Unix domain socket (Linux, macOS, the BSDs).
//!
//! Server side: [`bind`] creates the socket file with restrictive permissions and
//! [`serve`] answers clients after checking their kernel credentials. Client side: the
//! blocking [`Client`] for the CLI, and the connection the shared tokio
//! [`crate::AsyncClient`] runs on.

mod access;
mod bind;
mod client;
mod peer;
mod server;

pub use bind::{ControlListener, bind};
pub(crate) use client::connect_async;
pub use client::{Client, Subscription};
pub use server::serve;
