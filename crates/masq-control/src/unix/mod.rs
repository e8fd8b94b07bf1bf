//! The control API over a Unix domain socket (Linux, macOS, the BSDs).
//!
//! Server side: [`bind`] creates the socket file with restrictive permissions and
//! [`serve`] answers clients after checking their kernel credentials. Client side: the
//! blocking [`Client`] for the CLI and the tokio [`AsyncClient`] for the GUI.

mod access;
mod answer;
mod async_client;
mod bind;
mod client;
mod peer;
mod server;
mod subscription;

pub use async_client::{AsyncClient, AsyncSubscription};
pub use bind::{ControlListener, bind};
pub use client::{Client, Subscription};
pub use server::serve;
