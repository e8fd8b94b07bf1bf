//! What a client can ask the daemon.
//!
//! On the wire a request is the `request` member of the envelope, tagged by `"type"` in
//! snake_case: `{"type":"subscribe","interval_ms":500}`. Unknown types and unknown fields
//! are rejected so that a typo never silently does nothing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use masq_vocab::{ForwardKey, ForwardSpec};

use crate::log_lines::LogLevel;
use crate::settings::Settings;

/// Shortest subscription interval: faster updates only burn CPU on both ends.
pub const MIN_SUBSCRIBE_INTERVAL_MS: u64 = 100;
/// Longest subscription interval (one hour); beyond it a client should just poll.
pub const MAX_SUBSCRIBE_INTERVAL_MS: u64 = 3_600_000;
/// Interval used when a subscribe request names none.
pub const DEFAULT_SUBSCRIBE_INTERVAL_MS: u64 = 1_000;

/// One request of the control API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Whether sharing runs, on which interfaces, and the engine's counters.
    Status,
    /// Every live translation.
    Translations,
    /// Refused inbound attempts remembered by the engine.
    Inbound,
    /// Periodic [`crate::Event::Update`]s on this connection until it closes.
    ///
    /// Served by [`crate::serve`] itself; a handler never receives it.
    Subscribe {
        /// Milliseconds between updates.
        #[serde(default = "default_interval_ms")]
        interval_ms: u64,
    },
    /// The settings sharing starts (or runs) with.
    GetSettings,
    /// Replace the settings; per-client limits apply to the running engine at once, the rest
    /// at the next `start`. Port forwards are not replaced: they change through
    /// `add_forward`, `update_forward`, `remove_forward` and `enable_forward`.
    SetSettings {
        /// The new settings, validated by the daemon before they are stored (boxed: they
        /// dwarf every other request).
        settings: Box<Settings>,
    },
    /// Start sharing with the current settings.
    Start,
    /// Stop sharing and remove everything sharing set up.
    Stop,
    /// Forget the refused inbound attempts seen so far.
    ClearInbound,
    /// The hosts on the LAN: address, MAC, name, flows and bytes.
    Clients,
    /// The port forwards (the user's and LAN clients' port mappings) and their state.
    Forwards,
    /// Add a port forward; it is saved and listens at once if sharing is on.
    AddForward {
        /// What to forward where.
        forward: ForwardSpec,
    },
    /// Change a port forward in one step: other public ports, another target, a new name.
    /// Refused as a whole (the old forward stays) when the new one does not fit.
    UpdateForward {
        /// Which one: protocol and first public port, as it is now.
        key: ForwardKey,
        /// What it becomes.
        forward: ForwardSpec,
    },
    /// Remove a port forward (also a LAN client's port mapping).
    RemoveForward {
        /// Which one: protocol and first public port.
        key: ForwardKey,
    },
    /// Switch a port forward on or off without forgetting it.
    EnableForward {
        /// Which one.
        key: ForwardKey,
        /// On or off.
        enabled: bool,
    },
    /// The first-run check: the interfaces and what each is, the uplink masq would use, and
    /// for `lan` the gateway address, DHCP range and conflicts sharing would meet. Changes
    /// nothing.
    SetupCheck {
        /// The LAN the user is about to pick, if any.
        #[serde(default)]
        lan: Option<String>,
        /// A gateway address for it (`192.168.137.1/24`); default: as sharing would choose.
        #[serde(default)]
        lan_addr: Option<String>,
    },
    /// The daemon's most recent log lines, oldest first.
    Logs {
        /// Only lines at least this serious (default: every kept line).
        #[serde(default)]
        level: Option<LogLevel>,
        /// At most this many, the newest (default and cap: [`crate::MAX_LOG_LINES`]).
        #[serde(default)]
        limit: Option<u32>,
    },
}

fn default_interval_ms() -> u64 {
    DEFAULT_SUBSCRIBE_INTERVAL_MS
}

impl Request {
    /// A subscribe request with the given interval (rounded down to whole milliseconds).
    pub fn subscribe(interval: Duration) -> Request {
        Request::Subscribe {
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The request's wire name, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Translations => "translations",
            Request::Inbound => "inbound",
            Request::Subscribe { .. } => "subscribe",
            Request::GetSettings => "get_settings",
            Request::SetSettings { .. } => "set_settings",
            Request::Start => "start",
            Request::Stop => "stop",
            Request::ClearInbound => "clear_inbound",
            Request::Clients => "clients",
            Request::Forwards => "forwards",
            Request::AddForward { .. } => "add_forward",
            Request::UpdateForward { .. } => "update_forward",
            Request::RemoveForward { .. } => "remove_forward",
            Request::EnableForward { .. } => "enable_forward",
            Request::SetupCheck { .. } => "setup_check",
            Request::Logs { .. } => "logs",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_snake_case_tagged() {
        assert_eq!(
            serde_json::to_string(&Request::ClearInbound).unwrap(),
            r#"{"type":"clear_inbound"}"#
        );
        let r: Request = serde_json::from_str(r#"{"type":"subscribe"}"#).unwrap();
        assert_eq!(r, Request::Subscribe { interval_ms: 1000 });
        let r: Request =
            serde_json::from_str(r#"{"type":"set_settings","settings":{"lan":"eth1"}}"#).unwrap();
        let Request::SetSettings { settings } = r else {
            panic!("{r:?}")
        };
        assert_eq!(settings.lan.as_deref(), Some("eth1"));
        assert_eq!(
            Request::subscribe(Duration::from_millis(250)),
            Request::Subscribe { interval_ms: 250 }
        );
    }

    #[test]
    fn forward_requests_in_plain_json() {
        let r: Request = serde_json::from_str(
            r#"{"type":"add_forward","forward":{"protocol":"udp","public":"27015-27030","target":"192.168.137.20:27015"}}"#,
        )
        .unwrap();
        let Request::AddForward { forward } = r else {
            panic!("{r:?}")
        };
        assert_eq!(forward.public.len(), 16);
        assert!(forward.enabled);
        let r: Request = serde_json::from_str(
            r#"{"type":"enable_forward","key":{"protocol":"tcp","port":8080},"enabled":false}"#,
        )
        .unwrap();
        assert_eq!(r.kind(), "enable_forward");
        for bad in [
            r#"{"type":"add_forward","forward":{"protocol":"icmp","public":"1","target":"192.168.137.20:1"}}"#,
            r#"{"type":"add_forward","forward":{"protocol":"tcp","public":"0","target":"192.168.137.20:1"}}"#,
            r#"{"type":"remove_forward","key":{"protocol":"tcp"}}"#,
        ] {
            assert!(serde_json::from_str::<Request>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_types_and_fields_are_rejected() {
        assert!(serde_json::from_str::<Request>(r#"{"type":"reboot"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"type":"subscribe","interval":5}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"kind":"status"}"#).is_err());
    }
}
