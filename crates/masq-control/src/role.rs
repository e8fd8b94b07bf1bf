//! Who may do what through the control API.
//!
//! The daemon runs as root between two untrusted networks, and its control socket is shared
//! with other local users, so every request is weighed against the role of the process that
//! sent it. The role comes from the operating system (the peer's uid and groups on unix, the
//! pipe client's token on Windows), never from anything the client says:
//!
//! | role | who (unix) | who (Windows) | may |
//! |---|---|---|---|
//! | observer | members of the observer group | — | read: status, translations, inbound, clients, forwards, settings, subscriptions, the first-run check |
//! | operator | members of the control group | members of the control group | also start and stop sharing, manage port forwards, clear the inbound list, change client limits and whether inbound attempts are watched |
//! | administrator | root, or the user the daemon runs as | LocalSystem, or an elevated Administrator | also change every other setting: interfaces, addresses, DHCP, DNS, IPv6, port mapping, engine limits |
//!
//! File paths (`dhcp.lease_file`, `dns.resolv_conf`) are never changed through the API, by
//! anyone: they come from the config file, which only root can write.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::request::Request;
use crate::settings::Settings;

/// What a control client may do; ordered, so a higher role may do all a lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads state; changes nothing.
    Observer,
    /// Runs sharing day to day: start, stop, port forwards, client limits.
    Operator,
    /// Changes what sharing is: interfaces, addresses, services, limits of the engine.
    Administrator,
}

impl Role {
    /// The role's name as the API documentation and error messages spell it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Operator => "operator",
            Role::Administrator => "administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Request {
    /// The lowest role that may send this request at all; `set_settings` is weighed again
    /// by what it changes ([`Settings::role_to_change`]).
    pub fn required_role(&self) -> Role {
        match self {
            Request::Status
            | Request::Translations
            | Request::Inbound
            | Request::Subscribe { .. }
            | Request::GetSettings
            | Request::Clients
            | Request::Forwards
            // Reads what any local user can see with `ip addr`; applying it needs more.
            | Request::SetupCheck { .. } => Role::Observer,
            Request::SetSettings { .. }
            | Request::Start
            | Request::Stop
            | Request::ClearInbound
            | Request::AddForward { .. }
            | Request::UpdateForward { .. }
            | Request::RemoveForward { .. }
            | Request::EnableForward { .. }
            // Logs name files, interfaces and hosts: for those who run sharing.
            | Request::Logs { .. } => Role::Operator,
        }
    }
}

/// Why a request was refused for its sender's role; the message is meant for the user as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRefusal {
    /// What was asked, e.g. `start` or `set_settings (lan)`.
    pub action: String,
    /// The role it needs.
    pub needs: Role,
    /// The role the sender has.
    pub has: Role,
}

impl fmt::Display for RoleRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.needs {
            Role::Observer => "",
            Role::Operator => {
                " (ask an administrator to add you to masq's control group, then log in again)"
            }
            Role::Administrator => {
                " (run the command as root or an administrator, or edit masq's config file)"
            }
        };
        write!(
            f,
            "{} needs the {} role and you are an {}{how}",
            self.action, self.needs, self.has
        )
    }
}

/// Checks that `role` may send `request` at all.
pub fn check_request(request: &Request, role: Role) -> Result<(), RoleRefusal> {
    let needs = request.required_role();
    if role >= needs {
        Ok(())
    } else {
        Err(RoleRefusal {
            action: format!("`{}`", request.kind()),
            needs,
            has: role,
        })
    }
}

/// A setting the API never changes, whoever asks: it names a file the root daemon would read
/// or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFromApi {
    /// The key, as in the config file.
    pub key: &'static str,
}

