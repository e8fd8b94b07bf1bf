//! Ethernet hardware addresses as the API and the config file spell them.
//!
//! DHCP reservations, leases and the per-client view all key LAN hosts by MAC. One type with
//! one text form (`aa:bb:cc:dd:ee:ff`, lower case on output, either case and `-` accepted on
//! input) keeps those consistent and rejects malformed addresses where they are typed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A 48-bit Ethernet address; serialized as `"aa:bb:cc:dd:ee:ff"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MacAddr(pub [u8; 6]);

/// Why a string is not a MAC address; the text is the accepted form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a MAC address of six hex bytes such as 02:00:5e:10:00:01, got {0:?}")]
pub struct MacAddrError(pub String);

impl MacAddr {
    /// The address from the first six bytes of a DHCP `chaddr`, if there are six.
    pub fn from_slice(bytes: &[u8]) -> Option<MacAddr> {
        let six: [u8; 6] = bytes.get(..6)?.try_into().ok()?;
        Some(MacAddr(six))
    }

    /// The six bytes.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }
}

impl FromStr for MacAddr {
    type Err = MacAddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MacAddrError(s.to_owned());
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in &mut out {
            let part = parts.next().ok_or_else(bad)?;
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(MacAddr(out))
    }
}

impl TryFrom<String> for MacAddr {
    type Error = MacAddrError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<MacAddr> for String {
    fn from(m: MacAddr) -> String {
        m.to_string()
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_separators_and_prints_lower_case() {
        let m: MacAddr = "02:AB:cd:00:10:FF".parse().unwrap();
        assert_eq!(m.to_string(), "02:ab:cd:00:10:ff");
        assert_eq!("02-ab-cd-00-10-ff".parse::<MacAddr>().unwrap(), m);
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"02:ab:cd:00:10:ff\"");
        assert_eq!(
            serde_json::from_str::<MacAddr>("\"02:ab:cd:00:10:ff\"").unwrap(),
            m
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "02:ab:cd:00:10",
            "02:ab:cd:00:10:ff:01",
            "2:ab:cd:00:10:ff",
            "zz:ab:cd:00:10:ff",
            "02:ab:cd:00:10:+f",
        ] {
            let e = bad.parse::<MacAddr>().unwrap_err();
            assert!(e.to_string().contains("six hex bytes"), "{bad}: {e}");
        }
        assert!(serde_json::from_str::<MacAddr>("\"nope\"").is_err());
    }

    #[test]
    fn from_chaddr_takes_six_bytes() {
        let chaddr = [2, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            MacAddr::from_slice(&chaddr).unwrap().to_string(),
            "02:00:00:00:00:09"
        );
        assert_eq!(MacAddr::from_slice(&chaddr[..5]), None);
    }
}
