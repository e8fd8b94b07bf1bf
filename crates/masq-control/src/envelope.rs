//! The envelope every message travels in, and its version check.
//!
//! Requests: `{"v":1,"id":7,"request":{"type":"status"}}`. Answers carry the request's `id`
//! and exactly one of `ok` (a [`Response`]), `error` (an [`ApiError`]) or, for subscription
//! pushes, `event` (an [`Event`]). `v` is checked before anything else is interpreted, so a
//! client and daemon of different versions get a clear error instead of a confusing one.
//! An answer to a line whose `id` could not be read uses `id` 0.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::event::Event;
use crate::request::Request;
use crate::response::{ApiError, ErrorCode, Response};

/// The control API version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A request with its correlation id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestEnvelope {
    /// Protocol version; always [`PROTOCOL_VERSION`] when built here.
    pub v: u32,
    /// Chosen by the client; echoed in every answer to this request.
    pub id: u64,
    /// What is asked.
    pub request: Request,
}

impl RequestEnvelope {
    /// A request in the current protocol version.
    pub fn new(id: u64, request: Request) -> Self {
        RequestEnvelope {
            v: PROTOCOL_VERSION,
            id,
            request,
        }
    }

    /// The request as one line, newline included.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot encode a control request");
            String::new()
        });
        line.push('\n');
        line
    }
}

/// What an answer line carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// The answer to a request: a payload, or [`Response::Error`] for a refusal.
    Reply(Response),
    /// A subscription push.
    Event(Event),
}

/// An answer or push with the id of the request it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseEnvelope {
    /// Protocol version of the sender.
    pub v: u32,
    /// The id of the request answered (the subscribe request's for pushes; 0 if unknown).
    pub id: u64,
    /// The answer itself.
    pub body: Body,
}

impl ResponseEnvelope {
    /// An answer to request `id`.
    pub fn reply(id: u64, response: Response) -> Self {
        ResponseEnvelope {
            v: PROTOCOL_VERSION,
            id,
            body: Body::Reply(response),
        }
    }

    /// A push on the subscription started by request `id`.
    pub fn event(id: u64, event: Event) -> Self {
        ResponseEnvelope {
            v: PROTOCOL_VERSION,
            id,
            body: Body::Event(event),
        }
    }

    /// The envelope as one line, newline included.
    ///
    /// Encoding cannot fail for envelopes built from this crate's types; should it ever, the
    /// peer gets an `internal` error for the same id instead of nothing.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_else(|e| {
            tracing::error!(error = %e, id = self.id, "cannot encode a control answer");
            let fallback = ResponseEnvelope::reply(
                self.id,
                Response::error(
                    ErrorCode::Internal,
                    format!("cannot encode the answer: {e}"),
                ),
            );
            serde_json::to_string(&fallback).unwrap_or_default()
        });
        line.push('\n');
        line
    }
}

/// The wire form of an answer, borrowed for encoding.
#[derive(Serialize)]
struct WireOut<'a> {
    v: u32,
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ok: Option<&'a Response>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ApiError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a Event>,
}

/// The wire form of an answer, owned for decoding.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    v: u32,
    id: u64,
    #[serde(default)]
    ok: Option<Response>,
    #[serde(default)]
    error: Option<ApiError>,
    #[serde(default)]
    event: Option<Event>,
}

impl Serialize for ResponseEnvelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut wire = WireOut {
            v: self.v,
            id: self.id,
            ok: None,
            error: None,
            event: None,
        };
        match &self.body {
            Body::Reply(Response::Error(e)) => wire.error = Some(e),
            Body::Reply(r) => wire.ok = Some(r),
            Body::Event(e) => wire.event = Some(e),
        }
        wire.serialize(serializer)
    }
}

/// A line that is not a usable request, with the id to answer it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRequest {
    /// The request's id if it could be read, else 0.
    pub id: u64,
    /// The refusal to send back.
    pub error: ApiError,
}

/// Parses one request line; on failure says why, under the best id available.
pub fn decode_request(line: &[u8]) -> Result<RequestEnvelope, RejectedRequest> {
    let reject = |id, code, message: String| RejectedRequest {
        id,
        error: ApiError::new(code, message),
    };
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        reject(
            0,
            ErrorCode::MalformedRequest,
            format!("the request is not valid JSON: {e}"),
        )
    })?;
    let id = value.get("id").and_then(Value::as_u64).unwrap_or(0);
    check_version(&value, "request").map_err(|error| RejectedRequest { id, error })?;
    serde_json::from_value(value).map_err(|e| {
        reject(
            id,
            ErrorCode::MalformedRequest,
            format!("not a valid request: {e} (expected {{\"v\":{PROTOCOL_VERSION},\"id\":<number>,\"request\":{{\"type\":\"status\"}}}})"),
        )
    })
}

/// Why an answer line could not be used by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// The daemon speaks another protocol version.
    Version(ApiError),
    /// Not an answer envelope.
    Malformed(String),
}

/// Parses one answer line (what a client reads).
pub fn decode_answer(line: &[u8]) -> Result<ResponseEnvelope, AnswerError> {
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| AnswerError::Malformed(format!("not JSON: {e}")))?;
    check_version(&value, "answer").map_err(AnswerError::Version)?;
    let wire: WireIn =
        serde_json::from_value(value).map_err(|e| AnswerError::Malformed(e.to_string()))?;
    let body = match (wire.ok, wire.error, wire.event) {
        (Some(r), None, None) => Body::Reply(r),
        (None, Some(e), None) => Body::Reply(Response::Error(e)),
        (None, None, Some(e)) => Body::Event(e),
        _ => {
            return Err(AnswerError::Malformed(
                "an answer must have exactly one of `ok`, `error`, `event`".into(),
            ));
        }
    };
    Ok(ResponseEnvelope {
        v: wire.v,
        id: wire.id,
        body,
    })
}

