//! The daemon's recent log lines as the API carries them: the Windows service has no terminal
//! and the desktop app no access to the daemon's stderr, so `logs` is how both see what the
//! daemon said.

use serde::{Deserialize, Serialize};

/// Most lines one `logs` answer carries (the daemon keeps no more).
pub const MAX_LOG_LINES: u32 = 1000;

/// How serious a line is, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something is wrong but sharing goes on.
    Warn,
    /// What the daemon did.
    Info,
    /// Details for diagnosis (only kept when `MASQ_LOG` asks for them).
    Debug,
    /// Per-packet detail (idem).
    Trace,
}

/// One line of the daemon's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// When, in milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// How serious.
    pub level: LogLevel,
    /// The module that logged it (`masq::runtime::session`, ...).
    pub target: String,
    /// The message with its fields (`key=value`).
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_by_seriousness_and_read_plainly() {
        assert!(LogLevel::Error < LogLevel::Warn && LogLevel::Info < LogLevel::Debug);
        let line = LogLine {
            unix_ms: 1,
            level: LogLevel::Warn,
            target: "masq".into(),
            message: "m".into(),
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"unix_ms":1,"level":"warn","target":"masq","message":"m"}"#
        );
    }
}
