//! The control server: accepts local clients and relays their requests to the handler.
//!
//! Each connection gets a reader loop (this file) and a writer task that owns the socket's
//! write half and drains a bounded queue of lines; subscriptions (see `subscription.rs`) push
//! into the same queue. Requests on one connection are answered in order; a malformed,
//! oversize or wrongly versioned line is answered with an error and the connection goes on.
//! When the client goes away, or its writes stall for [`WRITE_TIMEOUT`], the connection's
//! tasks are dropped. When the handler channel closes (the daemon is exiting) `serve` returns.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::bind::ControlListener;
use super::peer::PeerPolicy;
use super::subscription;
use crate::envelope::{ResponseEnvelope, decode_request};
use crate::framing::{Frame, LineAssembler, MAX_REQUEST_LINE, read_frame_async};
use crate::handler::HandlerCall;
use crate::request::{MAX_SUBSCRIBE_INTERVAL_MS, MIN_SUBSCRIBE_INTERVAL_MS, Request};
use crate::response::{ApiError, ErrorCode, Response};

/// How long the handler may take to answer one request (starting sharing included).
pub(crate) const HANDLER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a write to a client may stall before the client is considered gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Answers and pushes queued per connection before producers wait for the client.
const OUTGOING_QUEUE: usize = 32;
/// Subscriptions one connection may hold (each polls the engine every interval).
const MAX_SUBSCRIPTIONS: usize = 4;
/// Consecutive accept failures (e.g. out of file descriptors) tolerated before giving up.
const MAX_ACCEPT_FAILURES: u32 = 100;

/// Serves the control API on `listener` until `handler` is closed, or accepting keeps failing.
///
/// Every request except `subscribe` becomes a [`HandlerCall`] on `handler`. Dropping the
/// returned future closes every connection and removes the socket file.
pub async fn serve(
    listener: ControlListener,
    handler: mpsc::Sender<HandlerCall>,
) -> io::Result<()> {
    let ControlListener {
        listener,
        policy,
        file,
    } = listener;
    let _file = file;
    let listener = UnixListener::from_std(listener)?;
    let policy = Arc::new(policy);
    let mut connections = JoinSet::new();
    let mut failures = 0;
    loop {
        tokio::select! {
            () = handler.closed() => {
                tracing::debug!("control handler gone; closing the control socket");
                return Ok(());
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    failures = 0;
                    connections.spawn(connection(stream, Arc::clone(&policy), handler.clone()));
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "cannot accept a control connection");
                    if failures >= MAX_ACCEPT_FAILURES {
                        return Err(io::Error::new(e.kind(), format!("control socket keeps failing to accept connections: {e}")));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Sends one request to the handler and waits for its answer; failures become error answers.
pub(crate) async fn call(handler: &mpsc::Sender<HandlerCall>, request: Request) -> Response {
    let kind = request.kind();
    let (reply, answer) = oneshot::channel();
    let exchange = async {
        if handler.send(HandlerCall { request, reply }).await.is_err() {
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

async fn connection(
    stream: UnixStream,
    policy: Arc<PeerPolicy>,
    handler: mpsc::Sender<HandlerCall>,
) {
    let peer = stream.peer_cred();
    let (read, write) = stream.into_split();
    let (out, queue) = mpsc::channel(OUTGOING_QUEUE);
    let writer = tokio::spawn(write_lines(write, queue));
    let admitted = match &peer {
        Ok(cred) => policy.check(cred.uid(), cred.gid()),
        Err(e) => Err(format!("cannot read the peer's credentials: {e}")),
    };
    match admitted {
        Ok(()) => {
            tracing::debug!(
                uid = peer.as_ref().ok().map(|c| c.uid()),
                "control client connected"
            );
            serve_requests(BufReader::new(read), &out, &handler).await;
        }
        Err(who) => {
            tracing::warn!(
                uid = peer.as_ref().ok().map(|c| c.uid()),
                "refused a control client: {who}"
            );
            let refusal = Response::error(ErrorCode::PermissionDenied, who);
            let _ = out
                .send(ResponseEnvelope::reply(0, refusal).to_line())
                .await;
        }
    }
    drop(out);
    if let Err(e) = writer.await {
        tracing::debug!(error = %e, "control writer task ended abnormally");
    }
}

async fn serve_requests(
    mut reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    out: &mpsc::Sender<String>,
    handler: &mpsc::Sender<HandlerCall>,
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
                    match envelope.request {
                        Request::Subscribe { interval_ms } => {
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
                        request => Some(ResponseEnvelope::reply(
                            envelope.id,
                            call(handler, request).await,
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

async fn write_lines(mut write: OwnedWriteHalf, mut queue: mpsc::Receiver<String>) {
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
