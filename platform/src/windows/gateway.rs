//! Setting up and tearing down the steering of a LAN into masq's Wintun adapter (Windows).
//!
//! What [`start`] does, each system change journaled *before* it is made:
//! 1. checks: uplink and LAN exist and differ; no Internet Connection Sharing and no
//!    forwarding or weak-host send on the uplink (`win_logic::conflicts`); a journal left by
//!    a dead masq is cleaned up first, one of a live masq is refused;
//! 2. the Wintun adapter (fixed name and GUID), configured while nothing routes to it yet:
//!    IPv4 forwarding on (replies written into it are forwarded to the LAN), interface metric
//!    0, router discovery and DAD off, the MTU, and an address inside the LAN prefix
//!    (`win_logic::plan`);
//! 3. the gateway's LAN address on the LAN interface, if missing;
//! 4. the steering routes 0.0.0.0/1 and 128.0.0.0/1 on the adapter;
//! 5. IPv4 forwarding on the LAN interface (forwarding is a receive-side switch: without it
//!    Windows drops the LAN's packets instead of routing them into the adapter). The uplink's
//!    forwarding stays off, so nothing is ever routed inward.
//!
//! [`Gateway::stop`] undoes the list newest first (`cleanup.rs`); a failed start undoes what
//! it made before returning the error.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use tracing::{debug, info, warn};
use windows_sys::Win32::Networking::WinSock::RouterDiscoveryDisabled;

use super::adapter::{ADAPTER_NAME, TunDevice};
use super::cleanup::undo_all;
use super::interfaces::interface_info_as;
use super::iphelper::{self, Luid};
use super::probes::{ics_running, is_masq_process};
use crate::journal::Journal;
use crate::win_logic::cleanup_plan::{StaleJournal, on_stale_journal};
use crate::win_logic::conflicts::{self, ICS_PRIVATE_ADDRESS, Observed};
use crate::win_logic::plan::{STEERING_ROUTE_METRIC, STEERING_ROUTES, adapter_address};
use crate::win_logic::steps::Step;
use crate::{GatewaySpec, InterfaceInfo, PlatformError};

/// A running gateway: the open adapter plus the steering around it, recorded in the journal.
#[derive(Debug)]
pub struct Gateway {
    /// The virtual adapter the LAN's packets arrive on.
    pub tun: TunDevice,
    /// The uplink as it was at start.
    pub uplink: InterfaceInfo,
    /// The LAN interface, including the address masq may have added.
    pub lan: InterfaceInfo,
    /// The gateway's address and prefix on the LAN.
    pub lan_net: Ipv4Net,
    journal: Journal<Step>,
}

impl Gateway {
    /// Undoes every change (newest first), deletes the adapter and the journal.
    pub async fn stop(self) -> Result<(), PlatformError> {
        let Gateway { tun, journal, .. } = self;
        undo_all(journal, Some(tun)).map(|_| info!("gateway stopped; all changes undone"))
    }

    /// Splits off the adapter so the runtime can own it while the [`Steering`] half is kept
    /// to undo everything later.
    pub fn into_parts(self) -> (TunDevice, Steering) {
        let Gateway { tun, journal, .. } = self;
        (tun, Steering { journal })
    }
}

/// Everything [`start`] set up except the open adapter session.
#[derive(Debug)]
pub struct Steering {
    journal: Journal<Step>,
}

impl Steering {
    /// Undoes every change newest first (deleting the adapter) and deletes the journal.
    pub async fn stop(self) -> Result<(), PlatformError> {
        undo_all(self.journal, None).map(|_| info!("gateway stopped; all changes undone"))
    }
}

