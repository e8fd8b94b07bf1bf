//! The blocking client, for the CLI: one connection, one request at a time.

use std::io::{self, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::access::describe_access;
use crate::answer::{Incoming, REQUEST_TIMEOUT, SUBSCRIPTION_GRACE, interpret};
use crate::async_client::{ReadHalf, WriteHalf};
use crate::client_error::ClientError;
use crate::envelope::RequestEnvelope;
use crate::event::Event;
use crate::framing::{LineAssembler, MAX_RESPONSE_LINE, read_frame};
use crate::request::Request;
use crate::response::Response;

/// A connection to the daemon's control socket.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    assembler: LineAssembler,
    path: PathBuf,
    next_id: u64,
}

impl Client {
    /// Connects to the control socket at `path`.
    pub fn connect(path: impl AsRef<Path>) -> Result<Client, ClientError> {
        let path = path.as_ref();
        let stream = UnixStream::connect(path).map_err(|e| connect_error(e, path))?;
        let io = |source| ClientError::Io {
            path: path.to_owned(),
            source,
        };
        stream.set_read_timeout(Some(REQUEST_TIMEOUT)).map_err(io)?;
        stream
            .set_write_timeout(Some(REQUEST_TIMEOUT))
            .map_err(io)?;
        let writer = stream.try_clone().map_err(io)?;
        Ok(Client {
            reader: BufReader::new(stream),
            writer,
            assembler: LineAssembler::new(MAX_RESPONSE_LINE),
            path: path.to_owned(),
            next_id: 1,
        })
    }

    /// Sends `request` and waits for its answer; a refusal comes back as an error.
    pub fn request(&mut self, request: Request) -> Result<Response, ClientError> {
        if matches!(request, Request::Subscribe { .. }) {
            return Err(ClientError::Usage(
                "use Client::subscribe for subscriptions",
            ));
        }
        let id = self.send(request)?;
        loop {
            if let Some(Incoming::Reply(r)) = self.receive(id, REQUEST_TIMEOUT)? {
                return Ok(r);
            }
        }
    }

    /// Turns this connection into a stream of updates every `interval` (at least 100 ms).
    pub fn subscribe(mut self, interval: Duration) -> Result<Subscription, ClientError> {
        let id = self.send(Request::subscribe(interval))?;
        let wait = interval + SUBSCRIPTION_GRACE;
        Ok(Subscription {
            client: self,
            id,
            wait,
            done: false,
        })
    }

    fn send(&mut self, request: Request) -> Result<u64, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = RequestEnvelope::new(id, request).to_line();
        self.writer
            .write_all(line.as_bytes())
            .map_err(|e| self.io_error(e, REQUEST_TIMEOUT))?;
        Ok(id)
    }

    fn receive(&mut self, id: u64, wait: Duration) -> Result<Option<Incoming>, ClientError> {
        let frame = read_frame(&mut self.reader, &mut self.assembler)
            .map_err(|e| self.io_error(e, wait))?;
        interpret(frame, id, &self.path)
    }

    fn io_error(&self, e: io::Error, wait: Duration) -> ClientError {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout {
                path: self.path.clone(),
                after: wait,
            },
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => ClientError::Closed {
                path: self.path.clone(),
            },
            _ => ClientError::Io {
                path: self.path.clone(),
                source: e,
            },
        }
    }
}

/// Updates from a subscription; ends after the first error.
#[derive(Debug)]
pub struct Subscription {
    client: Client,
    id: u64,
    wait: Duration,
    done: bool,
}

impl Iterator for Subscription {
    type Item = Result<Event, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Err(e) = self
            .client
            .reader
            .get_ref()
            .set_read_timeout(Some(self.wait))
        {
            self.done = true;
            return Some(Err(self.client.io_error(e, self.wait)));
        }
        loop {
            match self.client.receive(self.id, self.wait) {
                Ok(Some(Incoming::Event(e))) => return Some(Ok(e)),
                Ok(Some(Incoming::Reply(r))) => {
                    self.done = true;
                    return Some(Err(ClientError::Protocol {
                        path: self.client.path.clone(),
                        detail: format!("a `{}` answer to a subscription", r.kind()),
                    }));
                }
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Opens a connection for [`crate::AsyncClient`].
pub(crate) async fn connect_async(path: &Path) -> Result<(ReadHalf, WriteHalf), ClientError> {
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| connect_error(e, path))?;
    let (read, write) = stream.into_split();
    Ok((Box::new(read), Box::new(write)))
}

/// Maps a failed connect to the message the user needs.
pub(crate) fn connect_error(e: io::Error, path: &Path) -> ClientError {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => ClientError::NotRunning {
            path: path.to_owned(),
        },
        io::ErrorKind::PermissionDenied => ClientError::PermissionDenied {
            path: path.to_owned(),
            who: describe_access(path),
        },
        _ => ClientError::Io {
            path: path.to_owned(),
            source: e,
        },
    }
}
