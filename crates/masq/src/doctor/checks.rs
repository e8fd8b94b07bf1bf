//! What `masq doctor` concludes from what it found: pure, so every rule is tested without an
//! OS. Each finding says what is wrong in plain words and how to fix it.

use std::net::Ipv4Addr;

use masq_platform::{InterfaceInfo, Ipv4Net};
use serde::Serialize;

use crate::prefixes::overlap;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Fine.
    Ok,
    /// Sharing may work, but something deserves a look.
    Warning,
    /// Sharing cannot work until this is fixed.
    Error,
}

/// One conclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check ("uplink", "lan", ...).
    pub check: &'static str,
    /// How bad.
    pub level: Level,
    /// What was found.
    pub message: String,
    /// What to do about it, when something is to be done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, message: String) -> Finding {
        Finding {
            check,
            level: Level::Ok,
            message,
            fix: None,
        }
    }

    fn bad(check: &'static str, level: Level, message: String, fix: String) -> Finding {
        Finding {
            check,
            level,
            message,
            fix: Some(fix),
        }
    }
}

/// The config file, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFact {
    /// Read and valid (`found`: false when the default file does not exist).
    Valid { path: String, found: bool },
    /// Unreadable or invalid.
    Invalid { path: String, error: String },
}

/// The uplink, as looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UplinkFact {
    /// Named in the settings, or the default route's interface.
    Found {
        chosen_by: &'static str,
        info: InterfaceInfo,
    },
    /// Named in the settings but not there.
    Missing { name: String, error: String },
    /// Not named, and no default route.
    NoDefaultRoute,
}

/// The LAN interface, as looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanFact {
    /// Not named anywhere.
    NotConfigured,
    /// Named but not there.
    Missing { name: String, error: String },
    /// There.
    Found(InterfaceInfo),
}

/// The daemon, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonFact {
    /// It answered; whether it is sharing.
    Answers { sharing: bool },
    /// Nothing listens.
    NotRunning,
    /// It is there but this user may not use it.
    Refused { who: String },
    /// Anything else.
    Failed(String),
}

/// What decides whether sharing can start: the uplink, the LAN and their addresses. The
/// daemon's first-run check (`crate::setup_check`) judges these alone, with the same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingFacts {
    pub uplink: UplinkFact,
    pub lan: LanFact,
    /// `lan_addr` from the settings.
    pub lan_addr: Option<Ipv4Net>,
    /// masq's adapter name.
    pub tun: String,
}

/// Everything `masq doctor` gathered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub config: ConfigFact,
    pub sharing: SharingFacts,
    /// The crash journal's path, if a journal is there.
    pub journal_left: Option<String>,
    pub daemon: DaemonFact,
}

/// LAN prefixes to suggest when the configured one collides with the uplink, in order.
const SUGGESTED_LANS: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(192, 168, 137, 1), 24),
    (Ipv4Addr::new(10, 42, 0, 1), 24),
    (Ipv4Addr::new(172, 30, 0, 1), 24),
];

/// Every finding, in the order a user would fix them.
pub fn diagnose(f: &Facts) -> Vec<Finding> {
    let mut out = vec![config(&f.config)];
    out.extend(sharing_findings(&f.sharing));
    out.push(daemon(&f.daemon));
    if let Some(j) = journal(f) {
        out.push(j);
    }
    out
}

/// The uplink, the LAN interface and whether their prefixes collide.
pub fn sharing_findings(f: &SharingFacts) -> Vec<Finding> {
    let mut out = vec![uplink(&f.uplink), lan(f)];
    out.extend(addresses(f));
    out
}

fn config(c: &ConfigFact) -> Finding {
    match c {
        ConfigFact::Valid { path, found: true } => {
            Finding::ok("config", format!("the config file {path} is valid"))
        }
        ConfigFact::Valid { path, found: false } => Finding::ok(
            "config",
            format!("no config file at {path}: the defaults apply"),
        ),
        ConfigFact::Invalid { path, error } => Finding::bad(
            "config",
            Level::Error,
            format!("the config file {path} cannot be used: {error}"),
            "fix the line named above; `masq config check` shows the effective settings once it reads".into(),
        ),
    }
}

fn uplink(u: &UplinkFact) -> Finding {
    match u {
        UplinkFact::Found { chosen_by, info } => match info.first_ipv4() {
            Some(addr) => Finding::ok(
                "uplink",
                format!("uplink {} ({chosen_by}) has the address {addr}", info.name),
            ),
            None => Finding::bad(
                "uplink",
                Level::Error,
                format!("uplink {} ({chosen_by}) has no IPv4 address", info.name),
                "connect it to the network (or wait for its DHCP lease), or name another uplink with `uplink =` in the config file".into(),
            ),
        },
        UplinkFact::Missing { name, error } => Finding::bad(
            "uplink",
            Level::Error,
            format!("the uplink {name} named in the settings is not there ({error})"),
            "name an existing interface with `uplink =` (or leave it out to follow the default route)".into(),
        ),
        UplinkFact::NoDefaultRoute => Finding::bad(
            "uplink",
            Level::Error,
            "no default route, so there is no internet connection to share".into(),
            "connect this computer to the internet first, or name the uplink with `uplink =` in the config file".into(),
        ),
    }
}

