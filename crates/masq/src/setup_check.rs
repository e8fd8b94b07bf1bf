//! The daemon's answer to `setup_check`, the first-run screen's question: which interfaces
//! are there and what is each, which uplink would be shared and why, and for the LAN the user
//! points at, which gateway address and DHCP range sharing would use and what stands in the
//! way. It gathers from the OS here ([`gather`]) and decides in [`report`], which is pure and
//! tested; the uplink, LAN and address rules are `masq doctor`'s, so both say the same.

use std::net::Ipv4Addr;

use masq_control::{
    FindingLevel, ForeignDhcpServer, InterfaceKind as ApiKind, InterfaceView, LanCidr, LanPlan,
    Settings, SetupFinding, SetupReport, UplinkChoice,
};
use masq_platform::{InterfaceKind, InterfaceSummary, Ipv4Net};
use masq_services::dhcp::pool::Pool;

use crate::doctor::{self, LanFact, Level, SharingFacts, UplinkFact};
use crate::prefixes::overlap;

/// LAN prefixes masq offers when the LAN interface has no address, in order (the first is
/// the one Windows' Internet Connection Sharing uses, which users may know).
const FREE_LANS: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(192, 168, 137, 1), 24),
    (Ipv4Addr::new(10, 42, 0, 1), 24),
    (Ipv4Addr::new(172, 30, 0, 1), 24),
];

/// What the OS told, at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Gathered {
    /// Every interface with its kind.
    pub interfaces: Vec<InterfaceSummary>,
    /// The uplink's name and why it is the one; `None` without settings or default route.
    pub uplink: Option<(String, &'static str)>,
    /// The OS's own connection sharing, when it runs a DHCP server of its own.
    pub os_sharing: Option<&'static str>,
}

/// Reads interfaces, the default route and the OS's own sharing.
pub(crate) async fn gather(settings: &Settings) -> Result<Gathered, String> {
    let interfaces = masq_platform::list_interfaces().map_err(|e| e.to_string())?;
    let uplink = match &settings.uplink {
        Some(name) => Some((name.clone(), "it is named in the settings")),
        None => masq_platform::default_uplink()
            .await
            .ok()
            .flatten()
            .map(|name| (name, "it carries the default route")),
    };
    Ok(Gathered {
        interfaces,
        uplink,
        os_sharing: masq_platform::os_connection_sharing(),
    })
}

/// What the check is asked about, and what the daemon knows besides the OS.
#[derive(Debug, Clone, Default)]
pub(crate) struct Question<'a> {
    /// The LAN the user points at.
    pub lan: Option<&'a str>,
    /// A gateway address the user typed for it.
    pub lan_addr: Option<&'a str>,
    /// Other DHCP servers seen on `lan` while masq shared with it.
    pub foreign_dhcp: &'a [ForeignDhcpServer],
}

/// The answer; an error names what in the question was malformed.
pub(crate) fn report(
    g: &Gathered,
    settings: &Settings,
    q: &Question<'_>,
) -> Result<SetupReport, String> {
    let uplink_name = g.uplink.as_ref().map(|(n, _)| n.as_str());
    let interfaces = g
        .interfaces
        .iter()
        .map(|i| view(i, uplink_name, &settings.tun))
        .collect::<Vec<_>>();
    let uplink = g.uplink.as_ref().map(|(name, reason)| UplinkChoice {
        name: name.clone(),
        reason: (*reason).to_owned(),
    });
    let plan = match q.lan {
        None => None,
        Some(lan) => Some(plan(g, settings, q, lan, &interfaces)?),
    };
    Ok(SetupReport {
        interfaces,
        uplink,
        plan,
    })
}

fn view(i: &InterfaceSummary, uplink: Option<&str>, tun: &str) -> InterfaceView {
    let name = &i.info.name;
    let not_a_lan = if Some(name.as_str()) == uplink {
        Some(format!(
            "{name} is the uplink: the LAN must be another interface"
        ))
    } else if name == tun {
        Some(format!("{name} is masq's own adapter"))
    } else {
        match i.kind {
            InterfaceKind::Loopback => Some(format!("{name} is this computer talking to itself")),
            InterfaceKind::Vpn => Some(format!(
                "{name} is a tunnel (VPN): devices cannot join it like a network"
            )),
            _ => None,
        }
    };
    InterfaceView {
        name: name.clone(),
        kind: api_kind(i.kind),
        description: i.description.clone(),
        running: i.running,
        addresses: i
            .info
            .ipv4
            .iter()
            .map(|(a, p)| format!("{a}/{p}"))
            .chain(i.info.ipv6.iter().map(|(a, p)| format!("{a}/{p}")))
            .collect(),
        not_a_lan,
    }
}

