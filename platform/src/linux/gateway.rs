//! Setting up and tearing down the steering of a LAN into masq's TUN (Linux).
//!
//! What [`start`] makes, in this order, each step journaled *before* it is made:
//! 1. checks: uplink and LAN exist and differ, the TUN name is free;
//! 2. the TUN adapter, with its MTU, brought up, holding the gateway's LAN address as a /32.
//!    Nothing is addressed to it, but the kernel's source validation treats an interface
//!    without any IPv4 address specially when rp_filter is on (`__fib_validate_source`:
//!    `no_addr` jumps to `last_resort`, which rejects if `rpf`): packets written into the TUN
//!    with one of the host's own addresses as source (the engine's ICMP errors, sent from the
//!    gateway's LAN address) are dropped despite `accept_local` — seen on Linux 6.18 by the
//!    netns test — and older kernels drop every forwarded reply this way. The effective
//!    rp_filter is the maximum of `conf.all` and the interface's, which masq does not touch.
//!    Borrowing the LAN address adds no new reachable address; the kernel drops it with the
//!    adapter, so it needs no journal entry;
//! 3. the gateway's LAN address, if the LAN interface lacks it;
//! 4. in routing table `T`: `default dev <tun>`, and `<lan prefix> dev <lan>` so that packets
//!    from one LAN host to another that reach the gateway go back out on the LAN instead of
//!    into the TUN (traffic to the gateway's own addresses never gets here: the `local` table
//!    at priority 0 answers it first);
//! 5. the policy rule `iif <lan> lookup T`: only packets *arriving from the LAN* use table T,
//!    so the host's own traffic and the uplink are untouched;
//! 6. per-interface settings: forwarding on the LAN (into the TUN) and the TUN (replies back
//!    to the LAN); loose reverse-path filtering on the TUN, whose packets carry internet
//!    source addresses; `accept_local` on the TUN, because the engine's own ICMP errors carry
//!    the gateway's LAN address as source; and `ping_group_range` widened to our group if
//!    needed, because ping relaying uses unprivileged ICMP sockets;
//! 7. only when the spec carries an IPv6 LAN prefix ([`GatewaySpec::lan_v6`]): the gateway's
//!    IPv6 address on the LAN (if missing), `::/0 dev <tun>` and `<prefix> dev <lan>` in table
//!    `T`, the IPv6 rule `iif <lan> lookup T`, `force_forwarding` on the LAN and the TUN, and
//!    router behaviour (`forwarding`) on the LAN only, so hosts keep the gateway as their
//!    router (never `conf.all.forwarding`: that would make the uplink a router that ignores
//!    router advertisements). The runtime asks [`crate::check_ipv6_uplink`] first.
//!
//! 8. masq's nftables table, which drops forwarded traffic into the LAN or the adapter from
//!    anywhere but each other (`inbound_guard.rs`): the kernel forwards by itself when the
//!    host has `ip_forward` on, and nothing may reach a hidden host except through masq.
//!
//! [`Gateway::stop`] undoes the same list newest first. If `start` fails midway, what it made
//! so far is undone before the error is returned.

use ipnet::{Ipv4Net, Ipv6Net};
use nix::unistd::getegid;
use tracing::{debug, info};

use super::ifname::IfName;
use super::inbound_guard;
use super::interfaces::interface_info_as;
use super::lan_addr::choose_lan_addr;
use super::netlink::{Netlink, RouteSpec};
use super::steps::Step;
use super::sysctl::{GroupRange, SysctlKey};
use super::tun::TunDevice;
use super::undo::undo_all;
use crate::journal::Journal;
use crate::{Gateway, GatewaySpec, InterfaceInfo, PlatformError};

/// Everything [`start`] set up except the TUN itself: the journaled rule, routes, address and
/// settings. Obtained from [`Gateway::into_parts`].
#[derive(Debug)]
pub struct Steering {
    journal: Journal<Step>,
}

impl Steering {
    /// Undoes every change newest first and deletes the journal. Close the TUN first: if it is
    /// still open elsewhere, the adapter is deleted from under its holder.
    pub async fn stop(self) -> Result<(), PlatformError> {
        stop_with(self.journal, None).await
    }

    /// [`Gateway::stop`]: closes `tun` on the way, where the undo deletes the adapter.
    pub(crate) async fn stop_closing(self, tun: TunDevice) -> Result<(), PlatformError> {
        stop_with(self.journal, Some(tun)).await
    }
}

