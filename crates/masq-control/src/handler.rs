//! The seam between the control server and whoever owns the engine.
//!
//! [`crate::serve`] turns every request (except `subscribe`, which it serves itself by polling)
//! into a [`HandlerCall`] on a channel. The daemon's engine loop receives those calls and
//! answers each one through its `reply` sender, so the server never touches engine state and
//! the engine loop never touches a socket.

use tokio::sync::oneshot;

use crate::request::Request;
use crate::response::Response;
use crate::role::Role;

/// One request for the engine loop to answer.
///
/// Answer every call, also when refusing (with [`Response::Error`]); a dropped `reply` reaches
/// the client as an `internal` error. `status`, `translations` and `inbound` must succeed
/// whether or not sharing runs (report `running: false` and empty lists), because
/// subscriptions poll them and end at the first refusal.
#[derive(Debug)]
pub struct HandlerCall {
    /// What the client asked; never [`Request::Subscribe`].
    pub request: Request,
    /// What the client may do (the server already refused requests beyond it; the handler
    /// weighs `set_settings` by what it changes, [`crate::Settings::role_to_change`]).
    pub role: Role,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Response>,
}