impl fmt::Display for PathFromApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` names a file and can only be set in masq's config file, not through the control API",
            self.key
        )
    }
}

impl Settings {
    /// The role a change from `self` to `new` needs, and the first key that needs it.
    ///
    /// Operators may change client limits and whether inbound attempts are watched; any other
    /// change (interfaces, addresses, services, engine limits) needs an administrator. Port
    /// forwards are not changed by `set_settings` at all (the forward requests do it).
    pub fn role_to_change(&self, new: &Settings) -> (Role, Option<&'static str>) {
        let mut old = self.clone();
        let mut new = new.clone();
        old.forwards.clear();
        new.forwards.clear();
        if old == new {
            return (Role::Operator, None);
        }
        // What an operator may change, made equal; anything still different is an
        // administrator's change.
        old.engine.client_limits = new.engine.client_limits.clone();
        old.observe_inbound = new.observe_inbound;
        if old == new {
            return (Role::Operator, None);
        }
        (Role::Administrator, first_difference(&old, &new))
    }

    /// Refuses a change to a setting that names a file.
    pub fn check_no_path_change(&self, new: &Settings) -> Result<(), PathFromApi> {
        if self.dhcp.lease_file != new.dhcp.lease_file {
            return Err(PathFromApi {
                key: "dhcp.lease_file",
            });
        }
        if self.dns.resolv_conf != new.dns.resolv_conf {
            return Err(PathFromApi {
                key: "dns.resolv_conf",
            });
        }
        Ok(())
    }
}

/// The first top-level key (or engine section) that differs, to name it in a refusal.
fn first_difference(a: &Settings, b: &Settings) -> Option<&'static str> {
    let Settings {
        uplink,
        lan,
        lan_addr,
        tun,
        observe_inbound,
        engine,
        dhcp,
        dns,
        ipv6,
        port_mapping,
        forwards: _,
    } = a;
    [
        ("uplink", *uplink != b.uplink),
        ("lan", *lan != b.lan),
        ("lan_addr", *lan_addr != b.lan_addr),
        ("tun", *tun != b.tun),
        ("observe_inbound", *observe_inbound != b.observe_inbound),
        ("engine", *engine != b.engine),
        ("dhcp", *dhcp != b.dhcp),
        ("dns", *dns != b.dns),
        ("ipv6", *ipv6 != b.ipv6),
        ("port_mapping", *port_mapping != b.port_mapping),
    ]
    .into_iter()
    .find_map(|(key, differs)| differs.then_some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Observer < Role::Operator && Role::Operator < Role::Administrator);
    }

    #[test]
    fn reads_are_for_observers_and_changes_for_operators() {
        assert!(check_request(&Request::Status, Role::Observer).is_ok());
        assert!(check_request(&Request::GetSettings, Role::Observer).is_ok());
        let refusal = check_request(&Request::Start, Role::Observer).unwrap_err();
        assert_eq!(refusal.needs, Role::Operator);
        let text = refusal.to_string();
        assert!(
            text.contains("`start` needs the operator role") && text.contains("control group"),
            "{text}"
        );
        assert!(check_request(&Request::Start, Role::Operator).is_ok());
        assert!(check_request(&Request::Stop, Role::Administrator).is_ok());
    }

    #[test]
    fn client_limits_are_an_operators_change_interfaces_are_not() {
        let old = Settings::default();
        assert_eq!(old.role_to_change(&old), (Role::Operator, None));

        let mut limits = old.clone();
        limits.observe_inbound = !limits.observe_inbound;
        assert_eq!(old.role_to_change(&limits).0, Role::Operator);

        for (key, change) in [
            (
                "lan",
                (|s: &mut Settings| s.lan = Some("eth1".into())) as fn(&mut Settings),
            ),
            ("uplink", |s| s.uplink = Some("eth0".into())),
            ("lan_addr", |s| s.lan_addr = Some("10.0.0.1/24".into())),
            ("dhcp", |s| s.dhcp.enabled = false),
            ("port_mapping", |s| s.port_mapping.enabled = true),
            ("engine", |s| {
                s.engine.udp.mapping_timeout += std::time::Duration::from_secs(1)
            }),
        ] {
            let mut new = old.clone();
            change(&mut new);
            assert_eq!(
                old.role_to_change(&new),
                (Role::Administrator, Some(key)),
                "{key}"
            );
        }
    }

    #[test]
    fn file_paths_never_change_through_the_api() {
        let old = Settings::default();
        let mut new = old.clone();
        new.dhcp.lease_file = Some("/etc/shadow".into());
        let e = old.check_no_path_change(&new).unwrap_err();
        assert_eq!(e.key, "dhcp.lease_file");
        assert!(e.to_string().contains("config file"), "{e}");
        let mut new = old.clone();
        new.dns.resolv_conf = "/dev/zero".into();
        assert_eq!(
            old.check_no_path_change(&new).unwrap_err().key,
            "dns.resolv_conf"
        );
        assert!(old.check_no_path_change(&old).is_ok());
    }
}
