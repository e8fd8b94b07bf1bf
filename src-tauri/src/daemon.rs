//! Talking to the daemon: one request/answer exchange.
//!
//! Each request opens its own connection: requests come from clicks and are rare, and a fresh
//! connection always reaches the daemon that runs now (after a restart the socket is new).
//! The live view uses one long-lived subscription instead (`subscription.rs`).

use masq_control::{AsyncClient, Request, Response};

use crate::control_socket::control_socket;
use crate::error::GuiError;

/// Sends one request and returns the daemon's answer; refusals come back as errors.
pub async fn ask(request: Request) -> Result<Response, GuiError> {
    let kind = request.kind();
    let socket = control_socket();
    tracing::debug!(request = kind, socket = %socket.display(), "asking masq");
    let mut client = AsyncClient::connect(&socket).await?;
    let answer = client.request(request).await;
    match &answer {
        Ok(r) => tracing::debug!(request = kind, answer = r.kind(), "masq answered"),
        Err(e) => tracing::warn!(request = kind, error = %e, "masq refused or failed"),
    }
    Ok(answer?)
}

/// Sends a request whose answer must be `Done`.
pub async fn ask_done(request: Request) -> Result<(), GuiError> {
    let asked = request.kind();
    match ask(request).await? {
        Response::Done => Ok(()),
        other => Err(GuiError::UnexpectedAnswer {
            asked,
            got: other.kind(),
        }),
    }
}
