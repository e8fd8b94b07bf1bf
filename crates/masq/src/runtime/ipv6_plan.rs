//! Whether a sharing session offers IPv6 to the LAN, and under which prefix.
//!
//! The settings say when (`auto`, `on`, `off`); the platform says whether the uplink can carry
//! IPv6 ([`masq_platform::check_ipv6_uplink`]). The LAN's /64 is the configured one or a unique
//! local prefix (RFC 4193: `fd` + a random 40-bit global ID + subnet 0) made up once and kept
//! next to the DHCP leases, so hosts keep their SLAAC addresses across restarts.

use std::net::Ipv6Addr;
use std::path::Path;

use anyhow::{Result, bail};
use masq_control::{Ipv6Mode, Settings, parse_ipv6_prefix};
use masq_platform::{InterfaceInfo, Ipv6Net};
use tracing::{info, warn};

/// The session's IPv6 decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ipv6Plan {
    /// IPv6 is offered: the gateway's address with the LAN's /64.
    Offered {
        /// e.g. `fd12:3456:789a::1/64`.
        gateway: Ipv6Net,
    },
    /// IPv6 is not offered; the reason is shown by `masq status`.
    NotOffered {
        /// Why, in plain words.
        reason: String,
    },
}

/// Decides for a session that shares `uplink`; fails only when `on` cannot be honoured.
/// `prefix_file` keeps the made-up ULA prefix across restarts.
pub(super) async fn plan(
    settings: &Settings,
    uplink: &InterfaceInfo,
    prefix_file: &Path,
) -> Result<Ipv6Plan> {
    if settings.ipv6.enabled == Ipv6Mode::Off {
        return Ok(Ipv6Plan::NotOffered {
            reason: "turned off in the settings (ipv6.enabled = \"off\")".to_owned(),
        });
    }
    if let Err(why) = masq_platform::check_ipv6_uplink(uplink).await {
        if settings.ipv6.enabled == Ipv6Mode::On {
            bail!("IPv6 is required (ipv6.enabled = \"on\") but cannot be offered: {why}");
        }
        info!(reason = %why, "IPv6 is not offered on the LAN");
        return Ok(Ipv6Plan::NotOffered {
            reason: why.to_string(),
        });
    }
    let network = match settings.ipv6.prefix_network() {
        Some(n) => n,
        None => stored_ula(prefix_file),
    };
    let gateway = Ipv6Addr::from(u128::from(network) | 1);
    Ok(Ipv6Plan::Offered {
        gateway: Ipv6Net::new(gateway, 64)?,
    })
}

/// The ULA /64 kept in `path`, made up and written there on first use. If it cannot be
/// written, a fresh one is used for this session only (hosts then renumber on restart).
fn stored_ula(path: &Path) -> Ipv6Addr {
    if let Ok(text) = masq_paths::private_file::read_bounded_text(path, 4096)
        && let Ok(network) = parse_ipv6_prefix(text.trim())
    {
        return network;
    }
    let network = random_ula();
    let written =
        masq_paths::private_file::write_private(path, format!("{network}/64\n").as_bytes());
    if let Err(e) = written {
        warn!(path = %path.display(), error = %e, "cannot keep the LAN's IPv6 prefix; hosts will get new addresses after a restart");
    }
    network
}

/// `fdXX:XXXX:XXXX::/64` with a random 40-bit global ID (RFC 4193 section 3.2).
fn random_ula() -> Ipv6Addr {
    let mut id = [0u8; 5];
    if getrandom::fill(&mut id).is_err() {
        warn!("no OS randomness for the IPv6 prefix; using a fixed one");
    }
    let mut octets = [0u8; 16];
    octets[0] = 0xfd;
    octets[1..6].copy_from_slice(&id);
    Ipv6Addr::from(octets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_up_prefix_is_a_ula_and_is_kept() {
        let dir = std::env::temp_dir().join(format!("masq-ula-test-{}", std::process::id()));
        let path = dir.join("ipv6-prefix");
        let _ = std::fs::remove_dir_all(&dir);
        let first = stored_ula(&path);
        assert_eq!(first.octets()[0], 0xfd);
        assert_eq!(u128::from(first) & u128::from(u64::MAX), 0, "a /64 network");
        assert_eq!(
            stored_ula(&path),
            first,
            "the same prefix on the next start"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn off_is_not_offered_without_asking_the_platform() {
        let mut settings = Settings::default();
        settings.ipv6.enabled = Ipv6Mode::Off;
        let uplink = InterfaceInfo {
            name: "nonexistent0".into(),
            index: 999,
            ipv4: vec![],
            ipv6: vec![],
            mtu: 1500,
        };
        let unused = Path::new("/nonexistent/ipv6-prefix");
        let p = plan(&settings, &uplink, unused).await.unwrap();
        assert!(matches!(p, Ipv6Plan::NotOffered { reason } if reason.contains("off")));
        settings.ipv6.enabled = Ipv6Mode::On;
        let e = plan(&settings, &uplink, unused).await.unwrap_err();
        assert!(e.to_string().contains("no routable IPv6"), "{e}");
    }
}
