//! Turning answer lines into results, and how long to wait for them; shared by the blocking
//! and the async client on every transport.

use std::path::Path;
use std::time::Duration;

use crate::client_error::ClientError;
use crate::envelope::{AnswerError, Body, decode_answer};
use crate::event::Event;
use crate::framing::Frame;
use crate::response::{ApiError, ErrorCode, Response};

/// How long a request may wait for its answer; above the server's own handler timeout so the
/// server's more precise `timeout` error arrives first.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// Extra wait beyond the interval before a silent subscription counts as dead.
pub(crate) const SUBSCRIPTION_GRACE: Duration = Duration::from_secs(90);

/// A useful answer for the request a client waits on.
pub(crate) enum Incoming {
    /// The answer to the request.
    Reply(Response),
    /// A push on the subscription.
    Event(Event),
}

/// Interprets one frame read while waiting for request `expected`.
///
/// `Ok(None)` means the line belongs to another request and is skipped. Errors for id 0 are
/// connection-wide (e.g. the peer check refused us) and end the wait too.
pub(crate) fn interpret(
    frame: Frame,
    expected: u64,
    path: &Path,
) -> Result<Option<Incoming>, ClientError> {
    let line = match frame {
        Frame::Line(line) => line,
        Frame::TooLong => {
            return Err(ClientError::TooLarge {
                path: path.to_owned(),
            });
        }
        Frame::Eof => {
            return Err(ClientError::Closed {
                path: path.to_owned(),
            });
        }
    };
    let envelope = decode_answer(&line).map_err(|e| match e {
        AnswerError::Version(error) => ClientError::Version {
            path: path.to_owned(),
            error,
        },
        AnswerError::Malformed(detail) => ClientError::Protocol {
            path: path.to_owned(),
            detail,
        },
    })?;
    match envelope.body {
        Body::Reply(Response::Error(e)) if envelope.id == expected || envelope.id == 0 => {
            Err(refusal(e, path))
        }
        _ if envelope.id != expected => {
            tracing::trace!(
                id = envelope.id,
                expected,
                "skipping an answer for another request"
            );
            Ok(None)
        }
        Body::Reply(r) => Ok(Some(Incoming::Reply(r))),
        Body::Event(e) => Ok(Some(Incoming::Event(e))),
    }
}

fn refusal(e: ApiError, path: &Path) -> ClientError {
    match e.code {
        ErrorCode::PermissionDenied => ClientError::PermissionDenied {
            path: path.to_owned(),
            who: e.message,
        },
        ErrorCode::UnsupportedVersion => ClientError::Version {
            path: path.to_owned(),
            error: e,
        },
        _ => ClientError::Api(e),
    }
}
