//! The demo network: five namespaces in a row, and the `ip`/`sysctl` commands that build it.
//!
//! ```text
//! [lan]  lan0 192.168.137.10/24, default via 192.168.137.1          the hidden host
//! [gw]   gw-lan 192.168.137.1/24  gw-up 198.51.100.2/24 → r1        masq runs here
//! [r1]   r1-a 198.51.100.1/24     r1-b 100.64.0.1/30                router, 203.0.113.0/24 via r2
//! [r2]   r2-a 100.64.0.2/30       r2-b 203.0.113.1/24               router, 198.51.100.0/24 via r1
//! [inet] inet0 203.0.113.10/24, default via 203.0.113.1             the internet server
//! ```
//!
//! Namespace names carry a per-run prefix (`mqd<pid>-`) so a leftover of an earlier run never
//! collides; interface names live inside those namespaces and need none. Nothing outside the
//! gateway routes 192.168.137.0/24, so only masquerading lets the hidden host out. The
//! gateway gets no forwarding from the demo: masq enables what it needs on its LAN path.

/// The hidden host's address.
pub const LAN_HOST: &str = "192.168.137.10";
/// The gateway's LAN address and prefix, as passed to `masq up --lan-addr`.
pub const GATEWAY_LAN_CIDR: &str = "192.168.137.1/24";
/// The gateway's LAN address.
pub const GATEWAY_LAN: &str = "192.168.137.1";
/// The gateway's uplink address: what the internet sees.
pub const GATEWAY_UP: &str = "198.51.100.2";
/// The internet server.
pub const SERVER: &str = "203.0.113.10";
/// The gateway's uplink interface (inside the gw namespace).
pub const UPLINK_IF: &str = "gw-up";
/// The gateway's LAN interface (inside the gw namespace).
pub const LAN_IF: &str = "gw-lan";
/// The TUN device masq creates (inside the gw namespace).
pub const TUN_IF: &str = "masq0";

/// The five namespace names of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The hidden host.
    pub lan: String,
    /// The gateway, where masq runs.
    pub gw: String,
    /// First internet router.
    pub r1: String,
    /// Second internet router.
    pub r2: String,
    /// The internet server.
    pub inet: String,
}

impl Names {
    /// Names for this process: `mqd<pid>-lan`, `mqd<pid>-gw`, …
    pub fn for_pid(pid: u32) -> Self {
        let p = format!("mqd{pid}");
        Names {
            lan: format!("{p}-lan"),
            gw: format!("{p}-gw"),
            r1: format!("{p}-r1"),
            r2: format!("{p}-r2"),
            inet: format!("{p}-inet"),
        }
    }

    /// All five, in path order (LAN first).
    pub fn all(&self) -> [&str; 5] {
        [&self.lan, &self.gw, &self.r1, &self.r2, &self.inet]
    }
}

/// Every `ip …` argument list that builds the network, in order (namespaces first).
pub fn build_commands(n: &Names) -> Vec<Vec<String>> {
    let mut cmds: Vec<Vec<String>> = Vec::new();
    let mut ip = |args: &[&str]| cmds.push(args.iter().map(|s| (*s).to_owned()).collect());
    for ns in n.all() {
        ip(&["netns", "add", ns]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }
    // Each veth is created with both ends already in their namespaces, so the names never
    // appear in (or collide with) the root namespace.
    ip(&[
        "-n", &n.lan, "link", "add", "lan0", "type", "veth", "peer", "name", LAN_IF, "netns", &n.gw,
    ]);
    ip(&[
        "-n", &n.gw, "link", "add", UPLINK_IF, "type", "veth", "peer", "name", "r1-a", "netns",
        &n.r1,
    ]);
    ip(&[
        "-n", &n.r1, "link", "add", "r1-b", "type", "veth", "peer", "name", "r2-a", "netns", &n.r2,
    ]);
    ip(&[
        "-n", &n.r2, "link", "add", "r2-b", "type", "veth", "peer", "name", "inet0", "netns",
        &n.inet,
    ]);
    let addrs: [(&str, &str, &str); 8] = [
        (&n.lan, "lan0", "192.168.137.10/24"),
        (&n.gw, LAN_IF, GATEWAY_LAN_CIDR),
        (&n.gw, UPLINK_IF, "198.51.100.2/24"),
        (&n.r1, "r1-a", "198.51.100.1/24"),
        (&n.r1, "r1-b", "100.64.0.1/30"),
        (&n.r2, "r2-a", "100.64.0.2/30"),
        (&n.r2, "r2-b", "203.0.113.1/24"),
        (&n.inet, "inet0", "203.0.113.10/24"),
    ];
    for (ns, dev, cidr) in addrs {
        ip(&["-n", ns, "addr", "add", cidr, "dev", dev]);
        ip(&["-n", ns, "link", "set", dev, "up"]);
    }
    ip(&["-n", &n.lan, "route", "add", "default", "via", GATEWAY_LAN]);
    ip(&[
        "-n",
        &n.gw,
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
    ]);
    ip(&[
        "-n",
        &n.r1,
        "route",
        "add",
        "203.0.113.0/24",
        "via",
        "100.64.0.2",
    ]);
    ip(&[
        "-n",
        &n.r2,
        "route",
        "add",
        "198.51.100.0/24",
        "via",
        "100.64.0.1",
    ]);
    ip(&[
        "-n",
        &n.inet,
        "route",
        "add",
        "default",
        "via",
        "203.0.113.1",
    ]);
    cmds
}

/// `(namespace, sysctl assignment)` pairs applied after the links exist: the routers forward,
/// and every namespace allows unprivileged ICMP echo sockets (masq's ping relay uses them).
pub fn sysctls(n: &Names) -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = n
        .all()
        .iter()
        .map(|ns| ((*ns).to_owned(), "net.ipv4.ping_group_range=0 2147483647"))
        .collect();
    v.push((n.r1.clone(), "net.ipv4.ip_forward=1"));
    v.push((n.r2.clone(), "net.ipv4.ip_forward=1"));
    v
}

