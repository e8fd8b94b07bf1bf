//! The seam between the control server and whoever owns the engine.
//!
//! [`crate::serve`] turns every request (except `subscribe`, which it serves itself by polling)
//! into a [`HandlerCall`] on a channel. The daemon's engine loop receives those calls and
//! answers each one through its `reply` sender, so the server never touches engine state and
//! the engine loop never touches a socket.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::request::Request;
use crate::response::{ErrorCode, Response};
use crate::role::Role;

/// How long the handler may take to answer one request (starting sharing included).
pub(crate) const HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

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

/// Sends one request to the handler and waits for its answer; failures become error answers.
pub(crate) async fn call(
    handler: &mpsc::Sender<HandlerCall>,
    request: Request,
    role: Role,
) -> Response {
    let kind = request.kind();
    let (reply, answer) = oneshot::channel();
    let exchange = async {
        let call = HandlerCall {
            request,
            role,
            reply,
        };
        if handler.send(call).await.is_err() {
            return Response::error(ErrorCode::Unavailable, "masq is shutting down");
        }
        answer.await.unwrap_or_else(|_| {
            Response::error(
                ErrorCode::Internal,
                format!("the daemon dropped the `{kind}` request without answering"),
            )
        })
    };
    tokio::time::timeout(HANDLER_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| {
            Response::error(
                ErrorCode::Timeout,
                format!(
                    "the daemon did not answer `{kind}` within {} s",
                    HANDLER_TIMEOUT.as_secs()
                ),
            )
        })
}
