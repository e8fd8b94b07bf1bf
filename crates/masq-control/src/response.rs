//! What the daemon answers: one [`Response`] per request, or an [`ApiError`].
//!
//! On the wire a successful answer is the envelope's `ok` member, tagged by `"type"` with the
//! payload under `"data"` (`{"type":"translations","data":[…]}`, `{"type":"done"}`); a refusal
//! is the envelope's `error` member. A handler expresses a refusal as [`Response::Error`] so
//! that it answers every request through one channel type; the envelope moves it to `error`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clients::{LanClient, LanServicesReport};
use crate::engine_status::EngineStatus;
use crate::forward_view::ForwardView;
use crate::log_lines::LogLine;
use crate::settings::Settings;
use crate::setup_check::SetupReport;
use crate::translation::{InboundAttempt, Translation};

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Response {
    /// Answer to `status`.
    Status(StatusReport),
    /// Answer to `translations`.
    Translations(Vec<Translation>),
    /// Answer to `inbound`.
    Inbound(Vec<InboundAttempt>),
    /// Answer to `get_settings` (and to `set_settings`: what is now stored).
    Settings(Settings),
    /// Answer to `clients`.
    Clients(Vec<LanClient>),
    /// Answer to `forwards` and to the requests that change them (the list afterwards).
    Forwards(Vec<ForwardView>),
    /// Answer to `logs`: the daemon's recent lines, oldest first.
    Logs(Vec<LogLine>),
    /// Answer to `setup_check`.
    SetupCheck(SetupReport),
    /// The request was carried out and has nothing to report.
    Done,
    /// The request was refused; travels in the envelope's `error` member, never in `ok`.
    #[serde(skip)]
    Error(ApiError),
}

impl Response {
    /// A refusal with a code and a message for people.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Response {
        Response::Error(ApiError::new(code, message))
    }

    /// The payload's wire name, for logs and messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Response::Status(_) => "status",
            Response::Translations(_) => "translations",
            Response::Inbound(_) => "inbound",
            Response::Settings(_) => "settings",
            Response::Clients(_) => "clients",
            Response::Forwards(_) => "forwards",
            Response::Logs(_) => "logs",
            Response::SetupCheck(_) => "setup_check",
            Response::Done => "done",
            Response::Error(_) => "error",
        }
    }
}

/// What `masq status` and the GUI's main screen show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Whether sharing is on.
    pub running: bool,
    /// The daemon's version (`CARGO_PKG_VERSION`), so a client can spot a stale daemon.
    pub version: String,
    /// The interface with the internet connection, while sharing.
    pub uplink: Option<IfaceReport>,
    /// The LAN interface, while sharing.
    pub lan: Option<IfaceReport>,
    /// Name of the virtual adapter, while sharing.
    pub tun: Option<String>,
    /// Seconds since sharing started (0 when stopped).
    pub uptime_s: f64,
    /// The engine's totals, while sharing.
    pub engine: Option<EngineStatus>,
    /// Why sharing last stopped or failed to start, so a GUI can show it after the fact.
    pub last_error: Option<String>,
    /// The DHCP server and DNS forwarder, while sharing (absent from older daemons).
    #[serde(default)]
    pub lan_services: Option<LanServicesReport>,
    /// How sharing follows the uplink, while sharing (absent from older daemons).
    #[serde(default)]
    pub roaming: Option<crate::RoamingReport>,
}

/// An interface and its addresses, as the daemon found them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfaceReport {
    /// OS name of the interface.
    pub name: String,
    /// Its addresses with prefix length, e.g. `192.168.1.20/24`.
    pub addresses: Vec<String>,
}

/// Machine-readable class of a refusal; clients branch on it, people read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The envelope's `v` is not a version this daemon speaks.
    UnsupportedVersion,
    /// Not JSON, or not a request envelope.
    MalformedRequest,
    /// The request line exceeded the request size limit.
    RequestTooLarge,
    /// A well-formed request with an unacceptable argument (e.g. an interval out of range).
    InvalidRequest,
    /// `set_settings` with settings that fail validation.
    InvalidSettings,
    /// The peer may not use this socket.
    PermissionDenied,
    /// `start` while sharing already runs.
    AlreadyRunning,
    /// A request that needs sharing to run (e.g. `stop`) while it does not.
    NotRunning,
    /// Sharing could not be started or stopped; the message says what the OS refused.
    Failed,
    /// The daemon is shutting down or too busy to answer.
    Unavailable,
    /// The daemon did not answer in time.
    Timeout,
    /// A bug in masq; the message has details for a report.
    Internal,
    /// A code from a newer daemon that this client does not know.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The wire spelling, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::RequestTooLarge => "request_too_large",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidSettings => "invalid_settings",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::AlreadyRunning => "already_running",
            ErrorCode::NotRunning => "not_running",
            ErrorCode::Failed => "failed",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

/// A refused request: the envelope's `error` member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[error("{message} ({})", code.as_str())]
pub struct ApiError {
    /// What kind of refusal.
    pub code: ErrorCode,
    /// What happened and what to do, for people.
    pub message: String,
}

impl ApiError {
    /// A refusal with a code and a message for people.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_adjacently_tagged() {
        assert_eq!(
            serde_json::to_string(&Response::Done).unwrap(),
            r#"{"type":"done"}"#
        );
        let r = Response::Translations(vec![]);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"type":"translations","data":[]}"#
        );
    }

    #[test]
    fn error_never_serializes_as_ok_payload() {
        assert!(serde_json::to_string(&Response::error(ErrorCode::Internal, "x")).is_err());
        assert!(serde_json::from_str::<Response>(r#"{"type":"error","data":{}}"#).is_err());
    }

    #[test]
    fn error_codes_round_trip_and_unknown_codes_survive() {
        let e = ApiError::new(ErrorCode::UnsupportedVersion, "v2");
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, r#"{"code":"unsupported_version","message":"v2"}"#);
        assert_eq!(serde_json::from_str::<ApiError>(&text).unwrap(), e);
        let future: ApiError =
            serde_json::from_str(r#"{"code":"quota_exceeded","message":"m"}"#).unwrap();
        assert_eq!(future.code, ErrorCode::Unknown);
        assert_eq!(e.to_string(), "v2 (unsupported_version)");
    }
}
