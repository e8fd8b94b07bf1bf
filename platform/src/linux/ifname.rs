//! A validated Linux interface name.
//!
//! Names end up in `/proc/sys` paths and in the crash journal, which root reads back later;
//! validating them once (the kernel's own `dev_valid_name` rules) means a tampered or mistyped
//! name can never turn into a path outside `/proc/sys/net/ipv4/conf/`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::PlatformError;

/// Longest name the kernel accepts (IFNAMSIZ minus the NUL).
const MAX_LEN: usize = 15;

/// An interface name the kernel could accept: 1-15 bytes, no `/`, `:`, whitespace or NUL,
/// and not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub(crate) struct IfName(String);

impl IfName {
    /// Checks `name` against the kernel's rules.
    pub(crate) fn new(name: &str) -> Result<IfName, PlatformError> {
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_LEN {
            Some("it is longer than 15 bytes")
        } else if name == "." || name == ".." {
            Some("`.` and `..` are reserved")
        } else if name
            .chars()
            .any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace())
        {
            Some("it contains `/`, `:`, a NUL or whitespace")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(PlatformError::InvalidInterfaceName {
                name: name.to_owned(),
                reason,
            }),
            None => Ok(IfName(name.to_owned())),
        }
    }

    /// The name as a string.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IfName {
    type Error = PlatformError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        IfName::new(&name)
    }
}

impl From<IfName> for String {
    fn from(name: IfName) -> String {
        name.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_names() {
        for name in [
            "eth0",
            "wlp2s0",
            "eth0.100",
            "br-lan",
            "masq0",
            "enx00e04c680001",
        ] {
            assert_eq!(IfName::new(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn rejects_what_the_kernel_rejects() {
        for name in [
            "",
            ".",
            "..",
            "a/b",
            "../etc",
            "eth 0",
            "eth:0",
            "a\0b",
            "sixteen-bytes-xx",
        ] {
            assert!(IfName::new(name).is_err(), "{name:?} accepted");
        }
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<IfName>("\"eth0\"").is_ok());
        assert!(serde_json::from_str::<IfName>("\"../../etc\"").is_err());
    }
}