fn api_kind(k: InterfaceKind) -> ApiKind {
    match k {
        InterfaceKind::Ethernet => ApiKind::Ethernet,
        InterfaceKind::WiFi => ApiKind::Wifi,
        InterfaceKind::UsbTether => ApiKind::UsbTether,
        InterfaceKind::Vpn => ApiKind::Vpn,
        InterfaceKind::Virtual => ApiKind::Virtual,
        InterfaceKind::Loopback => ApiKind::Loopback,
        InterfaceKind::Other => ApiKind::Other,
    }
}

fn plan(
    g: &Gathered,
    settings: &Settings,
    q: &Question<'_>,
    lan: &str,
    views: &[InterfaceView],
) -> Result<LanPlan, String> {
    let found = g.interfaces.iter().find(|i| i.info.name == lan);
    let uplink_info = g
        .uplink
        .as_ref()
        .and_then(|(name, _)| g.interfaces.iter().find(|i| &i.info.name == name));
    let uplink_nets: Vec<Ipv4Net> = uplink_info
        .map(|u| {
            u.info
                .ipv4
                .iter()
                .filter_map(|&(a, p)| Ipv4Net::new(a, p).ok())
                .collect()
        })
        .unwrap_or_default();
    // The gateway address: typed by the user, else the settings' for this LAN, else the
    // interface's own (what sharing would use), else a prefix the uplink does not use.
    let typed = match q.lan_addr {
        Some(text) => Some((
            text.parse::<LanCidr>()
                .map_err(|e| format!("lan_addr {text:?}: {e}"))?,
            "as you typed it".to_owned(),
        )),
        None => None,
    };
    let configured = (settings.lan.as_deref() == Some(lan))
        .then(|| settings.lan_cidr())
        .flatten()
        .map(|c| (c, "from the settings".to_owned()));
    let own = found
        .and_then(|i| i.info.ipv4.first())
        .and_then(|&(a, p)| LanCidr::new(a, p).ok())
        .map(|c| (c, format!("{lan}'s own address")));
    let (gateway, gateway_source) = typed
        .or(configured)
        .or(own)
        .or_else(|| {
            FREE_LANS
                .iter()
                .filter_map(|&(a, p)| LanCidr::new(a, p).ok())
                .find(|c| !uplink_nets.iter().any(|u| overlap(*u, net_of(*c))))
                .map(|c| {
                    (
                        c,
                        format!(
                            "{lan} has no IPv4 address, so masq picked a prefix the uplink does not use"
                        ),
                    )
                })
        })
        .ok_or_else(|| "no free LAN prefix: type a gateway address".to_owned())?;

    let facts = SharingFacts {
        uplink: match (&g.uplink, uplink_info) {
            (Some((_, reason)), Some(u)) => UplinkFact::Found {
                chosen_by: reason,
                info: u.info.clone(),
            },
            (Some((name, _)), None) => UplinkFact::Missing {
                name: name.clone(),
                error: "no such interface".into(),
            },
            (None, _) => UplinkFact::NoDefaultRoute,
        },
        lan: match found {
            Some(i) => LanFact::Found(i.info.clone()),
            None => LanFact::Missing {
                name: lan.to_owned(),
                error: "no such interface".into(),
            },
        },
        lan_addr: Some(net_of(gateway)),
        tun: settings.tun.clone(),
    };
    let mut findings: Vec<SetupFinding> = doctor::sharing_findings(&facts)
        .into_iter()
        .map(|f| SetupFinding {
            level: level(f.level),
            check: f.check.to_owned(),
            message: f.message,
            fix: f.fix,
        })
        .collect();
    if let Some(reason) = views
        .iter()
        .find(|v| v.name == lan)
        .and_then(|v| v.not_a_lan.clone())
        && !findings
            .iter()
            .any(|f| f.check == "lan" && f.level == FindingLevel::Error)
    {
        findings.push(bad(
            "lan",
            FindingLevel::Error,
            reason,
            "pick the interface your devices are connected to",
        ));
    }
    if let Some(i) = found
        && !i.running
    {
        findings.push(bad(
            "link",
            FindingLevel::Warning,
            format!("{lan} has no link now (no cable, or the other side is off)"),
            "sharing can start anyway; devices appear once the link is up",
        ));
    }
    if let Some(who) = g.os_sharing {
        findings.push(bad(
            "os_sharing",
            FindingLevel::Warning,
            format!(
                "{who} is running: if it shares this LAN too, two DHCP servers hand out conflicting addresses"
            ),
            "turn off the system's own connection sharing for this adapter (Windows: Mobile hotspot, and the Sharing tab of the uplink's properties; macOS: System Settings → General → Sharing → Internet Sharing)",
        ));
    }
    for f in q.foreign_dhcp {
        findings.push(bad(
            "dhcp",
            FindingLevel::Warning,
            format!(
                "another DHCP server ({}) answers on {lan}: devices that take its address ({}) bypass masq",
                f.server_id, f.offered
            ),
            "turn that server off, or switch masq's off with dhcp.enabled = false",
        ));
    }
    let dhcp_range = if settings.dhcp.enabled {
        match Pool::new(gateway, settings.dhcp.pool_start, settings.dhcp.pool_end) {
            Ok(pool) => {
                let pool = pool.without(&masq_platform::lan_addresses_in_use(net_of(gateway)));
                free_range(&pool).map(|(a, b)| (a.to_string(), b.to_string()))
            }
            Err(e) => {
                findings.push(bad(
                    "dhcp",
                    FindingLevel::Error,
                    e.to_string(),
                    "change dhcp.pool_start and dhcp.pool_end in Settings, or leave them empty",
                ));
                None
            }
        }
    } else {
        None
    };
    findings.sort_by_key(|f| std::cmp::Reverse(f.level));
    let ready = findings.iter().all(|f| f.level != FindingLevel::Error);
    Ok(LanPlan {
        lan: lan.to_owned(),
        gateway: gateway.to_string(),
        gateway_source,
        dhcp_range,
        findings,
        ready,
    })
}

