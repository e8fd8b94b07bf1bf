//! What a failed command tells the window: a code to branch on, a sentence for people and,
//! for a rejected setting, the key of the field to show it next to.
//!
//! Serialized as `{"code": …, "message": …, "key": …}`, the shape `ui/src/api/types.ts`
//! calls `GuiError`.

use masq_control::{ApiError, ClientError, ErrorCode, SettingsError};
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::service::ServiceError;

/// Why a command from the window could not be carried out.
#[derive(Debug, Error)]
pub enum GuiError {
    /// The daemon could not be reached or did not answer properly.
    #[error("{0}")]
    Daemon(#[source] ClientError),
    /// The daemon answered with a refusal.
    #[error("{}", .0.message)]
    Refused(ApiError),
    /// The settings fail the same validation the daemon applies, checked before sending.
    #[error("{} {}", .0.value, .0.expected)]
    InvalidSettings(SettingsError),
    /// The daemon answered with a payload of the wrong kind (a daemon/GUI version mismatch).
    #[error(
        "masq answered `{asked}` with `{got}`; the service and this app may be different versions"
    )]
    UnexpectedAnswer {
        /// The request sent.
        asked: &'static str,
        /// The kind of answer received.
        got: &'static str,
    },
    /// Starting the service with elevation failed.
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<ClientError> for GuiError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api(api) => GuiError::Refused(api),
            other => GuiError::Daemon(other),
        }
    }
}

impl GuiError {
    fn code(&self) -> &'static str {
        match self {
            GuiError::Daemon(ClientError::NotRunning { .. }) => "not_running",
            GuiError::Daemon(ClientError::PermissionDenied { .. }) => "permission_denied",
            GuiError::Daemon(_) => "daemon_unreachable",
            GuiError::Refused(api) => api.code.as_str(),
            GuiError::InvalidSettings(_) => ErrorCode::InvalidSettings.as_str(),
            GuiError::UnexpectedAnswer { .. } => "unexpected_answer",
            GuiError::Service(_) => "service_start_failed",
        }
    }

    /// The setting a refusal is about, so the window can show it next to that field.
    fn key(&self) -> Option<String> {
        match self {
            GuiError::InvalidSettings(e) => Some(e.key.clone()),
            GuiError::Refused(api) if api.code == ErrorCode::InvalidSettings => {
                settings_key_of(&api.message)
            }
            _ => None,
        }
    }

    /// The sentence shown to people: the whole chain of causes, so nothing is lost.
    fn full_message(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            let part = s.to_string();
            if !text.contains(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            source = s.source();
        }
        text
    }
}

/// The key in a daemon refusal worded by `SettingsError`'s display (``invalid setting `key` = …``).
fn settings_key_of(message: &str) -> Option<String> {
    let rest = message.strip_prefix("invalid setting `")?;
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

impl Serialize for GuiError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            code: &'a str,
            message: String,
            key: Option<String>,
        }
        Wire {
            code: self.code(),
            message: self.full_message(),
            key: self.key(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use masq_control::Settings;

    use super::*;

    #[test]
    fn local_validation_errors_carry_the_key() {
        let s = Settings {
            lan_addr: Some("10.0.0.0/24".into()),
            ..Settings::default()
        };
        let e = GuiError::InvalidSettings(s.validate(|_| Ok(())).unwrap_err());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["key"], "lan_addr");
        assert_eq!(v["code"], "invalid_settings");
        assert!(
            v["message"].as_str().unwrap().contains("host address"),
            "{v}"
        );
    }

    #[test]
    fn daemon_refusals_of_settings_name_the_key() {
        let text = "invalid setting `engine.tcp.max_retransmits` = 99: expected 1 to 30";
        let e = GuiError::from(ClientError::Api(ApiError::new(
            ErrorCode::InvalidSettings,
            text,
        )));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["key"], "engine.tcp.max_retransmits");
        let other = GuiError::from(ClientError::Api(ApiError::new(ErrorCode::Failed, "x")));
        assert!(serde_json::to_value(&other).unwrap()["key"].is_null());
    }

    #[test]
    fn forward_refusals_reach_the_form_as_the_daemons_sentence() {
        let text = "tcp 8080 is already forwarded to 192.168.137.10:80; remove that forward first";
        let e = GuiError::from(ClientError::Api(ApiError::new(
            ErrorCode::InvalidRequest,
            text,
        )));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["message"], text);
        assert_eq!(v["code"], ErrorCode::InvalidRequest.as_str());
        assert!(v["key"].is_null(), "{v}");
    }

    #[test]
    fn not_running_has_its_own_code() {
        let e = GuiError::from(ClientError::NotRunning {
            path: "/run/masq/control.sock".into(),
        });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "not_running");
        assert!(v["message"].as_str().unwrap().contains("/run/masq"), "{v}");
    }
}
