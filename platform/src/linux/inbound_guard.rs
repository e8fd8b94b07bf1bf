//! Nothing inward without a port forward, whatever the host forwards: masq's own nftables
//! table.
//!
//! masq never forwards from the uplink into the LAN: replies and port forwards reach hidden
//! hosts through the engine, which writes them into the adapter. But the kernel forwards by
//! itself once `ip_forward` is on, and Docker, libvirt and VPN software switch it on: an
//! uplink host with a route to the LAN prefix would then reach every hidden host directly,
//! and they would see its real address. The table drops, in the forward hook, anything bound
//! for the LAN that did not come from the adapter or the LAN itself, and anything bound for
//! the adapter that did not come from the LAN. It sits at priority -10, ahead of the usual
//! filter chains, so an `accept` elsewhere (Docker's) cannot let it through; it is journaled
//! like every other change and removed by `masq down` after a crash.
//!
//! The same table carries hairpinning's steering: a LAN packet addressed to the gateway's own
//! public address would be delivered to the host itself (the `local` routing table answers
//! before masq's rule), so a prerouting chain rewrites its destination to
//! [`HAIRPIN_ALIAS_V4`] (stateless, checksums updated by nft), which masq's routing table sends
//! into the adapter; the engine restores the public address. The public addresses are a set
//! in the table, refilled when the uplink's address changes ([`set_public`]).
//!
//! It is written with the `nft` tool (`nft -f -`), which every distribution ships with
//! nftables. Without `nft` masq still starts when the host does not forward (nothing can then
//! come in), and refuses to start when it does.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use tracing::warn;

use super::ifname::IfName;
use crate::{CleanupOutcome, PlatformError};

/// The nftables family of the table: `inet` covers IPv4 and IPv6 with one rule set.
const FAMILY: &str = "inet";

/// Where LAN packets for the gateway's public address are steered: RFC 7600's IPv4 dummy
/// address, which is never routed anywhere, so it cannot hide a real destination.
pub const HAIRPIN_ALIAS_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 0, 8);
/// The set of the uplink's IPv4 addresses in the table.
const PUBLIC_SET: &str = "public_v4";

/// The table's name for the adapter `tun`: one table per masq instance.
pub(crate) fn table_name(tun: &IfName) -> String {
    let suffix: String = tun
        .as_str()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("masq_{suffix}")
}

/// The rule set that closes the LAN and the adapter to everything but each other.
///
/// `ports` (when the kernel's nftables has the `socket` expression) is the ephemeral range, which masq's uplink sockets use: an
/// unsolicited SYN there that no socket of the host takes (neither a listener nor a connect
/// under way, which is a simultaneous open) is dropped without an answer, where the kernel
/// would send an RST at once. RFC 5382 REQ-4 asks this for at least 6 s so that a TCP hole
/// punch whose remote SYN arrives first still succeeds when the hidden host's own SYN follows.
pub(crate) fn ruleset(
    table: &str,
    lan: &IfName,
    tun: &IfName,
    ports: Option<(u16, u16)>,
) -> Result<String, PlatformError> {
    for name in [lan, tun] {
        if name.as_str().contains(['"', '\\']) {
            return Err(PlatformError::Nft {
                action: format!("guard interface {name}"),
                detail: "its name contains a quote or a backslash, which nft cannot quote".into(),
            });
        }
    }
    let (lan, tun) = (lan.as_str(), tun.as_str());
    let input = input_chain(lan, tun, ports);
    Ok(format!(
        "table {FAMILY} {table} {{\n\
         \tset {PUBLIC_SET} {{ type ipv4_addr; }}\n\
         \tchain prerouting {{\n\
         \t\ttype filter hook prerouting priority -150; policy accept;\n\
         \t\tiifname \"{lan}\" ip daddr @{PUBLIC_SET} ip daddr set {HAIRPIN_ALIAS_V4} counter comment \"masq: hairpinning, into the adapter\"\n\
         \t}}\n\
         \tchain forward {{\n\
         \t\ttype filter hook forward priority -10; policy accept;\n\
         \t\toifname \"{lan}\" iifname != {{ \"{lan}\", \"{tun}\" }} counter drop comment \"masq: nothing reaches the LAN from outside except through masq\"\n\
         \t\toifname \"{tun}\" iifname != \"{lan}\" counter drop comment \"masq: only the LAN uses masq's adapter\"\n\
         \t}}\n\
         {input}\
         }}\n"
    ))
}

/// The input chain of [`ruleset`], or nothing without a port range.
fn input_chain(lan: &str, tun: &str, ports: Option<(u16, u16)>) -> String {
    let Some((low, high)) = ports else {
        return String::new();
    };
    let range = if low == high {
        low.to_string()
    } else {
        format!("{low}-{high}")
    };
    let outside = format!("iifname != {{ \"{lan}\", \"{tun}\", \"lo\" }}");
    let syn = format!("tcp flags & (syn | ack) == syn tcp dport {range}");
    format!(
        "\tchain input {{\n\
         \t\ttype filter hook input priority -10; policy accept;\n\
         \t\t{outside} {syn} socket transparent 0 accept comment \"masq: a listener or a simultaneous open takes it\"\n\
         \t\t{outside} {syn} socket transparent 1 accept\n\
         \t\t{outside} {syn} counter drop comment \"masq: unsolicited SYNs to masq's ports get no answer (RFC 5382 REQ-4)\"\n\
         \t}}\n"
    )
}

