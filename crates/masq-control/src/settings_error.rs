//! How a bad setting is reported, shared by every settings section's check.

use std::fmt;

use thiserror::Error;

/// A setting outside what masq accepts; names the key as written in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid setting `{key}` = {value}: expected {expected}")]
pub struct SettingsError {
    /// Dotted key as in the config file, e.g. `engine.udp.mapping_timeout`.
    pub key: String,
    /// The rejected value as the user wrote it.
    pub value: String,
    /// The accepted range or values, in plain words.
    pub expected: String,
}

impl SettingsError {
    pub(crate) fn new(key: &str, value: impl fmt::Display, expected: &str) -> Self {
        SettingsError {
            key: key.to_owned(),
            value: value.to_string(),
            expected: expected.to_owned(),
        }
    }
}
