//! Setting up the steering of a LAN into masq's Wintun adapter, over [`System`] so that the
//! sequence, its rollback and its repairs are tested on every OS.
//!
//! What [`start`] does, each system change journaled *before* it is made:
//! 1. checks: uplink and LAN exist and differ; a journal left by a dead masq is undone first
//!    (its address on the LAN must not pass for Internet Connection Sharing's), one of a live
//!    masq is refused; no ICS and no forwarding or weak-host send on the uplink
//!    ([`conflicts`](super::conflicts));
//! 2. the Wintun adapter, configured while nothing routes to it yet: IPv4 forwarding on
//!    (replies written into it are forwarded to the LAN), interface metric 0, router
//!    discovery and DAD off, the MTU, and an address inside the LAN prefix
//!    ([`plan`](super::plan));
//! 3. the gateway's LAN address on the LAN interface, if missing;
//! 4. the steering routes 0.0.0.0/1 and 128.0.0.0/1 on the adapter;
//! 5. IPv4 forwarding on the LAN interface (forwarding is a receive-side switch: without it
//!    Windows drops the LAN's packets instead of routing them into the adapter). The uplink's
//!    forwarding stays off, so nothing is ever routed inward.
//!
//! An address Windows says exists already may sit on another interface: IP Helper answers
//! `ERROR_OBJECT_ALREADY_EXISTS` for an address held anywhere on the host, and ICS or Mobile
//! Hotspot leave 192.168.137.1 on virtual adapters. As WireGuard does, masq then looks where
//! it is: on the intended interface it is used as it is; on a disconnected one it is removed
//! there and added again; on a connected one the start fails naming that interface.
//!
//! A failed start undoes what it made before returning the error.

use std::io;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use tracing::{debug, info, warn};

use super::conflicts::{self, ICS_PRIVATE_ADDRESS, Observed};
use super::plan::{STEERING_ROUTE_METRIC, STEERING_ROUTES, adapter_address};
use super::steps::Step;
use super::system::{AddressAdd, Luid, System};
use super::teardown::{repair_before_start, undo_all};
use crate::journal::Journal;
use crate::{GatewaySpec, InterfaceInfo, PlatformError};

/// The alias of masq's adapter, shown in the Network Connections window.
pub(crate) const ADAPTER_NAME: &str = "masq";

/// A started gateway: the open adapter and the journal of every change around it.
pub(crate) struct Started<A> {
    /// masq's adapter, open.
    pub adapter: A,
    /// The uplink as it was at start.
    pub uplink: InterfaceInfo,
    /// The LAN interface, including the address masq may have added.
    pub lan: InterfaceInfo,
    /// The gateway's address and prefix on the LAN.
    pub lan_net: Ipv4Net,
    /// What was changed, for stop and for repair after a crash.
    pub journal: Journal<Step>,
}

/// Sets up the gateway described by `spec`; see the module documentation for what changes.
pub(crate) fn start<S: System>(
    sys: &mut S,
    spec: &GatewaySpec,
) -> Result<Started<S::Adapter>, PlatformError> {
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
    let uplink = interface_as(sys, &spec.uplink, "uplink interface")?;
    interface_as(sys, &spec.lan, "LAN interface")?;
    repair_before_start(sys, &spec.state_file)?;
    // Read after the repair, which may have taken a dead run's address off the LAN.
    let lan = interface_as(sys, &spec.lan, "LAN interface")?;
    let (lan_net, add_lan_addr) = choose_lan_addr(spec.lan_addr, &lan)?;
    let tun_addr = adapter_address(lan_net)?;
    check_conflicts(sys, &spec.uplink, &lan)?;
    let mut setup = Setup {
        journal: Journal::create(&spec.state_file)?,
        adapter: None,
    };
    if let Err(cause) = setup.run(sys, spec, &lan, lan_net, add_lan_addr, tun_addr) {
        return Err(setup.roll_back(sys, cause));
    }
    let Setup { journal, adapter } = setup;
    let Some(adapter) = adapter else {
        return Err(adapter_error(io::Error::other(
            "setup finished without an adapter",
        )));
    };
    let lan = interface_as(sys, &spec.lan, "LAN interface").unwrap_or(lan);
    info!(uplink = %spec.uplink, lan = %spec.lan, adapter = ADAPTER_NAME, "gateway started");
    Ok(Started {
        adapter,
        uplink,
        lan,
        lan_net,
        journal,
    })
}

/// The interface called `name`, its role ("uplink interface", ...) named in errors.
pub(crate) fn interface_as<S: System>(
    sys: &S,
    name: &str,
    role: &'static str,
) -> Result<InterfaceInfo, PlatformError> {
    sys.interface(name).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            PlatformError::InterfaceNotFound {
                role,
                name: name.to_owned(),
                source,
            }
        } else {
            PlatformError::InterfaceQuery {
                name: name.to_owned(),
                source,
            }
        }
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
        None => lan
            .ipv4
            .first()
            .and_then(|&(addr, prefix)| Ipv4Net::new(addr, prefix).ok())
            .map(|n| (n, false))
            .ok_or_else(|| PlatformError::NoLanAddress {
                lan: lan.name.clone(),
            }),
    }
}

fn check_conflicts<S: System>(
    sys: &S,
    uplink: &str,
    lan: &InterfaceInfo,
) -> Result<(), PlatformError> {
    let query = |source| PlatformError::InterfaceQuery {
        name: uplink.to_owned(),
        source,
    };
    let settings = sys
        .luid(uplink)
        .and_then(|luid| sys.ipv4_settings(luid))
        .map_err(query)?;
    let seen = Observed {
        ics_running: sys.ics_running(),
        uplink_forwarding: settings.forwarding,
        uplink_weak_host_send: settings.weak_host_send,
        uplink_weak_host_receive: settings.weak_host_receive,
        lan_has_ics_address: lan.ipv4.iter().any(|(a, _)| *a == ICS_PRIVATE_ADDRESS),
    };
    conflicts::check(seen, uplink, &lan.name)
}

