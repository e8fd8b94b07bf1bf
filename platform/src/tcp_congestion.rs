//! Which congestion control the host's own TCP uses, so masq's TCP toward the LAN can use the
//! same: a host whose admin chose BBR (it keeps downloads fast over a lossy radio link) would
//! otherwise lose that the moment it shares its connection through masq.

/// The name of the host's default TCP congestion control (`bbr`, `cubic`, `reno`, ...), where
/// the OS says; `None` elsewhere (macOS and Windows use CUBIC and offer no switch for it).
pub fn host_tcp_congestion_control() -> Option<String> {
    imp()
}

#[cfg(target_os = "linux")]
fn imp() -> Option<String> {
    // Read in the daemon's network namespace, which is the host's (or the namespace it was
    // started in, as in the tests).
    let raw = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control").ok()?;
    let name = raw.trim();
    (!name.is_empty() && name.len() <= 16 && name.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| name.to_owned())
}

#[cfg(not(target_os = "linux"))]
fn imp() -> Option<String> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn linux_names_its_default() {
        let name = host_tcp_congestion_control().expect("Linux always has one");
        assert!(
            std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
                .unwrap()
                .split_whitespace()
                .any(|a| a == name),
            "{name}"
        );
    }
}