fn net_of(c: LanCidr) -> Ipv4Net {
    Ipv4Net::new(c.addr(), c.prefix_len()).expect("a LanCidr's prefix length is valid")
}

/// The first and last address the pool really hands out (the gateway and masq's own
/// addresses skipped).
fn free_range(pool: &Pool) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let (start, end) = pool.range();
    let first = (u32::from(start)..=u32::from(end))
        .map(Ipv4Addr::from)
        .find(|a| pool.contains(*a))?;
    let last = (u32::from(start)..=u32::from(end))
        .rev()
        .map(Ipv4Addr::from)
        .find(|a| pool.contains(*a))?;
    Some((first, last))
}

fn level(l: Level) -> FindingLevel {
    match l {
        Level::Ok => FindingLevel::Ok,
        Level::Warning => FindingLevel::Warning,
        Level::Error => FindingLevel::Error,
    }
}

fn bad(check: &str, level: FindingLevel, message: String, fix: &str) -> SetupFinding {
    SetupFinding {
        level,
        check: check.to_owned(),
        message,
        fix: Some(fix.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use masq_platform::InterfaceInfo;

    use super::*;

    fn iface(
        name: &str,
        kind: InterfaceKind,
        v4: &[(&str, u8)],
        running: bool,
    ) -> InterfaceSummary {
        InterfaceSummary {
            info: InterfaceInfo {
                name: name.into(),
                index: 1,
                ipv4: v4.iter().map(|(a, p)| (a.parse().unwrap(), *p)).collect(),
                ipv6: Vec::new(),
                mtu: 1500,
            },
            kind,
            running,
            description: None,
        }
    }

    fn laptop() -> Gathered {
        Gathered {
            interfaces: vec![
                iface("lo", InterfaceKind::Loopback, &[("127.0.0.1", 8)], true),
                iface("wlan0", InterfaceKind::WiFi, &[("192.168.1.20", 24)], true),
                iface("eth1", InterfaceKind::Ethernet, &[], true),
                iface("wg0", InterfaceKind::Vpn, &[("10.8.0.2", 24)], true),
                iface(
                    "usb0",
                    InterfaceKind::UsbTether,
                    &[("192.168.137.50", 24)],
                    false,
                ),
            ],
            uplink: Some(("wlan0".into(), "it carries the default route")),
            os_sharing: None,
        }
    }

    fn ask<'a>(lan: &'a str) -> Question<'a> {
        Question {
            lan: Some(lan),
            ..Question::default()
        }
    }

    fn plan_for(g: &Gathered, q: &Question<'_>) -> LanPlan {
        report(g, &Settings::default(), q).unwrap().plan.unwrap()
    }

    #[test]
    fn lists_every_interface_and_says_which_cannot_be_the_lan() {
        let r = report(&laptop(), &Settings::default(), &Question::default()).unwrap();
        assert!(r.plan.is_none());
        assert_eq!(
            r.uplink,
            Some(UplinkChoice {
                name: "wlan0".into(),
                reason: "it carries the default route".into()
            })
        );
        let not: Vec<_> = r
            .interfaces
            .iter()
            .map(|v| (v.name.as_str(), v.kind, v.not_a_lan.is_some()))
            .collect();
        assert_eq!(
            not,
            vec![
                ("lo", ApiKind::Loopback, true),
                ("wlan0", ApiKind::Wifi, true),
                ("eth1", ApiKind::Ethernet, false),
                ("wg0", ApiKind::Vpn, true),
                ("usb0", ApiKind::UsbTether, false),
            ]
        );
        assert_eq!(r.interfaces[1].addresses, vec!["192.168.1.20/24"]);
    }

    #[test]
    fn an_unaddressed_lan_gets_a_free_prefix_and_the_dhcp_range_skips_masqs_addresses() {
        let p = plan_for(&laptop(), &ask("eth1"));
        assert_eq!(p.gateway, "192.168.137.1/24");
        assert!(p.gateway_source.contains("picked"), "{}", p.gateway_source);
        // 192.168.137.254 is the adapter's on Windows; on Linux nothing else is taken.
        let (first, last) = p.dhcp_range.clone().unwrap();
        assert_eq!(first, "192.168.137.10");
        assert!(
            last == "192.168.137.254" || last == "192.168.137.253",
            "{last}"
        );
        assert!(p.ready, "{:#?}", p.findings);
        assert!(p.findings.iter().all(|f| f.level == FindingLevel::Ok));
    }

    #[test]
    fn the_free_prefix_avoids_the_uplinks_network() {
        let mut g = laptop();
        g.interfaces[1] = iface(
            "wlan0",
            InterfaceKind::WiFi,
            &[("192.168.137.40", 24)],
            true,
        );
        assert_eq!(plan_for(&g, &ask("eth1")).gateway, "10.42.0.1/24");
    }

    #[test]
    fn conflicts_are_errors_or_warnings_worst_first() {
        // usb0's own address collides with nothing, but it has no link.
        let p = plan_for(&laptop(), &ask("usb0"));
        assert_eq!(p.gateway, "192.168.137.50/24");
        assert_eq!(p.findings[0].check, "link");
        assert_eq!(p.findings[0].level, FindingLevel::Warning);
        assert!(p.ready);

        // A typed address in the uplink's network.
        let q = Question {
            lan_addr: Some("192.168.1.1/24"),
            ..ask("eth1")
        };
        let p = plan_for(&laptop(), &q);
        assert!(!p.ready);
        assert_eq!(p.findings[0].check, "addresses");
        assert!(
            p.findings[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("192.168.137.1/24")
        );

        // The uplink itself, a tunnel, a name that is not there.
        for (lan, words) in [
            ("wlan0", "both the uplink and the LAN"),
            ("wg0", "tunnel"),
            ("eth9", "not there"),
        ] {
            let p = plan_for(&laptop(), &ask(lan));
            assert!(!p.ready, "{lan}");
            assert!(
                p.findings
                    .iter()
                    .any(|f| f.level == FindingLevel::Error && f.message.contains(words)),
                "{lan}: {:#?}",
                p.findings
            );
        }

        // The OS's own sharing and a foreign DHCP server seen while sharing.
        let mut g = laptop();
        g.os_sharing = Some("Internet Sharing's DHCP server (bootpd)");
        let foreign = [ForeignDhcpServer {
            server_id: Ipv4Addr::new(192, 168, 137, 2),
            offered: Ipv4Addr::new(192, 168, 137, 77),
            last_seen_s: 3.0,
        }];
        let q = Question {
            foreign_dhcp: &foreign,
            ..ask("eth1")
        };
        let p = plan_for(&g, &q);
        let checks: Vec<_> = p.findings.iter().map(|f| f.check.as_str()).collect();
        assert!(
            checks.contains(&"os_sharing") && checks.contains(&"dhcp"),
            "{checks:?}"
        );
        assert!(p.ready, "warnings do not stop sharing");
    }

    #[test]
    fn no_uplink_is_an_error_and_bad_input_is_refused() {
        let mut g = laptop();
        g.uplink = None;
        let p = plan_for(&g, &ask("eth1"));
        assert!(!p.ready);
        assert!(p.findings[0].message.contains("no default route"));
        let q = Question {
            lan_addr: Some("192.168.137.1"),
            ..ask("eth1")
        };
        let e = report(&laptop(), &Settings::default(), &q).unwrap_err();
        assert!(
            e.contains("lan_addr") && e.contains("192.168.137.1/24"),
            "{e}"
        );
    }

    #[test]
    fn a_pool_outside_the_lan_is_an_error_and_dhcp_off_has_no_range() {
        let mut s = Settings::default();
        s.dhcp.pool_start = Some(Ipv4Addr::new(10, 0, 0, 5));
        let p = report(&laptop(), &s, &ask("eth1")).unwrap().plan.unwrap();
        assert!(!p.ready);
        assert!(
            p.findings
                .iter()
                .any(|f| f.check == "dhcp" && f.level == FindingLevel::Error)
        );
        let mut s = Settings::default();
        s.dhcp.enabled = false;
        let p = report(&laptop(), &s, &ask("eth1")).unwrap().plan.unwrap();
        assert_eq!(p.dhcp_range, None);
    }
}