/// The `ip` argument lists that let the internet side route toward the hidden LAN through
/// the gateway (so the demo can show that the gateway still never forwards inward).
pub fn routes_toward_lan(n: &Names) -> Vec<Vec<String>> {
    [
        (&n.inet, "203.0.113.1"),
        (&n.r2, "100.64.0.1"),
        (&n.r1, GATEWAY_UP),
    ]
    .iter()
    .map(|(ns, via)| {
        ["-n", ns, "route", "add", "192.168.137.0/24", "via", via]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_run_prefix() {
        let n = Names::for_pid(4242);
        for ns in n.all() {
            assert!(ns.starts_with("mqd4242-"), "{ns}");
        }
        assert_eq!(n.gw, "mqd4242-gw");
    }

    #[test]
    fn commands_only_touch_our_namespaces() {
        let n = Names::for_pid(7);
        let ours: Vec<&str> = n.all().to_vec();
        let mut all = build_commands(&n);
        all.extend(routes_toward_lan(&n));
        for cmd in &all {
            // Every command either creates one of our namespaces or runs inside one (-n NS).
            let ns = match cmd.first().map(String::as_str) {
                Some("netns") => &cmd[2],
                Some("-n") => &cmd[1],
                other => panic!("command outside a namespace: {other:?} in {cmd:?}"),
            };
            assert!(ours.contains(&ns.as_str()), "{cmd:?}");
            // And a veth's peer lands in one of ours too.
            if let Some(i) = cmd.iter().position(|a| a == "peer") {
                assert!(ours.contains(&cmd[i + 4].as_str()), "{cmd:?}");
            }
        }
    }

    #[test]
    fn interface_names_fit_the_kernel_limit() {
        for cmd in build_commands(&Names::for_pid(u32::MAX)) {
            for (i, a) in cmd.iter().enumerate() {
                if i > 0
                    && (cmd[i - 1] == "add" && cmd.get(i + 1).is_some_and(|t| t == "type")
                        || cmd[i - 1] == "name")
                {
                    assert!(a.len() <= 15, "{a} in {cmd:?}");
                }
            }
        }
    }

    #[test]
    fn every_namespace_gets_its_lan_or_uplink_address() {
        let n = Names::for_pid(1);
        let cmds = build_commands(&n);
        for ns in n.all() {
            assert!(
                cmds.iter().any(|c| c[1] == ns && c[2] == "addr"),
                "{ns} has no address"
            );
        }
        assert!(cmds.iter().any(|c| c.join(" ") == format!("-n {} addr add 192.168.137.1/24 dev gw-lan", n.gw)));
    }

    #[test]
    fn only_routers_forward() {
        let n = Names::for_pid(1);
        let fwd: Vec<String> = sysctls(&n)
            .into_iter()
            .filter(|(_, s)| s.starts_with("net.ipv4.ip_forward"))
            .map(|(ns, _)| ns)
            .collect();
        assert_eq!(fwd, vec![n.r1.clone(), n.r2.clone()]);
    }
}
