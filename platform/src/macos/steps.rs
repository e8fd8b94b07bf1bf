//! The changes the macOS backend makes, as recorded in the crash journal.
//!
//! Each step holds what is needed to undo it without the process that made it: the anchor's
//! name, the pf enable token, the previous forwarding value. Display gives the line shown by
//! `masq down`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ifname::IfName;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum Step {
    /// A utun was opened. It vanishes when its descriptor closes, also on a crash; recorded
    /// so `masq down` can say so.
    UtunOpened {
        /// The utun's name (`utunN`).
        name: IfName,
    },
    /// `net.inet.ip.forwarding` was changed from `old`.
    ForwardingChanged {
        /// Its value before masq changed it.
        old: u32,
    },
    /// masq's rules were loaded into this pf anchor.
    PfAnchorLoaded {
        /// The anchor path, e.g. `com.apple/masq`.
        anchor: String,
    },
    /// pf was enabled with a reference (`pfctl -E`). `token` is `None` while the token is not
    /// known yet (recorded before the call) or once its release is under way.
    PfEnabled {
        /// The reference to release with `pfctl -X`.
        token: Option<u64>,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::UtunOpened { name } => write!(f, "utun adapter {name}"),
            Step::ForwardingChanged { old } => {
                write!(f, "setting net.inet.ip.forwarding (restored to {old})")
            }
            Step::PfAnchorLoaded { anchor } => write!(f, "pf rules in anchor {anchor}"),
            Step::PfEnabled { token: Some(token) } => {
                write!(f, "pf enable reference (token {token})")
            }
            Step::PfEnabled { token: None } => write!(f, "pf enable reference (token unknown)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_steps() -> Vec<Step> {
        vec![
            Step::UtunOpened {
                name: IfName::new("utun4").unwrap(),
            },
            Step::ForwardingChanged { old: 0 },
            Step::PfEnabled {
                token: Some(14_063_228_426_457_519_411),
            },
            Step::PfAnchorLoaded {
                anchor: "com.apple/masq".into(),
            },
            Step::PfEnabled { token: None },
        ]
    }

    #[test]
    fn every_step_roundtrips_through_json() {
        for step in all_steps() {
            let json = serde_json::to_string(&step).unwrap();
            assert_eq!(serde_json::from_str::<Step>(&json).unwrap(), step, "{json}");
        }
    }

    #[test]
    fn json_is_readable_and_validates_names() {
        let json = serde_json::to_string(&Step::PfEnabled { token: Some(5) }).unwrap();
        assert_eq!(json, r#"{"step":"pf_enabled","token":5}"#);
        assert!(serde_json::from_str::<Step>(r#"{"step":"utun_opened","name":"../x y"}"#).is_err());
    }

    #[test]
    fn display_lines() {
        let lines: Vec<String> = all_steps().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "utun adapter utun4",
                "setting net.inet.ip.forwarding (restored to 0)",
                "pf enable reference (token 14063228426457519411)",
                "pf rules in anchor com.apple/masq",
                "pf enable reference (token unknown)",
            ]
        );
    }
}
