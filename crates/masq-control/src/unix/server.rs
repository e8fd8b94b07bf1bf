//! The control server on a Unix socket: accepts local clients, checks their kernel
//! credentials and hands each admitted connection to `connection.rs`, which answers its
//! requests. When the handler channel closes (the daemon is exiting) `serve` returns.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::bind::ControlListener;
use super::peer::PeerPolicy;
use crate::connection::{
    MAX_CONNECTIONS, OUTGOING_QUEUE, accept_backoff, serve_requests, write_lines,
};
use crate::envelope::ResponseEnvelope;
use crate::handler::HandlerCall;
use crate::response::{ErrorCode, Response};

/// Control connections one uid (other than root) may hold at once.
const MAX_CONNECTIONS_PER_UID: usize = 16;

/// How long a refused client may take to send its first request before it is answered.
const REFUSAL_READ_WAIT: Duration = Duration::from_secs(2);
/// How much of a refused client's first request is read (the rest is discarded unread).
const REFUSAL_READ_LIMIT: u64 = 64 * 1024;

/// Serves the control API on `listener` until `handler` is closed.
///
/// Accepting can fail for a while (out of file descriptors when a LAN host or a local client
/// floods the daemon); the server then backs off ([`crate::connection::accept_backoff`]) and
/// keeps going, so the API comes back by itself once descriptors are free again.
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
    // Connections per uid, so that one local user (the socket is 0666 with an observer group)
    // cannot hold every slot and lock the administrators out.
    let mut per_uid: HashMap<u32, usize> = HashMap::new();
    let mut failures: u32 = 0;
    loop {
        tokio::select! {
            () = handler.closed() => {
                tracing::debug!("control handler gone; closing the control socket");
                return Ok(());
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    failures = 0;
                    let uid = stream.peer_cred().map_or(u32::MAX, |c| c.uid());
                    let held = per_uid.entry(uid).or_insert(0);
                    if connections.len() >= MAX_CONNECTIONS
                        || (*held >= MAX_CONNECTIONS_PER_UID && uid != 0)
                    {
                        tracing::warn!(uid, limit = MAX_CONNECTIONS, per_uid = MAX_CONNECTIONS_PER_UID, "too many control connections; closing a new one");
                        drop(stream);
                        continue;
                    }
                    *held += 1;
                    let policy = Arc::clone(&policy);
                    let handler = handler.clone();
                    connections.spawn(async move {
                        connection(stream, policy, handler).await;
                        uid
                    });
                }
                Err(e) => {
                    failures += 1;
                    if failures.is_power_of_two() {
                        tracing::warn!(error = %e, failures, "cannot accept a control connection; backing off");
                    }
                    tokio::time::sleep(accept_backoff(failures)).await;
                }
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Ok(uid) = done
                    && let Some(n) = per_uid.get_mut(&uid)
                {
                    *n -= 1;
                    if *n == 0 {
                        per_uid.remove(&uid);
                    }
                }
            }
        }
    }
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
        Ok(role) => {
            tracing::debug!(
                uid = peer.as_ref().ok().map(|c| c.uid()),
                %role,
                "control client connected"
            );
            serve_requests(BufReader::new(read), &out, &handler, role).await;
        }
        Err(who) => {
            tracing::warn!(
                uid = peer.as_ref().ok().map(|c| c.uid()),
                "refused a control client: {who}"
            );
            // Let the client's first request arrive before answering and closing: a client
            // still writing to a socket we already closed gets EPIPE and never reads the
            // refusal, which then looks like a crash instead of "permission denied".
            let mut first = Vec::new();
            let mut limited = BufReader::new(read).take(REFUSAL_READ_LIMIT);
            let _ = tokio::time::timeout(REFUSAL_READ_WAIT, limited.read_until(b'\n', &mut first))
                .await;
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
