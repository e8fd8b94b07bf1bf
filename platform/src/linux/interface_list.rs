//! Every interface of the namespace with what kind it is, for the first-run screen: names from
//! `/sys/class/net`, the kind from the clues sysfs gives (see [`crate::classify_linux`]).

use std::fs;
use std::path::Path;

use super::interfaces::interface_info;
use crate::{InterfaceSummary, LinuxClues, PlatformError, classify_linux, link_running};

/// Every interface, in index order.
pub fn list_interfaces() -> Result<Vec<InterfaceSummary>, PlatformError> {
    list_from(Path::new("/sys/class/net"))
}

fn list_from(sysfs: &Path) -> Result<Vec<InterfaceSummary>, PlatformError> {
    let entries = fs::read_dir(sysfs).map_err(|source| PlatformError::InterfaceQuery {
        name: format!("the interface list in {}", sysfs.display()),
        source,
    })?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        // An interface that went away between the listing and the query is simply not listed.
        let Ok(info) = interface_info(&name) else {
            continue;
        };
        out.push(InterfaceSummary {
            kind: classify_linux(&clues_from(&sysfs.join(&name))),
            running: link_running(&name).unwrap_or(false),
            description: None,
            info,
        });
    }
    out.sort_by_key(|s| s.info.index);
    Ok(out)
}

/// Reads the clues from one interface's sysfs directory; missing files are missing clues.
fn clues_from(dir: &Path) -> LinuxClues {
    let read = |file: &str| fs::read_to_string(dir.join(file)).ok();
    let devtype = read("uevent").and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("DEVTYPE=").map(|v| v.trim().to_owned()))
    });
    LinuxClues {
        arphrd: read("type")
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
        wireless: dir.join("wireless").exists() || dir.join("phy80211").exists(),
        driver: fs::read_link(dir.join("device/driver"))
            .ok()
            .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned)),
        devtype,
        has_device: dir.join("device").exists(),
        tun: dir.join("tun_flags").exists(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway directory shaped like `/sys/class/net/NAME`.
    fn fake(name: &str, files: &[(&str, &str)], links: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("masq-sysfs-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            let path = dir.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        for (link, target) in links {
            let path = dir.join(link);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, path).unwrap();
        }
        dir
    }

    #[test]
    fn reads_the_clues_sysfs_gives() {
        let tether = fake(
            "usb0",
            &[("type", "1\n"), ("uevent", "INTERFACE=usb0\nIFINDEX=5\n")],
            &[("device/driver", "../../../bus/usb/drivers/rndis_host")],
        );
        let c = clues_from(&tether);
        assert_eq!(c.arphrd, 1);
        assert_eq!(c.driver.as_deref(), Some("rndis_host"));
        assert!(c.has_device);
        assert_eq!(classify_linux(&c), crate::InterfaceKind::UsbTether);

        let wg = fake(
            "wg0",
            &[
                ("type", "65534\n"),
                ("uevent", "DEVTYPE=wireguard\nINTERFACE=wg0\n"),
            ],
            &[],
        );
        let c = clues_from(&wg);
        assert_eq!(c.devtype.as_deref(), Some("wireguard"));
        assert!(!c.has_device);
        assert_eq!(classify_linux(&c), crate::InterfaceKind::Vpn);

        let wifi = fake(
            "wlan0",
            &[("type", "1"), ("wireless/.keep", "")],
            &[("device", "/tmp")],
        );
        assert_eq!(
            classify_linux(&clues_from(&wifi)),
            crate::InterfaceKind::WiFi
        );
        for dir in [tether, wg, wifi] {
            fs::remove_dir_all(dir).unwrap();
        }
    }

    #[test]
    fn lists_loopback_in_this_namespace() {
        let all = list_interfaces().unwrap();
        let lo = all
            .iter()
            .find(|s| s.info.name == "lo")
            .expect("lo is listed");
        assert_eq!(lo.kind, crate::InterfaceKind::Loopback);
    }
}