fn lan(f: &SharingFacts) -> Finding {
    let uplink_name = match &f.uplink {
        UplinkFact::Found { info, .. } => Some(info.name.as_str()),
        _ => None,
    };
    match &f.lan {
        LanFact::NotConfigured => Finding::bad(
            "lan",
            Level::Error,
            "no LAN interface is named: masq does not know whom to share with".into(),
            "set `lan = \"IFACE\"` in the config file (or pass --lan IFACE to `masq up`)".into(),
        ),
        LanFact::Missing { name, error } => Finding::bad(
            "lan",
            Level::Error,
            format!("the LAN interface {name} is not there ({error})"),
            "plug in or enable the adapter, or name an existing interface with `lan =`".into(),
        ),
        LanFact::Found(info) if Some(info.name.as_str()) == uplink_name => Finding::bad(
            "lan",
            Level::Error,
            format!("{} is both the uplink and the LAN", info.name),
            "share with a second interface: the LAN must be another port or adapter".into(),
        ),
        LanFact::Found(info) if info.name == f.tun => Finding::bad(
            "lan",
            Level::Error,
            format!("{} is masq's own adapter, not a LAN", info.name),
            "name the physical interface the LAN hosts are connected to".into(),
        ),
        LanFact::Found(info) => Finding::ok("lan", format!("LAN interface {}", info.name)),
    }
}

/// The LAN's prefix against the uplink's; `None` when either interface is unknown.
fn addresses(f: &SharingFacts) -> Option<Finding> {
    let (UplinkFact::Found { info: up, .. }, LanFact::Found(lan)) = (&f.uplink, &f.lan) else {
        return None;
    };
    let lan_net = f
        .lan_addr
        .or_else(|| lan.ipv4.first().and_then(|&(a, p)| Ipv4Net::new(a, p).ok()));
    let Some(lan_net) = lan_net else {
        return Some(Finding::bad(
            "addresses",
            Level::Error,
            format!(
                "{} has no IPv4 address and none is configured for it",
                lan.name
            ),
            "set `lan_addr = \"192.168.137.1/24\"` in the config file".into(),
        ));
    };
    let up_nets: Vec<Ipv4Net> = up
        .ipv4
        .iter()
        .filter_map(|&(a, p)| Ipv4Net::new(a, p).ok())
        .collect();
    match up_nets.iter().find(|u| overlap(**u, lan_net)) {
        Some(u) => {
            let free = SUGGESTED_LANS
                .iter()
                .filter_map(|&(a, p)| Ipv4Net::new(a, p).ok())
                .find(|c| !up_nets.iter().any(|u| overlap(*u, *c)));
            let fix = match free {
                Some(c) => format!("give the LAN a prefix of its own: `lan_addr = \"{c}\"`"),
                None => "give the LAN a prefix that the uplink's network does not use".into(),
            };
            Some(Finding::bad(
                "addresses",
                Level::Error,
                format!(
                    "the LAN {} and the uplink's network {} overlap: hosts on one side could not be told from the other",
                    lan_net.trunc(),
                    u.trunc()
                ),
                fix,
            ))
        }
        None => Some(Finding::ok(
            "addresses",
            format!(
                "the LAN {} does not overlap the uplink's network",
                lan_net.trunc()
            ),
        )),
    }
}

fn daemon(d: &DaemonFact) -> Finding {
    match d {
        DaemonFact::Answers { sharing: true } => {
            Finding::ok("daemon", "the daemon answers and is sharing".into())
        }
        DaemonFact::Answers { sharing: false } => Finding::ok(
            "daemon",
            "the daemon answers; sharing is off (`masq start` turns it on)".into(),
        ),
        DaemonFact::NotRunning => Finding::ok(
            "daemon",
            "no daemon runs (fine for `masq up`; the service starts one)".into(),
        ),
        DaemonFact::Refused { who } => Finding::bad(
            "daemon",
            Level::Warning,
            "the daemon runs, but this user may not use it".into(),
            who.clone(),
        ),
        DaemonFact::Failed(e) => Finding::bad(
            "daemon",
            Level::Warning,
            format!("the daemon could not be asked: {e}"),
            "look at the service's log; restarting the service usually clears it".into(),
        ),
    }
}

