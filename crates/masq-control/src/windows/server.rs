//! The control server on the named pipe: one pipe instance per client.
//!
//! A named pipe has no listening socket: the server waits for a client on an instance, hands
//! that connected instance to `connection.rs` (which answers the requests, exactly as on unix)
//! and creates a fresh instance for the next client. When the handler channel closes (the
//! daemon is exiting) `serve` returns and every instance is closed.

use std::io;

use tokio::io::BufReader;
use tokio::net::windows::named_pipe::NamedPipeServer;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::bind::{ControlListener, create_instance};
use super::peer_role::client_role;
use crate::connection::{
    MAX_CONNECTIONS, OUTGOING_QUEUE, accept_backoff, serve_requests, write_lines,
};
use crate::handler::HandlerCall;

/// Serves the control API on `listener` until `handler` is closed; failures to accept back
/// off and are retried, so the API outlives a spell without resources.
///
/// Every request except `subscribe` becomes a [`HandlerCall`] on `handler`. Dropping the
/// returned future closes every connection and the pipe.
pub async fn serve(
    listener: ControlListener,
    handler: mpsc::Sender<HandlerCall>,
) -> io::Result<()> {
    let ControlListener {
        mut server,
        name,
        security,
        ..
    } = listener;
    let mut connections = JoinSet::new();
    let mut failures: u32 = 0;
    loop {
        let accepted = tokio::select! {
            () = handler.closed() => {
                tracing::debug!("control handler gone; closing the control pipe");
                return Ok(());
            }
            accepted = server.connect() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let outcome = match accepted {
            // If no new instance can be made, the connected one stays in `server`: its next
            // `connect` returns at once and the creation is retried.
            Ok(()) => create_instance(&name, &security, false).map(|next| {
                let client = std::mem::replace(&mut server, next);
                if connections.len() >= MAX_CONNECTIONS {
                    tracing::warn!(
                        limit = MAX_CONNECTIONS,
                        "too many control connections; closing a new one"
                    );
                    drop(client);
                } else {
                    connections.spawn(connection(client, handler.clone()));
                }
            }),
            Err(e) => {
                // A client that connected and left at once leaves a broken instance behind.
                if let Ok(next) = create_instance(&name, &security, false) {
                    server = next;
                }
                Err(e)
            }
        };
        match outcome {
            Ok(()) => failures = 0,
            Err(e) => {
                failures += 1;
                if failures.is_power_of_two() {
                    tracing::warn!(error = %e, failures, pipe = %name, "cannot accept a control connection; backing off");
                }
                tokio::time::sleep(accept_backoff(failures)).await;
            }
        }
    }
}

async fn connection(pipe: NamedPipeServer, handler: mpsc::Sender<HandlerCall>) {
    let role = client_role(&pipe);
    let (read, write) = tokio::io::split(pipe);
    let (out, queue) = mpsc::channel(OUTGOING_QUEUE);
    let writer = tokio::spawn(write_lines(write, queue));
    tracing::debug!(%role, "control client connected");
    serve_requests(BufReader::new(read), &out, &handler, role).await;
    drop(out);
    if let Err(e) = writer.await {
        tracing::debug!(error = %e, "control writer task ended abnormally");
    }
}