/// Where an address ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    /// masq added it: undo removes it.
    Added,
    /// It was on the interface already: not masq's to remove.
    WasThere,
}

/// Puts `addr/prefix` on `luid`, freeing it first from a disconnected interface that holds
/// it; fails naming a connected interface that does.
fn place_address<S: System>(
    sys: &mut S,
    luid: Luid,
    addr: Ipv4Addr,
    prefix: u8,
) -> io::Result<Placed> {
    if sys.add_address(luid, addr, prefix)? == AddressAdd::Added {
        return Ok(Placed::Added);
    }
    let holders: Vec<(Luid, u8)> = sys
        .ipv4_addresses()?
        .into_iter()
        .filter(|(_, a, _)| *a == addr)
        .map(|(l, _, p)| (l, p))
        .collect();
    if holders.iter().any(|(l, _)| *l == luid) {
        return Ok(Placed::WasThere);
    }
    for (other, other_prefix) in holders {
        let name = sys
            .alias(other)
            .unwrap_or_else(|_| format!("the interface with LUID {:#x}", other.0));
        if sys.is_up(other)? {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!(
                    "{addr} is in use on \"{name}\", which is connected: remove it there (or turn off what shares on it), or give masq another LAN address"
                ),
            ));
        }
        warn!(address = %addr, interface = %name, "taking the address off a disconnected interface that still holds it (Internet Connection Sharing and Mobile Hotspot leave it behind)");
        sys.delete_address(other, addr, other_prefix)?;
    }
    match sys.add_address(luid, addr, prefix)? {
        AddressAdd::Added => Ok(Placed::Added),
        AddressAdd::AlreadyExists => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{addr} is still reported in use after it was freed; try again"),
        )),
    }
}

fn adapter_error(source: io::Error) -> PlatformError {
    PlatformError::Tun {
        name: ADAPTER_NAME.to_owned(),
        source,
    }
}

fn change_error(action: String, source: io::Error) -> PlatformError {
    PlatformError::Netlink { action, source }
}

/// The state of a start in progress, so a failure can be rolled back.
struct Setup<A> {
    journal: Journal<Step>,
    adapter: Option<A>,
}

impl<A> Setup<A> {
    fn run<S: System<Adapter = A>>(
        &mut self,
        sys: &mut S,
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
        let created = sys.create_adapter(spec.tun_mtu).map_err(adapter_error);
        let adapter = self.settle(created)?;
        let tun_luid = sys.adapter_luid(&adapter);
        self.adapter = Some(adapter);
        sys.configure_adapter(tun_luid, spec.tun_mtu)
            .and_then(|()| place_address(sys, tun_luid, tun_addr, 32))
            .map_err(adapter_error)?;
        debug!(adapter = ADAPTER_NAME, address = %tun_addr, mtu = spec.tun_mtu, "adapter up");

        // 3. The gateway's LAN address.
        let lan_luid = sys
            .luid(&lan.name)
            .map_err(|source| PlatformError::InterfaceQuery {
                name: lan.name.clone(),
                source,
            })?;
        if add_lan_addr {
            self.journal.record(Step::AddressAdded {
                iface: lan.name.clone(),
                address: lan_net.addr(),
                prefix: lan_net.prefix_len(),
            })?;
            let placed = place_address(sys, lan_luid, lan_net.addr(), lan_net.prefix_len())
                .map_err(|e| change_error(format!("add {lan_net} to \"{}\"", lan.name), e));
            if self.settle(placed)? == Placed::WasThere {
                self.forget_last();
            }
        }

        // 4. The steering routes.
        for (destination, prefix) in STEERING_ROUTES {
            self.journal.record(Step::RouteAdded {
                iface: ADAPTER_NAME.to_owned(),
                destination,
                prefix,
            })?;
            let added = sys
                .add_route(tun_luid, destination, prefix, STEERING_ROUTE_METRIC)
                .map_err(|e| {
                    change_error(
                        format!("add route {destination}/{prefix} via {ADAPTER_NAME}"),
                        e,
                    )
                });
            self.settle(added)?;
        }

        // 5. Forwarding on the LAN.
        let settings =
            sys.ipv4_settings(lan_luid)
                .map_err(|source| PlatformError::InterfaceQuery {
                    name: lan.name.clone(),
                    source,
                })?;
        if !settings.forwarding {
            self.journal.record(Step::ForwardingChanged {
                iface: lan.name.clone(),
                old: false,
            })?;
            let set = sys.set_forwarding(lan_luid, true).map_err(|e| {
                change_error(format!("turn on IPv4 forwarding on \"{}\"", lan.name), e)
            });
            self.settle(set)?;
        }
        Ok(())
    }

    /// Passes a change's result through; on failure its journal entry is dropped.
    fn settle<T>(&mut self, result: Result<T, PlatformError>) -> Result<T, PlatformError> {
        if result.is_err() {
            self.forget_last();
        }
        result
    }

    fn forget_last(&mut self) {
        if let Err(e) = self.journal.forget_last() {
            warn!(error = %e, "could not drop a change from the journal; cleanup will report it as already gone");
        }
    }

    fn roll_back<S: System<Adapter = A>>(self, sys: &mut S, cause: PlatformError) -> PlatformError {
        let Setup { journal, adapter } = self;
        let path = journal.path().to_owned();
        let undo = undo_all(sys, journal, adapter);
        PlatformError::after_rollback(cause, undo, path)
    }
}