/// Loads `script` (a whole table; an old one of the same name is replaced).
///
/// `Ok(false)` when `nft` is not installed and the host does not forward, so nothing needs
/// guarding; an error when it is missing and the host forwards, or when nft refuses.
pub(crate) fn install(table: &str, script: &str) -> Result<bool, PlatformError> {
    let action = format!("add table {FAMILY} {table}");
    // Deleting first makes a reload after a crash replace the old table instead of merging
    // rules into it; a missing table is fine.
    let _ = run_nft(&["delete", "table", FAMILY, table], None);
    match run_nft(&["-f", "-"], Some(script)) {
        Ok(()) => Ok(true),
        Err(NftError::Missing) if !host_forwards() => {
            warn!("nft is not installed; the host forwards nothing, so the LAN stays closed without masq's nftables table (install nftables to guard it if forwarding is ever switched on)");
            Ok(false)
        }
        Err(NftError::Missing) => Err(PlatformError::Nft {
            action,
            detail: "nft is not installed, and this host forwards packets (net.ipv4.ip_forward or IPv6 forwarding is on), so the internet could reach the LAN directly; install nftables (apt install nftables) and start again".into(),
        }),
        Err(NftError::Failed(detail)) => Err(PlatformError::Nft { action, detail }),
    }
}

/// The kernel's ephemeral port range (`net.ipv4.ip_local_port_range`), from which masq's
/// uplink sockets take their ports; Linux's default when it cannot be read.
pub(crate) fn ephemeral_ports() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut it = text.split_whitespace().map(|w| w.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .filter(|(low, high)| low <= high)
        .unwrap_or((32768, 60999))
}

/// Makes `public` (the uplink's IPv4 address, if any) the one address hairpinned.
pub(crate) fn set_public(table: &str, public: Option<Ipv4Addr>) -> Result<(), PlatformError> {
    let mut script = format!("flush set {FAMILY} {table} {PUBLIC_SET}\n");
    if let Some(addr) = public {
        script.push_str(&format!(
            "add element {FAMILY} {table} {PUBLIC_SET} {{ {addr} }}\n"
        ));
    }
    run_nft(&["-f", "-"], Some(&script)).map_err(|e| PlatformError::Nft {
        action: format!("set the hairpinned address in {FAMILY} {table}"),
        detail: match e {
            NftError::Missing => "nft is not installed".into(),
            NftError::Failed(detail) => detail,
        },
    })
}

/// Deletes the table; one that is gone (or could never have been made) is already undone.
pub(crate) fn remove(table: &str) -> Result<CleanupOutcome, PlatformError> {
    match run_nft(&["delete", "table", FAMILY, table], None) {
        Ok(()) => Ok(CleanupOutcome::Undone),
        // Without nft no table could have been made.
        Err(NftError::Missing) => Ok(CleanupOutcome::AlreadyGone),
        Err(NftError::Failed(detail)) if detail.contains("No such file or directory") => {
            Ok(CleanupOutcome::AlreadyGone)
        }
        Err(NftError::Failed(detail)) => Err(PlatformError::Nft {
            action: format!("delete table {FAMILY} {table}"),
            detail,
        }),
    }
}

enum NftError {
    /// The tool is not installed.
    Missing,
    /// It ran and refused: exit status and its error output.
    Failed(String),
}

fn run_nft(args: &[&str], stdin: Option<&str>) -> Result<(), NftError> {
    let mut child = Command::new("nft")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => NftError::Missing,
            _ => NftError::Failed(format!("cannot run nft: {e}")),
        })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(NftError::Failed(format!("cannot write to nft: {e}")));
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| NftError::Failed(format!("cannot wait for nft: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(NftError::Failed(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Whether the kernel forwards between interfaces by itself (IPv4 or IPv6, all interfaces).
fn host_forwards() -> bool {
    [
        "/proc/sys/net/ipv4/conf/all/forwarding",
        "/proc/sys/net/ipv6/conf/all/forwarding",
    ]
    .iter()
    .any(|path| std::fs::read_to_string(path).is_ok_and(|v| v.trim() != "0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> IfName {
        IfName::new(n).unwrap()
    }

    #[test]
    fn one_table_per_adapter_with_a_safe_name() {
        assert_eq!(table_name(&name("masq0")), "masq_masq0");
        assert_eq!(table_name(&name("my-tun.1")), "masq_my_tun_1");
    }

    #[test]
    fn the_lan_and_the_adapter_only_talk_to_each_other() {
        let text = ruleset(
            "masq_masq0",
            &name("gw-lan"),
            &name("masq0"),
            Some((32768, 60999)),
        )
        .unwrap();
        assert!(text.starts_with("table inet masq_masq0 {"), "{text}");
        assert!(
            text.contains("hook forward priority -10; policy accept;"),
            "{text}"
        );
        assert!(
            text.contains(r#"oifname "gw-lan" iifname != { "gw-lan", "masq0" } counter drop"#),
            "{text}"
        );
        assert!(
            text.contains(r#"oifname "masq0" iifname != "gw-lan" counter drop"#),
            "{text}"
        );
        assert!(
            text.contains(r#"iifname "gw-lan" ip daddr @public_v4 ip daddr set 192.0.0.8"#),
            "{text}"
        );
        assert!(text.contains("hook prerouting priority -150"), "{text}");
        assert!(
            text.contains("tcp flags & (syn | ack) == syn tcp dport 32768-60999 counter drop"),
            "{text}"
        );
        assert!(text.contains("socket transparent 0 accept"), "{text}");
        let without = ruleset("masq_masq0", &name("gw-lan"), &name("masq0"), None).unwrap();
        assert!(!without.contains("chain input"), "{without}");
        let one = ruleset("t", &name("gw-lan"), &name("masq0"), Some((40000, 40000))).unwrap();
        assert!(one.contains("tcp dport 40000 "), "{one}");
    }

    #[test]
    fn names_nft_cannot_quote_are_refused() {
        assert!(ruleset("t", &name("a\"b"), &name("masq0"), Some((32768, 60999))).is_err());
    }
}