async fn stop_with(journal: Journal<Step>, tun: Option<TunDevice>) -> Result<(), PlatformError> {
    let netlink = Netlink::open("Gateway::stop")?;
    let report = undo_all(&netlink, journal, tun).await?;
    info!(
        changes = report.actions.len(),
        "gateway stopped; all changes undone"
    );
    Ok(())
}

/// Sets up the gateway described by `spec`; see the module documentation for what changes.
pub async fn start(spec: &GatewaySpec) -> Result<Gateway, PlatformError> {
    let names = Names::check(spec)?;
    let uplink = interface_info_as(names.uplink.as_str(), "uplink interface")?;
    let lan = interface_info_as(names.lan.as_str(), "LAN interface")?;
    let lan_addr = choose_lan_addr(spec.lan_addr, &lan)?;
    let netlink = Netlink::open("start")?;
    if netlink.link_by_name(names.tun.as_str()).await?.is_some() {
        return Err(PlatformError::TunNameTaken {
            name: names.tun.to_string(),
        });
    }
    let journal = Journal::create(&spec.state_file)?;
    let mut setup = Setup {
        netlink,
        journal,
        tun: None,
    };
    if let Err(cause) = setup
        .run(spec, &names, &lan, lan_addr.net, lan_addr.add)
        .await
    {
        return Err(setup.roll_back(cause).await);
    }
    let Setup { journal, tun, .. } = setup;
    let Some(tun) = tun else {
        return Err(PlatformError::Tun {
            name: names.tun.to_string(),
            source: std::io::Error::other("setup finished without an adapter"),
        });
    };
    let lan = interface_info_as(names.lan.as_str(), "LAN interface").unwrap_or(lan);
    info!(uplink = %names.uplink, lan = %names.lan, tun = %names.tun, "gateway started");
    Ok(Gateway::new(
        tun,
        uplink,
        lan,
        lan_addr.net,
        Steering { journal },
    ))
}

/// The three interface names, validated and distinct.
struct Names {
    uplink: IfName,
    lan: IfName,
    tun: IfName,
}

impl Names {
    fn check(spec: &GatewaySpec) -> Result<Names, PlatformError> {
        let names = Names {
            uplink: IfName::new(&spec.uplink)?,
            lan: IfName::new(&spec.lan)?,
            tun: IfName::new(&spec.tun_name)?,
        };
        if names.uplink == names.lan {
            return Err(PlatformError::SameInterface {
                name: names.lan.to_string(),
            });
        }
        if names.tun == names.uplink || names.tun == names.lan {
            return Err(PlatformError::TunNameTaken {
                name: names.tun.to_string(),
            });
        }
        Ok(names)
    }
}

/// The state of a start in progress, so a failure can be rolled back.
struct Setup {
    netlink: Netlink,
    journal: Journal<Step>,
    tun: Option<TunDevice>,
}

