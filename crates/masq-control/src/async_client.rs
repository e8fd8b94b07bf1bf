//! The tokio client, for the GUI and anything else already running on tokio.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

use super::answer::{Incoming, interpret};
use super::client::{REQUEST_TIMEOUT, SUBSCRIPTION_GRACE, connect_error};
use crate::client_error::ClientError;
use crate::envelope::RequestEnvelope;
use crate::event::Event;
use crate::framing::{LineAssembler, MAX_RESPONSE_LINE, read_frame_async};
use crate::request::Request;
use crate::response::Response;

/// An async connection to the daemon's control socket.
#[derive(Debug)]
pub struct AsyncClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    assembler: LineAssembler,
    path: PathBuf,
    next_id: u64,
}

impl AsyncClient {
    /// Connects to the control socket at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> Result<AsyncClient, ClientError> {
        let path = path.as_ref();
        let stream = UnixStream::connect(path)
            .await
            .map_err(|e| connect_error(e, path))?;
        let (read, writer) = stream.into_split();
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