fn journal(f: &Facts) -> Option<Finding> {
    let path = f.journal_left.as_ref()?;
    if matches!(f.daemon, DaemonFact::Answers { sharing: true }) {
        return None;
    }
    Some(Finding::bad(
        "journal",
        Level::Warning,
        format!("a masq that did not stop cleanly left its changes listed in {path}"),
        "`sudo masq down` undoes them (the next start does too)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, v4: &[(&str, u8)]) -> InterfaceInfo {
        InterfaceInfo {
            name: name.into(),
            index: 2,
            ipv4: v4
                .iter()
                .map(|(a, p)| (a.parse().expect("address"), *p))
                .collect(),
            ipv6: Vec::new(),
            mtu: 1500,
        }
    }

    fn healthy() -> Facts {
        Facts {
            config: ConfigFact::Valid {
                path: "/etc/masq/masq.toml".into(),
                found: true,
            },
            sharing: SharingFacts {
                uplink: UplinkFact::Found {
                    chosen_by: "default route",
                    info: iface("wlan0", &[("192.168.1.20", 24)]),
                },
                lan: LanFact::Found(iface("eth1", &[])),
                lan_addr: Some("192.168.137.1/24".parse().expect("net")),
                tun: "masq0".into(),
            },
            journal_left: None,
            daemon: DaemonFact::NotRunning,
        }
    }

    fn worst(f: &Facts) -> Level {
        diagnose(f)
            .iter()
            .map(|x| x.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    fn finding(f: &Facts, check: &str) -> Finding {
        diagnose(f)
            .into_iter()
            .find(|x| x.check == check)
            .expect("the check ran")
    }

    #[test]
    fn a_healthy_setup_has_no_warnings() {
        assert_eq!(worst(&healthy()), Level::Ok, "{:#?}", diagnose(&healthy()));
    }

    #[test]
    fn a_lan_overlapping_the_uplink_is_an_error_with_a_free_prefix_suggested() {
        let mut f = healthy();
        f.sharing.lan_addr = Some("192.168.1.1/24".parse().expect("net"));
        let a = finding(&f, "addresses");
        assert_eq!(a.level, Level::Error);
        assert!(a.message.contains("192.168.1.0/24"), "{a:?}");
        assert_eq!(
            a.fix.as_deref(),
            Some("give the LAN a prefix of its own: `lan_addr = \"192.168.137.1/24\"`")
        );
        // An uplink on 192.168.137.0/24 itself gets the next suggestion.
        f.sharing.uplink = UplinkFact::Found {
            chosen_by: "default route",
            info: iface("wlan0", &[("192.168.137.50", 24)]),
        };
        f.sharing.lan_addr = Some("192.168.137.1/24".parse().expect("net"));
        let a = finding(&f, "addresses");
        assert!(
            a.fix.as_deref().is_some_and(|x| x.contains("10.42.0.1/24")),
            "{a:?}"
        );
        // A wider uplink prefix that contains the LAN counts too.
        f.sharing.uplink = UplinkFact::Found {
            chosen_by: "default route",
            info: iface("wlan0", &[("10.0.0.5", 8)]),
        };
        f.sharing.lan_addr = Some("10.42.0.1/24".parse().expect("net"));
        assert_eq!(finding(&f, "addresses").level, Level::Error);
    }

    #[test]
    fn missing_pieces_are_errors_that_say_what_to_do() {
        let mut f = healthy();
        f.sharing.uplink = UplinkFact::NoDefaultRoute;
        assert_eq!(finding(&f, "uplink").level, Level::Error);
        assert!(
            !diagnose(&f).iter().any(|x| x.check == "addresses"),
            "nothing to compare"
        );
        let mut f = healthy();
        f.sharing.lan = LanFact::NotConfigured;
        let l = finding(&f, "lan");
        assert_eq!(l.level, Level::Error);
        assert!(l.fix.as_deref().is_some_and(|x| x.contains("lan =")));
        let mut f = healthy();
        f.sharing.lan = LanFact::Found(iface("wlan0", &[]));
        assert!(
            finding(&f, "lan")
                .message
                .contains("both the uplink and the LAN")
        );
        let mut f = healthy();
        f.sharing.lan_addr = None;
        assert_eq!(
            finding(&f, "addresses").level,
            Level::Error,
            "no LAN address at all"
        );
        let mut f = healthy();
        f.sharing.uplink = UplinkFact::Found {
            chosen_by: "settings",
            info: iface("wlan0", &[]),
        };
        assert!(finding(&f, "uplink").message.contains("no IPv4 address"));
    }

    #[test]
    fn a_left_journal_is_a_warning_unless_the_daemon_shares_with_it() {
        let mut f = healthy();
        f.journal_left = Some("/run/masq/state.json".into());
        assert_eq!(finding(&f, "journal").level, Level::Warning);
        f.daemon = DaemonFact::Answers { sharing: true };
        assert!(!diagnose(&f).iter().any(|x| x.check == "journal"));
    }

    #[test]
    fn json_names_levels_plainly() {
        let json = serde_json::to_value(diagnose(&healthy())).expect("json");
        assert_eq!(json[0]["level"], "ok");
        assert!(json[0].get("fix").is_none());
    }
}