impl Setup {
    async fn run(
        &mut self,
        spec: &GatewaySpec,
        names: &Names,
        lan: &InterfaceInfo,
        lan_net: Ipv4Net,
        add_lan_addr: bool,
    ) -> Result<(), PlatformError> {
        // 2. The adapter.
        self.journal.record(Step::TunCreated {
            name: names.tun.clone(),
        })?;
        let created = TunDevice::create(names.tun.as_str(), spec.tun_mtu, spec.tun_offload)
            .map_err(|source| PlatformError::Tun {
                name: names.tun.to_string(),
                source,
            });
        self.tun = Some(self.settle(created)?);
        let tun_index = match self.netlink.link_by_name(names.tun.as_str()).await? {
            Some(link) => link.header.index,
            None => {
                return Err(PlatformError::Tun {
                    name: names.tun.to_string(),
                    source: std::io::Error::other(
                        "the adapter vanished right after it was created",
                    ),
                });
            }
        };
        self.netlink
            .set_up_with_mtu(tun_index, names.tun.as_str(), u32::from(spec.tun_mtu))
            .await?;
        self.netlink
            .add_address(tun_index, names.tun.as_str(), lan_net.addr().into(), 32)
            .await?;
        debug!(tun = %names.tun, mtu = spec.tun_mtu, "TUN adapter up");

        // 3. The gateway's LAN address.
        if add_lan_addr {
            self.add_lan_address(
                names,
                lan.index,
                lan_net.addr().into(),
                lan_net.prefix_len(),
            )
            .await?;
        }

        // 4. Routes in masq's table.
        let routes = [
            (
                RouteSpec {
                    table: spec.route_table,
                    destination: std::net::Ipv4Addr::UNSPECIFIED.into(),
                    prefix: 0,
                    iface: names.tun.as_str(),
                },
                tun_index,
                &names.tun,
            ),
            (
                RouteSpec {
                    table: spec.route_table,
                    destination: lan_net.network().into(),
                    prefix: lan_net.prefix_len(),
                    iface: names.lan.as_str(),
                },
                lan.index,
                &names.lan,
            ),
        ];
        for (route, oif, iface) in &routes {
            self.add_route(route, *oif, iface).await?;
        }

        // 5. The policy rule.
        self.add_rule(spec, names, false).await?;

        // 6. Kernel settings.
        let settings = [
            (
                SysctlKey::Forwarding {
                    iface: names.lan.clone(),
                },
                "1",
            ),
            (
                SysctlKey::Forwarding {
                    iface: names.tun.clone(),
                },
                "1",
            ),
            (
                SysctlKey::RpFilter {
                    iface: names.tun.clone(),
                },
                "2",
            ),
            (
                SysctlKey::AcceptLocal {
                    iface: names.tun.clone(),
                },
                "1",
            ),
        ];
        for (key, value) in settings {
            self.set_sysctl(key, value.to_owned())?;
        }
        let range_text = SysctlKey::PingGroupRange.read()?;
        let range = GroupRange::parse(&range_text).ok_or_else(|| PlatformError::Sysctl {
            action: "read",
            path: SysctlKey::PingGroupRange.path(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("unexpected value {range_text:?}"),
            ),
        })?;
        if let Some(widened) = range.widened_to(getegid().as_raw()) {
            self.set_sysctl(SysctlKey::PingGroupRange, widened.to_string())?;
        }

        // 7. IPv6, when offered.
        if let Some(lan_v6) = spec.lan_v6 {
            self.run_v6(spec, names, lan, tun_index, lan_v6).await?;
        }

        // 8. The LAN closed to forwarded traffic, whatever the host's forwarding.
        self.add_inbound_guard(names)
    }

    /// Step 8: masq's nftables table (see `inbound_guard.rs`).
    fn add_inbound_guard(&mut self, names: &Names) -> Result<(), PlatformError> {
        let table = inbound_guard::table_name(&names.tun);
        let script = inbound_guard::ruleset(
            &table,
            &names.lan,
            &names.tun,
            Some(inbound_guard::ephemeral_ports()),
        )?;
        self.journal.record(Step::GuardAdded {
            table: table.clone(),
        })?;
        let installed = match inbound_guard::install(&table, &script) {
            // A kernel without nftables' `socket` expression refuses the input chain: the LAN
            // stays closed without it, unsolicited SYNs are then reset by the kernel.
            Err(e) => {
                let plain = inbound_guard::ruleset(&table, &names.lan, &names.tun, None)?;
                let retried = inbound_guard::install(&table, &plain);
                if retried.is_ok() {
                    tracing::warn!(error = %e, "nftables refused masq's SYN rule; unsolicited SYNs to masq's ports are reset by the kernel (RFC 5382 REQ-4 not met)");
                }
                retried
            }
            other => other,
        };
        match installed {
            Ok(true) => {
                debug!(%table, "LAN closed to forwarded traffic");
                Ok(())
            }
            // Nothing was made (no nft, and a host that does not forward): no entry to keep.
            Ok(false) => {
                if let Err(e) = self.journal.forget_last() {
                    tracing::warn!(error = %e, "could not drop the unmade nftables table from the journal; cleanup will report it as already gone");
                }
                Ok(())
            }
            Err(e) => self.settle(Err(e)),
        }
    }

    /// Step 7: the IPv6 counterpart of steps 3 to 6.
    async fn run_v6(
        &mut self,
        spec: &GatewaySpec,
        names: &Names,
        lan: &InterfaceInfo,
        tun_index: u32,
        lan_v6: Ipv6Net,
    ) -> Result<(), PlatformError> {
        let has_addr = lan.ipv6.iter().any(|(a, _)| *a == lan_v6.addr());
        if !has_addr {
            self.add_lan_address(names, lan.index, lan_v6.addr().into(), lan_v6.prefix_len())
                .await?;
        }
        let default = RouteSpec {
            table: spec.route_table,
            destination: std::net::Ipv6Addr::UNSPECIFIED.into(),
            prefix: 0,
            iface: names.tun.as_str(),
        };
        self.add_route(&default, tun_index, &names.tun).await?;
        let on_link = RouteSpec {
            table: spec.route_table,
            destination: lan_v6.network().into(),
            prefix: lan_v6.prefix_len(),
            iface: names.lan.as_str(),
        };
        self.add_route(&on_link, lan.index, &names.lan).await?;
        self.add_rule(spec, names, true).await?;
        for iface in [&names.lan, &names.tun] {
            self.set_sysctl(
                SysctlKey::Ipv6ForceForwarding {
                    iface: iface.clone(),
                },
                "1".to_owned(),
            )?;
        }
        self.set_sysctl(
            SysctlKey::Ipv6Forwarding {
                iface: names.lan.clone(),
            },
            "1".to_owned(),
        )?;
        Ok(())
    }

