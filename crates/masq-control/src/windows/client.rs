//! Connecting to the control pipe, and the blocking client for the CLI.
//!
//! Clients open the pipe asking only for read and write data (not the "create instance" right
//! a plain GENERIC_WRITE would include, which the pipe's ACL does not grant the extra
//! account), and at identification level, so the daemon can see but never act as its caller.
//! A pipe whose instances are all busy (between one client and the server's next instance) is
//! retried briefly. The blocking [`Client`] drives the shared [`AsyncClient`] on a private
//! single-thread runtime: named pipes have no blocking read timeout to build it on otherwise.

use super::server_check::check_server;
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::IntoRawHandle;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::net::windows::named_pipe::NamedPipeClient;
use tokio::runtime::Runtime;
use windows_sys::Win32::Foundation::ERROR_PIPE_BUSY;
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_OVERLAPPED, SECURITY_IDENTIFICATION, SECURITY_SQOS_PRESENT,
};

use crate::async_client::{AsyncClient, AsyncSubscription, ReadHalf, WriteHalf};
use crate::client_error::ClientError;
use crate::event::Event;
use crate::pipe_name::check_pipe_name;
use crate::pipe_sddl::CLIENT_RIGHTS;
use crate::request::Request;
use crate::response::Response;

/// How long to keep trying while every instance of the pipe is busy.
const BUSY_WAIT: Duration = Duration::from_secs(2);
/// Pause between tries on a busy pipe.
const BUSY_PAUSE: Duration = Duration::from_millis(20);
/// Who may use the pipe, for "permission denied" messages (the ACL from `pipe_sddl.rs`).
const WHO: &str = "only Administrators, SYSTEM, the user masq runs as and the user who installed the masq service may connect; run the command from an elevated prompt or as that user";

/// Opens a connection for [`AsyncClient`].
pub(crate) async fn connect_async(path: &Path) -> Result<(ReadHalf, WriteHalf), ClientError> {
    let name = check_pipe_name(path).map_err(|why| ClientError::Io {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, why),
    })?;
    let deadline = Instant::now() + BUSY_WAIT;
    let pipe = loop {
        match open(name) {
            Ok(pipe) => break pipe,
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                tokio::time::sleep(BUSY_PAUSE).await;
            }
            Err(e) => return Err(connect_error(e, path)),
        }
    };
    check_server(&pipe).map_err(|source| ClientError::Io {
        path: path.to_owned(),
        source,
    })?;
    let (read, write) = tokio::io::split(pipe);
    Ok((Box::new(read), Box::new(write)))
}

fn open(name: &str) -> io::Result<NamedPipeClient> {
    let file = std::fs::OpenOptions::new()
        .access_mode(CLIENT_RIGHTS)
        .custom_flags(FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION)
        .open(name)?;
    // SAFETY: the handle was just opened by us for overlapped I/O and is handed over whole;
    // `into_raw_handle` gives up `file`'s ownership, so it is closed once, by the pipe client.
    unsafe { NamedPipeClient::from_raw_handle(file.into_raw_handle()) }
}

fn is_busy(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ERROR_PIPE_BUSY as i32)
}

/// Maps a failed open to the message the user needs.
fn connect_error(e: io::Error, path: &Path) -> ClientError {
    match e.kind() {
        io::ErrorKind::NotFound => ClientError::NotRunning {
            path: path.to_owned(),
        },
        io::ErrorKind::PermissionDenied => ClientError::PermissionDenied {
            path: path.to_owned(),
            who: WHO.to_owned(),
        },
        _ if is_busy(&e) => ClientError::Io {
            path: path.to_owned(),
            source: io::Error::new(
                e.kind(),
                format!(
                    "every instance of the pipe stayed busy for {} s: {e}",
                    BUSY_WAIT.as_secs()
                ),
            ),
        },
        _ => ClientError::Io {
            path: path.to_owned(),
            source: e,
        },
    }
}

/// A blocking connection to the daemon's control pipe, for the CLI.
///
/// Must not be used from inside a tokio runtime (use [`AsyncClient`] there).
#[derive(Debug)]
pub struct Client {
    runtime: Runtime,
    inner: AsyncClient,
}

impl Client {
    /// Connects to the control pipe at `path` (`\\.\pipe\NAME`).
    pub fn connect(path: impl AsRef<Path>) -> Result<Client, ClientError> {
        let path = path.as_ref();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| ClientError::Io {
                path: path.to_owned(),
                source,
            })?;
        let inner = runtime.block_on(AsyncClient::connect(path))?;
        Ok(Client { runtime, inner })
    }

    /// Sends `request` and waits for its answer; a refusal comes back as an error.
    pub fn request(&mut self, request: Request) -> Result<Response, ClientError> {
        self.runtime.block_on(self.inner.request(request))
    }

    /// Turns this connection into a stream of updates every `interval` (at least 100 ms).
    pub fn subscribe(self, interval: Duration) -> Result<Subscription, ClientError> {
        let Client { runtime, inner } = self;
        let inner = runtime.block_on(inner.subscribe(interval))?;
        Ok(Subscription { runtime, inner })
    }
}

/// Updates from a subscription; ends after the first error.
#[derive(Debug)]
pub struct Subscription {
    runtime: Runtime,
    inner: AsyncSubscription,
}

impl Iterator for Subscription {
    type Item = Result<Event, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.runtime.block_on(self.inner.next())
    }
}
