//! One client connection of the control server, whatever carries it (Unix socket, named pipe).
//!
//! Each connection gets a reader loop ([`serve_requests`]) and a writer task ([`write_lines`])
//! that owns the stream's write half and drains a bounded queue of lines; subscriptions (see
//! `subscription.rs`) push into the same queue. Requests on one connection are answered in
//! order; a malformed, oversize or wrongly versioned line is answered with an error and the
//! connection goes on. When the client goes away, or its writes stall for [`WRITE_TIMEOUT`],
//! the connection's tasks end. The transports only accept clients and decide who may connect.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::envelope::{ResponseEnvelope, decode_request};
use crate::framing::{Frame, LineAssembler, MAX_REQUEST_LINE, read_frame_async};
use crate::handler::{HandlerCall, call};
use crate::request::{MAX_SUBSCRIBE_INTERVAL_MS, MIN_SUBSCRIBE_INTERVAL_MS, Request};
use crate::response::{ApiError, ErrorCode, Response};
use crate::role::{Role, check_request};
use crate::subscription;

/// How long a write to a client may stall before the client is considered gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Answers and pushes queued per connection before producers wait for the client.
pub(crate) const OUTGOING_QUEUE: usize = 32;
/// Control connections served at once; more are closed at once (a local user must not
/// exhaust the daemon's descriptors or memory through the control socket).
pub(crate) const MAX_CONNECTIONS: usize = 64;
/// Subscriptions one connection may hold (each polls the engine every interval).
const MAX_SUBSCRIPTIONS: usize = 4;

/// The pause after `failures` consecutive failures to accept a client: 10 ms doubling to
/// 1 s, so a persistent failure (out of descriptors) neither spins nor ends the server.
pub(crate) fn accept_backoff(failures: u32) -> Duration {
    let ms = 10u64.saturating_mul(1 << failures.saturating_sub(1).min(7));
    Duration::from_millis(ms.min(1000))
}

/// Reads and answers `reader`'s requests in order until the client or `out` goes away;
/// `role` is what the OS says the client may do, and requests beyond it are refused here.
pub(crate) async fn serve_requests<R: AsyncBufRead + Unpin>(
    mut reader: R,
    out: &mpsc::Sender<String>,
    handler: &mpsc::Sender<HandlerCall>,
    role: Role,
) {
    let mut assembler = LineAssembler::new(MAX_REQUEST_LINE);
    let mut subscriptions = JoinSet::new();
    loop {
        let frame = tokio::select! {
            frame = read_frame_async(&mut reader, &mut assembler) => frame,
            () = out.closed() => break,
        };
        let answer = match frame {
            Ok(Frame::Eof) => break,
            Err(e) => {
                tracing::debug!(error = %e, "control client read failed");
                break;
            }
            Ok(Frame::TooLong) => Some(ResponseEnvelope::reply(
                0,
                Response::error(
                    ErrorCode::RequestTooLarge,
                    format!("request line longer than {MAX_REQUEST_LINE} bytes"),
                ),
            )),
            Ok(Frame::Line(line)) if line.iter().all(u8::is_ascii_whitespace) => None,
            Ok(Frame::Line(line)) => match decode_request(&line) {
                Err(rejected) => Some(ResponseEnvelope::reply(
                    rejected.id,
                    Response::Error(rejected.error),
                )),
                Ok(envelope) => {
                    tracing::debug!(
                        id = envelope.id,
                        request = envelope.request.kind(),
                        "control request"
                    );
                    let permitted = check_request(&envelope.request, role);
                    match (envelope.request, permitted) {
                        (request, Err(refusal)) => {
                            tracing::info!(request = request.kind(), %role, "control request refused for its sender's role");
                            Some(ResponseEnvelope::reply(
                                envelope.id,
                                Response::error(ErrorCode::PermissionDenied, refusal.to_string()),
                            ))
                        }
                        (Request::Subscribe { interval_ms }, Ok(())) => {
                            while subscriptions.try_join_next().is_some() {}
                            match check_interval(interval_ms, subscriptions.len()) {
                                Ok(interval) => {
                                    subscriptions.spawn(subscription::run(
                                        envelope.id,
                                        interval,
                                        handler.clone(),
                                        out.clone(),
                                    ));
                                    None
                                }
                                Err(refusal) => Some(ResponseEnvelope::reply(
                                    envelope.id,
                                    Response::Error(refusal),
                                )),
                            }
                        }
                        (request, Ok(())) => Some(ResponseEnvelope::reply(
                            envelope.id,
                            call(handler, request, role).await,
                        )),
                    }
                }
            },
        };
        if let Some(answer) = answer {
            if out.send(answer.to_line()).await.is_err() {
                break;
            }
        }
    }
    subscriptions.abort_all();
}

/// The interval of a `subscribe` request, or why it is refused.
fn check_interval(interval_ms: u64, active: usize) -> Result<Duration, ApiError> {
    if !(MIN_SUBSCRIBE_INTERVAL_MS..=MAX_SUBSCRIBE_INTERVAL_MS).contains(&interval_ms) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "interval_ms = {interval_ms}: expected {MIN_SUBSCRIBE_INTERVAL_MS} to {MAX_SUBSCRIBE_INTERVAL_MS} milliseconds"
            ),
        ));
    }
    if active >= MAX_SUBSCRIPTIONS {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "at most {MAX_SUBSCRIPTIONS} subscriptions per connection; open another connection"
            ),
        ));
    }
    Ok(Duration::from_millis(interval_ms))
}

/// Drains `queue` into `write`, giving up on a client whose writes stall.
pub(crate) async fn write_lines<W: AsyncWrite + Unpin>(
    mut write: W,
    mut queue: mpsc::Receiver<String>,
) {
    while let Some(line) = queue.recv().await {
        match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(line.as_bytes())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "control client went away");
                return;
            }
            Err(_) => {
                tracing::info!(
                    "control client stopped reading for {} s; dropping it",
                    WRITE_TIMEOUT.as_secs()
                );
                return;
            }
        }
    }
    let _ = write.shutdown().await;
}

#[cfg(test)]
mod backoff_tests {
    use super::*;

    #[test]
    fn accept_backoff_grows_and_stays_bounded() {
        assert_eq!(accept_backoff(1), Duration::from_millis(10));
        assert_eq!(accept_backoff(2), Duration::from_millis(20));
        assert_eq!(accept_backoff(8), Duration::from_millis(1000));
        assert_eq!(accept_backoff(u32::MAX), Duration::from_millis(1000));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_bounds_and_subscription_cap() {
        assert_eq!(check_interval(100, 0).unwrap(), Duration::from_millis(100));
        let e = check_interval(99, 0).unwrap_err();
        assert!(e.message.contains("100 to 3600000"), "{}", e.message);
        assert!(check_interval(1000, MAX_SUBSCRIPTIONS).is_err());
    }
}