    /// Records and adds the gateway's address (IPv4 or IPv6) on the LAN interface.
    async fn add_lan_address(
        &mut self,
        names: &Names,
        lan_index: u32,
        address: std::net::IpAddr,
        prefix: u8,
    ) -> Result<(), PlatformError> {
        self.journal.record(Step::AddressAdded {
            iface: names.lan.clone(),
            address,
            prefix,
        })?;
        let added = self
            .netlink
            .add_address(lan_index, names.lan.as_str(), address, prefix)
            .await;
        self.settle(added)?;
        debug!(lan = %names.lan, %address, prefix, "LAN address added");
        Ok(())
    }

    /// Records and adds one route to masq's table.
    async fn add_route(
        &mut self,
        route: &RouteSpec<'_>,
        oif: u32,
        iface: &IfName,
    ) -> Result<(), PlatformError> {
        self.journal.record(Step::RouteAdded {
            table: route.table,
            destination: route.destination,
            prefix: route.prefix,
            iface: iface.clone(),
        })?;
        let added = self.netlink.add_route(route, oif).await;
        self.settle(added)?;
        debug!(%route, "route added");
        Ok(())
    }

    /// Records and adds the `iif <lan> lookup T` rule for IPv4, or IPv6 with `v6`.
    async fn add_rule(
        &mut self,
        spec: &GatewaySpec,
        names: &Names,
        v6: bool,
    ) -> Result<(), PlatformError> {
        self.journal.record(Step::RuleAdded {
            iif: names.lan.clone(),
            table: spec.route_table,
            priority: spec.rule_priority,
            v6,
        })?;
        let added = self
            .netlink
            .add_rule(names.lan.as_str(), spec.route_table, spec.rule_priority, v6)
            .await;
        self.settle(added)?;
        debug!(lan = %names.lan, table = spec.route_table, priority = spec.rule_priority, v6, "rule added");
        Ok(())
    }

    /// Records and applies one setting, unless it already has the value.
    fn set_sysctl(&mut self, key: SysctlKey, value: String) -> Result<(), PlatformError> {
        let old = key.read()?;
        if old == value {
            return Ok(());
        }
        self.journal.record(Step::SysctlChanged {
            key: key.clone(),
            old,
        })?;
        let written = key.write(&value);
        self.settle(written)?;
        debug!(setting = %key, %value, "setting changed");
        Ok(())
    }

    /// Passes a change's result through; on failure the change was not made, so its journal
    /// entry is dropped.
    fn settle<T>(&mut self, result: Result<T, PlatformError>) -> Result<T, PlatformError> {
        if result.is_err() {
            if let Err(e) = self.journal.forget_last() {
                tracing::warn!(error = %e, "could not drop a failed change from the journal; cleanup will report it as already gone");
            }
        }
        result
    }

    /// Undoes a partial setup; returns the error to report.
    async fn roll_back(self, cause: PlatformError) -> PlatformError {
        let Setup {
            netlink,
            journal,
            tun,
        } = self;
        let path = journal.path().to_owned();
        let undo = undo_all(&netlink, journal, tun).await;
        PlatformError::after_rollback(cause, undo, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_distinct() {
        let mut spec = GatewaySpec::new("eth0", "eth0", "/tmp/x");
        assert!(matches!(
            Names::check(&spec),
            Err(PlatformError::SameInterface { .. })
        ));
        spec.lan = "eth1".into();
        spec.tun_name = "eth1".into();
        assert!(matches!(
            Names::check(&spec),
            Err(PlatformError::TunNameTaken { .. })
        ));
        spec.tun_name = "masq0".into();
        assert!(Names::check(&spec).is_ok());
        spec.uplink = "bad/name".into();
        assert!(matches!(
            Names::check(&spec),
            Err(PlatformError::InvalidInterfaceName { .. })
        ));
    }
}
