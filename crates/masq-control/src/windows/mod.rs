//! The control API on Windows: not available yet.
//!
//! The transport there will be a named pipe with an ACL for Administrators and the
//! installing user. Until it exists, every entry point compiles with the same signatures as
//! on unix and reports [`std::io::ErrorKind::Unsupported`] or [`ClientError::Unsupported`],
//! so the daemon and CLI build for Windows and fail with a clear message at run time.

use std::io;
use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::client_error::ClientError;
use crate::event::Event;
use crate::handler::HandlerCall;
use crate::request::Request;
use crate::response::Response;

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "the masq control API is not available on Windows yet (named pipes are planned)",
    )
}

/// A bound control endpoint; cannot exist on Windows yet.
#[derive(Debug)]
pub struct ControlListener {
    never: std::convert::Infallible,
}

impl ControlListener {
    /// Where clients connect.
    pub fn path(&self) -> &Path {
        match self.never {}
    }
}

/// Always fails on Windows: named-pipe support is not written yet.
pub fn bind(_path: &Path, _group: Option<&str>) -> io::Result<ControlListener> {
    Err(unsupported())
}

/// Cannot be called on Windows: no [`ControlListener`] can exist.
pub async fn serve(
    listener: ControlListener,
    _handler: mpsc::Sender<HandlerCall>,
) -> io::Result<()> {
    match listener.never {}
}

/// A connection to the daemon; cannot exist on Windows yet.
#[derive(Debug)]
pub struct Client {
    never: std::convert::Infallible,
}

impl Client {
    /// Always fails on Windows: named-pipe support is not written yet.
    pub fn connect(_path: impl AsRef<Path>) -> Result<Client, ClientError> {
        Err(ClientError::Unsupported)
    }

    /// Cannot be called on Windows: no [`Client`] can exist.
    pub fn request(&mut self, _request: Request) -> Result<Response, ClientError> {
        match self.never {}
    }

    /// Cannot be called on Windows: no [`Client`] can exist.
    pub fn subscribe(self, _interval: Duration) -> Result<Subscription, ClientError> {
        match self.never {}
    }
}

/// Updates from a subscription; cannot exist on Windows yet.
#[derive(Debug)]
pub struct Subscription {
    never: std::convert::Infallible,
}

impl Iterator for Subscription {
    type Item = Result<Event, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.never {}
    }
}

/// An async connection to the daemon; cannot exist on Windows yet.
#[derive(Debug)]
pub struct AsyncClient {
    never: std::convert::Infallible,
}

impl AsyncClient {
    /// Always fails on Windows: named-pipe support is not written yet.
    pub async fn connect(_path: impl AsRef<Path>) -> Result<AsyncClient, ClientError> {
        Err(ClientError::Unsupported)
    }

    /// Cannot be called on Windows: no [`AsyncClient`] can exist.
    pub async fn request(&mut self, _request: Request) -> Result<Response, ClientError> {
        match self.never {}
    }

    /// Cannot be called on Windows: no [`AsyncClient`] can exist.
    pub async fn subscribe(self, _interval: Duration) -> Result<AsyncSubscription, ClientError> {
        match self.never {}
    }
}

/// Updates from an async subscription; cannot exist on Windows yet.
#[derive(Debug)]
pub struct AsyncSubscription {
    never: std::convert::Infallible,
}

impl AsyncSubscription {
    /// Cannot be called on Windows: no [`AsyncSubscription`] can exist.
    pub async fn next(&mut self) -> Option<Result<Event, ClientError>> {
        match self.never {}
    }
}
