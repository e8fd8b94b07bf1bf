//! The tokio client, for the GUI and anything else already running on tokio.
//!
//! The same on every transport: the platform module only opens the connection
//! (`connect_async`: a Unix socket, or a named pipe on Windows) and hands over its two halves.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use crate::answer::{Incoming, REQUEST_TIMEOUT, SUBSCRIPTION_GRACE, interpret};
use crate::client_error::ClientError;
use crate::envelope::RequestEnvelope;
use crate::event::Event;
use crate::framing::{LineAssembler, MAX_RESPONSE_LINE, read_frame_async};
use crate::request::Request;
use crate::response::Response;

/// The read half of a connection, whatever the transport.
pub(crate) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The write half of a connection, whatever the transport.
pub(crate) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// An async connection to the daemon's control socket (named pipe on Windows).
pub struct AsyncClient {
    reader: BufReader<ReadHalf>,
    writer: WriteHalf,
    assembler: LineAssembler,
    path: PathBuf,
    next_id: u64,
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("path", &self.path)
            .field("next_id", &self.next_id)
            .finish_non_exhaustive()
    }
}

impl AsyncClient {
    /// Connects to the control socket (or named pipe) at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> Result<AsyncClient, ClientError> {
        let path = path.as_ref();
        let (read, writer) = crate::platform::connect_async(path).await?;
        Ok(AsyncClient {
            reader: BufReader::new(read),
            writer,
            assembler: LineAssembler::new(MAX_RESPONSE_LINE),
            path: path.to_owned(),
            next_id: 1,
        })
    }

    /// Sends `request` and waits for its answer; a refusal comes back as an error.
    pub async fn request(&mut self, request: Request) -> Result<Response, ClientError> {
        if matches!(request, Request::Subscribe { .. }) {
            return Err(ClientError::Usage(
                "use AsyncClient::subscribe for subscriptions",
            ));
        }
        let id = self.send(request).await?;
        let path = self.path.clone();
        let wait = async {
            loop {
                if let Some(Incoming::Reply(r)) = self.receive(id).await? {
                    return Ok(r);
                }
            }
        };
        tokio::time::timeout(REQUEST_TIMEOUT, wait)
            .await
            .unwrap_or(Err(ClientError::Timeout {
                path,
                after: REQUEST_TIMEOUT,
            }))
    }

    /// Turns this connection into a stream of updates every `interval` (at least 100 ms).
    pub async fn subscribe(mut self, interval: Duration) -> Result<AsyncSubscription, ClientError> {
        let id = self.send(Request::subscribe(interval)).await?;
        Ok(AsyncSubscription {
            client: self,
            id,
            wait: interval + SUBSCRIPTION_GRACE,
            done: false,
        })
    }

    async fn send(&mut self, request: Request) -> Result<u64, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = RequestEnvelope::new(id, request).to_line();
        self.writer
            .write_all(line.as_bytes())
            .await
            .map_err(|source| ClientError::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(id)
    }

    async fn receive(&mut self, id: u64) -> Result<Option<Incoming>, ClientError> {
        let frame = read_frame_async(&mut self.reader, &mut self.assembler)
            .await
            .map_err(|source| ClientError::Io {
                path: self.path.clone(),
                source,
            })?;
        interpret(frame, id, &self.path)
    }
}

/// Updates from an async subscription; `None` after the first error.
#[derive(Debug)]
pub struct AsyncSubscription {
    client: AsyncClient,
    id: u64,
    wait: Duration,
    done: bool,
}

impl AsyncSubscription {
    /// The next update, an error (after which the subscription is over), or `None` when over.
    pub async fn next(&mut self) -> Option<Result<Event, ClientError>> {
        if self.done {
            return None;
        }
        let wait = self.wait;
        let outcome = tokio::time::timeout(wait, async {
            loop {
                match self.client.receive(self.id).await {
                    Ok(Some(Incoming::Event(e))) => return Ok(e),
                    Ok(Some(Incoming::Reply(r))) => {
                        return Err(ClientError::Protocol {
                            path: self.client.path.clone(),
                            detail: format!("a `{}` answer to a subscription", r.kind()),
                        });
                    }
                    Ok(None) => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .unwrap_or_else(|_| {
            Err(ClientError::Timeout {
                path: self.client.path.clone(),
                after: wait,
            })
        });
        self.done = outcome.is_err();
        Some(outcome)
    }
}