/// Sets up the gateway described by `spec`; see the module documentation for what changes.
pub async fn start(spec: &GatewaySpec) -> Result<Gateway, PlatformError> {
    if spec.uplink == spec.lan {
        return Err(PlatformError::SameInterface {
            name: spec.lan.clone(),
        });
    }
    if spec.uplink == ADAPTER_NAME || spec.lan == ADAPTER_NAME {
        return Err(PlatformError::TunNameTaken {
            name: ADAPTER_NAME.to_owned(),
        });
    }
    let uplink = interface_info_as(&spec.uplink, "uplink interface")?;
    let lan = interface_info_as(&spec.lan, "LAN interface")?;
    let (lan_net, add_lan_addr) = choose_lan_addr(spec.lan_addr, &lan)?;
    let tun_addr = adapter_address(lan_net)?;
    check_conflicts(&spec.uplink, &lan)?;
    clean_up_stale_journal(spec)?;
    let mut setup = Setup {
        journal: Journal::create(&spec.state_file)?,
        tun: None,
    };
    if let Err(cause) = setup.run(spec, &lan, lan_net, add_lan_addr, tun_addr) {
        return Err(setup.roll_back(cause));
    }
    let Setup { journal, tun } = setup;
    let Some(tun) = tun else {
        return Err(adapter_error(std::io::Error::other(
            "setup finished without an adapter",
        )));
    };
    let lan = interface_info_as(&spec.lan, "LAN interface").unwrap_or(lan);
    info!(uplink = %spec.uplink, lan = %spec.lan, adapter = ADAPTER_NAME, "gateway started");
    Ok(Gateway {
        tun,
        uplink,
        lan,
        lan_net,
        journal,
    })
}

/// The gateway's LAN address: as given (added if missing) or the LAN's first IPv4 address.
fn choose_lan_addr(
    wanted: Option<Ipv4Net>,
    lan: &InterfaceInfo,
) -> Result<(Ipv4Net, bool), PlatformError> {
    let present = |net: Ipv4Net| lan.ipv4.contains(&(net.addr(), net.prefix_len()));
    match wanted {
        Some(net) => Ok((net, !present(net))),
        None => match lan.ipv4.first() {
            Some(&(addr, prefix)) => Ipv4Net::new(addr, prefix).map(|n| (n, false)).map_err(|_| {
                PlatformError::NoLanAddress {
                    lan: lan.name.clone(),
                }
            }),
            None => Err(PlatformError::NoLanAddress {
                lan: lan.name.clone(),
            }),
        },
    }
}

fn check_conflicts(uplink: &str, lan: &InterfaceInfo) -> Result<(), PlatformError> {
    let luid = iphelper::luid_by_alias(uplink).map_err(|source| PlatformError::InterfaceQuery {
        name: uplink.to_owned(),
        source,
    })?;
    let row = iphelper::ipv4_settings(luid).map_err(|source| PlatformError::InterfaceQuery {
        name: uplink.to_owned(),
        source,
    })?;
    let seen = Observed {
        ics_running: ics_running(),
        uplink_forwarding: row.ForwardingEnabled,
        uplink_weak_host_send: row.WeakHostSend,
        lan_has_ics_address: lan.ipv4.iter().any(|(a, _)| *a == ICS_PRIVATE_ADDRESS),
    };
    conflicts::check(seen, uplink, &lan.name)
}

fn clean_up_stale_journal(spec: &GatewaySpec) -> Result<(), PlatformError> {
    let Some(old) = Journal::<Step>::load(&spec.state_file)? else {
        return Ok(());
    };
    let pid = old.pid();
    match on_stale_journal(pid, std::process::id(), is_masq_process(pid)) {
        StaleJournal::Refuse => Err(PlatformError::StillRunning {
            pid,
            path: spec.state_file.clone(),
        }),
        StaleJournal::CleanUpFirst => {
            warn!(pid, journal = %spec.state_file.display(), "undoing what a crashed masq left behind");
            let report = undo_all(old, None)?;
            info!("{report}");
            Ok(())
        }
    }
}

fn adapter_error(source: std::io::Error) -> PlatformError {
    PlatformError::Tun {
        name: ADAPTER_NAME.to_owned(),
        source,
    }
}

fn change_error(action: String, source: std::io::Error) -> PlatformError {
    PlatformError::Netlink { action, source }
}

/// The state of a start in progress, so a failure can be rolled back.
struct Setup {
    journal: Journal<Step>,
    tun: Option<TunDevice>,
}

