//! The transport protocols masq translates.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Transport protocols masq translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// TCP, terminated on the LAN side and re-originated from an uplink socket.
    Tcp,
    /// UDP, relayed datagram by datagram through one uplink socket per LAN endpoint.
    Udp,
    /// ICMP echo, relayed through an unprivileged ICMP socket; the "port" is the echo identifier.
    Icmp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_users_type_them() {
        let names: Vec<String> = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["tcp", "udp", "icmp"]);
    }
}