fn check_version(value: &Value, what: &str) -> Result<(), ApiError> {
    match value.get("v").map(|v| v.as_u64()) {
        Some(Some(v)) if v == u64::from(PROTOCOL_VERSION) => Ok(()),
        Some(Some(v)) => Err(ApiError::new(
            ErrorCode::UnsupportedVersion,
            format!(
                "control API version mismatch: this side speaks version {PROTOCOL_VERSION}, the {what} uses version {v}; \
                 use a masq client and daemon of the same release"
            ),
        )),
        Some(None) => Err(ApiError::new(
            ErrorCode::MalformedRequest,
            format!("`v` must be a number (the control API version, {PROTOCOL_VERSION})"),
        )),
        None => Err(ApiError::new(
            ErrorCode::MalformedRequest,
            format!("missing `v` (the control API version, {PROTOCOL_VERSION})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::event::TranslationDelta;
    use crate::response::StatusReport;
    use crate::settings::Settings;

    use super::*;

    fn status() -> StatusReport {
        StatusReport {
            running: false,
            version: "0.1.0".into(),
            uplink: None,
            lan: None,
            tun: None,
            uptime_s: 0.0,
            engine: None,
            last_error: Some("uplink went away".into()),
            lan_services: None,
            roaming: None,
        }
    }

    #[test]
    fn request_round_trip_and_exact_wire_form() {
        let env = RequestEnvelope::new(7, Request::Status);
        let line = env.to_line();
        assert_eq!(
            line,
            "{\"v\":1,\"id\":7,\"request\":{\"type\":\"status\"}}\n"
        );
        assert_eq!(decode_request(line.trim_end().as_bytes()).unwrap(), env);
        let set = RequestEnvelope::new(
            8,
            Request::SetSettings {
                settings: Box::default(),
            },
        );
        assert_eq!(decode_request(set.to_line().as_bytes()).unwrap(), set);
    }

    #[test]
    fn answer_round_trips() {
        for env in [
            ResponseEnvelope::reply(1, Response::Done),
            ResponseEnvelope::reply(2, Response::Status(status())),
            ResponseEnvelope::reply(3, Response::Settings(Settings::default())),
            ResponseEnvelope::reply(
                4,
                Response::error(ErrorCode::AlreadyRunning, "sharing already runs"),
            ),
            ResponseEnvelope::event(
                5,
                Event::Update {
                    status: status(),
                    translations: TranslationDelta::default(),
                    inbound: vec![],
                },
            ),
        ] {
            let line = env.to_line();
            assert!(
                line.ends_with('\n') && !line[..line.len() - 1].contains('\n'),
                "{line}"
            );
            assert_eq!(decode_answer(line.as_bytes()).unwrap(), env, "{line}");
        }
    }

    #[test]
    fn errors_travel_in_the_error_member() {
        let line =
            ResponseEnvelope::reply(9, Response::error(ErrorCode::NotRunning, "not sharing"))
                .to_line();
        assert_eq!(
            line,
            "{\"v\":1,\"id\":9,\"error\":{\"code\":\"not_running\",\"message\":\"not sharing\"}}\n"
        );
        let line = ResponseEnvelope::reply(9, Response::Done).to_line();
        assert_eq!(line, "{\"v\":1,\"id\":9,\"ok\":{\"type\":\"done\"}}\n");
    }

    #[test]
    fn malformed_requests_are_rejected_with_best_id() {
        let cases: [(&[u8], u64, &str); 6] = [
            (b"not json", 0, "not valid JSON"),
            (b"[1,2]", 0, "missing `v`"),
            (b"{\"v\":1,\"id\":4}", 4, "missing field `request`"),
            (
                b"{\"v\":1,\"id\":5,\"request\":{\"type\":\"explode\"}}",
                5,
                "unknown variant",
            ),
            (
                b"{\"v\":\"1\",\"id\":6,\"request\":{\"type\":\"status\"}}",
                6,
                "must be a number",
            ),
            (
                b"{\"v\":1,\"id\":7,\"request\":{\"type\":\"status\"},\"x\":0}",
                7,
                "unknown field",
            ),
        ];
        for (line, id, text) in cases {
            let r = decode_request(line).unwrap_err();
            assert_eq!(r.id, id, "{}", String::from_utf8_lossy(line));
            assert_eq!(r.error.code, ErrorCode::MalformedRequest);
            assert!(r.error.message.contains(text), "{}", r.error.message);
        }
        assert!(decode_request(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn version_mismatch_names_both_versions() {
        let r =
            decode_request(b"{\"v\":2,\"id\":3,\"request\":{\"type\":\"status\"}}").unwrap_err();
        assert_eq!(r.id, 3);
        assert_eq!(r.error.code, ErrorCode::UnsupportedVersion);
        assert!(
            r.error.message.contains("version 1") && r.error.message.contains("version 2"),
            "{}",
            r.error.message
        );
        let a = decode_answer(b"{\"v\":7,\"id\":3,\"ok\":{\"type\":\"done\"}}").unwrap_err();
        let AnswerError::Version(e) = a else {
            panic!("{a:?}")
        };
        assert!(e.message.contains("version 7"), "{}", e.message);
    }

    #[test]
    fn answers_need_exactly_one_member() {
        assert!(decode_answer(b"{\"v\":1,\"id\":1}").is_err());
        let both = b"{\"v\":1,\"id\":1,\"ok\":{\"type\":\"done\"},\"error\":{\"code\":\"internal\",\"message\":\"m\"}}";
        assert!(matches!(
            decode_answer(both),
            Err(AnswerError::Malformed(_))
        ));
    }
}
