//! Which ports the host's own programs use, read from /proc/net (Linux).
//!
//! The uplink observer sees every SYN and datagram addressed to the host; only those that no
//! local program would take are refused inbound attempts in the masquerading sense.

use std::fs;

/// TCP state code of a listening socket in /proc/net/tcp (include/net/tcp_states.h).
const TCP_LISTEN: &str = "0A";

/// Whether some local socket listens on this TCP port (IPv4 or IPv6).
pub(crate) fn tcp_listening(port: u16) -> bool {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .any(|p| fs::read_to_string(p).is_ok_and(|t| table_has_port(&t, port, Some(TCP_LISTEN))))
}

/// Whether some local UDP socket is bound to this port (IPv4 or IPv6).
pub(crate) fn udp_bound(port: u16) -> bool {
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .any(|p| fs::read_to_string(p).is_ok_and(|t| table_has_port(&t, port, None)))
}

/// Parses a /proc/net/{tcp,udp}[6] table: `sl local_address rem_address st ...`, where the
/// local address is `HEXADDR:HEXPORT`.
fn table_has_port(table: &str, port: u16, state: Option<&str>) -> bool {
    table.lines().skip(1).any(|line| {
        let mut cols = line.split_whitespace();
        let (Some(_sl), Some(local), Some(_rem), Some(st)) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            return false;
        };
        let Some((_, hex_port)) = local.rsplit_once(':') else {
            return false;
        };
        u16::from_str_radix(hex_port, 16) == Ok(port) && state.is_none_or(|s| s == st)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:0050 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    fn finds_listeners_only() {
        assert!(table_has_port(TCP, 22, Some(TCP_LISTEN)));
        // Port 40000 is an established connection, not a listener.
        assert!(!table_has_port(TCP, 40000, Some(TCP_LISTEN)));
        assert!(table_has_port(TCP, 40000, None));
        assert!(!table_has_port(TCP, 80, None));
    }

    #[test]
    fn tolerates_garbage() {
        assert!(!table_has_port("header\nnonsense\n1: zz:zz\n", 22, None));
    }
}