impl Setup {
    fn run(
        &mut self,
        spec: &GatewaySpec,
        lan: &InterfaceInfo,
        lan_net: Ipv4Net,
        add_lan_addr: bool,
        tun_addr: Ipv4Addr,
    ) -> Result<(), PlatformError> {
        // 2. The adapter.
        self.journal.record(Step::AdapterCreated {
            name: ADAPTER_NAME.to_owned(),
        })?;
        let created = TunDevice::create(spec.tun_mtu).map_err(adapter_error);
        let tun = self.settle(created)?;
        let tun_luid = tun.luid();
        self.tun = Some(tun);
        configure_adapter(tun_luid, spec.tun_mtu, tun_addr).map_err(adapter_error)?;
        debug!(adapter = ADAPTER_NAME, address = %tun_addr, mtu = spec.tun_mtu, "adapter up");

        // 3. The gateway's LAN address.
        let lan_luid =
            iphelper::luid_by_alias(&lan.name).map_err(|source| PlatformError::InterfaceQuery {
                name: lan.name.clone(),
                source,
            })?;
        if add_lan_addr {
            self.journal.record(Step::AddressAdded {
                iface: lan.name.clone(),
                address: lan_net.addr(),
                prefix: lan_net.prefix_len(),
            })?;
            let added = iphelper::add_address(lan_luid, lan_net.addr(), lan_net.prefix_len())
                .map_err(|e| change_error(format!("add {lan_net} to \"{}\"", lan.name), e));
            self.settle(added)?;
        }

        // 4. The steering routes.
        for (destination, prefix) in STEERING_ROUTES {
            self.journal.record(Step::RouteAdded {
                iface: ADAPTER_NAME.to_owned(),
                destination,
                prefix,
            })?;
            let added = iphelper::add_route(tun_luid, destination, prefix, STEERING_ROUTE_METRIC)
                .map_err(|e| {
                    change_error(
                        format!("add route {destination}/{prefix} via {ADAPTER_NAME}"),
                        e,
                    )
                });
            self.settle(added)?;
        }

        // 5. Forwarding on the LAN.
        let query = |source| PlatformError::InterfaceQuery {
            name: lan.name.clone(),
            source,
        };
        let mut row = iphelper::ipv4_settings(lan_luid).map_err(query)?;
        if !row.ForwardingEnabled {
            self.journal.record(Step::ForwardingChanged {
                iface: lan.name.clone(),
                old: false,
            })?;
            row.ForwardingEnabled = true;
            let set = iphelper::set_ipv4_settings(row).map_err(|e| {
                change_error(format!("turn on IPv4 forwarding on \"{}\"", lan.name), e)
            });
            self.settle(set)?;
        }
        Ok(())
    }

    /// Passes a change's result through; on failure its journal entry is dropped.
    fn settle<T>(&mut self, result: Result<T, PlatformError>) -> Result<T, PlatformError> {
        if result.is_err() {
            if let Err(e) = self.journal.forget_last() {
                warn!(error = %e, "could not drop a failed change from the journal; cleanup will report it as already gone");
            }
        }
        result
    }

    fn roll_back(self, cause: PlatformError) -> PlatformError {
        let Setup { journal, tun } = self;
        let path = journal.path().to_owned();
        match undo_all(journal, tun) {
            Ok(_) => cause,
            Err(PlatformError::CleanupIncomplete { failures, path }) => {
                PlatformError::StartFailed {
                    cause: Box::new(cause),
                    leftovers: failures,
                    path,
                }
            }
            Err(other) => PlatformError::StartFailed {
                cause: Box::new(cause),
                leftovers: vec![other.to_string()],
                path,
            },
        }
    }
}

/// Settings of masq's own adapter; not journaled, they vanish with it.
fn configure_adapter(luid: Luid, mtu: u16, addr: Ipv4Addr) -> std::io::Result<()> {
    let mut row = iphelper::ipv4_settings(luid)?;
    row.ForwardingEnabled = true;
    row.UseAutomaticMetric = false;
    row.Metric = 0;
    row.NlMtu = u32::from(mtu);
    row.DadTransmits = 0;
    row.RouterDiscoveryBehavior = RouterDiscoveryDisabled;
    iphelper::set_ipv4_settings(row)?;
    iphelper::add_address(luid, addr, 32)
}
