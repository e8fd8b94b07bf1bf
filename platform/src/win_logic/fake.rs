//! An in-memory Windows host for the setup, teardown and repair tests, modelling what the
//! IP Helper and Wintun documentation (and WireGuard's experience) say the calls do:
//!
//! - interfaces have an alias, a LUID, an index, a connected state, and per-interface IPv4
//!   forwarding and weak-host send;
//! - adding an address that any interface holds already answers "already exists"
//!   (`ERROR_OBJECT_ALREADY_EXISTS`), whichever interface that is; a duplicate route too;
//!   deleting what is not there answers "not found" (here: `AlreadyGone`);
//! - an interface's addresses and routes vanish with it;
//! - masq's Wintun adapter lives as long as the process that created it: [`FakeWindows::crash`]
//!   removes it, and an adapter another process holds can be neither created again nor
//!   removed by us.
//!
//! Every change is logged in order, and any one of them can be made to fail.

use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;

use super::setup::ADAPTER_NAME;
use super::system::{AddressAdd, Ipv4Settings, Luid, System};
use crate::{CleanupOutcome, InterfaceInfo};

/// One interface of the fake host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FakeInterface {
    pub alias: String,
    pub index: u32,
    pub up: bool,
    pub settings: Ipv4Settings,
}

/// One route: interface, destination, prefix length, metric.
pub(crate) type FakeRoute = (Luid, Ipv4Addr, u8, u32);

/// Who holds the adapter called "masq", if it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdapterHolder {
    /// This process created it (it goes with [`System::remove_adapter`] or a crash).
    Us(Luid),
    /// Another live process did.
    Other(Luid),
}

/// The open adapter handed to the setup code.
#[derive(Debug)]
pub(crate) struct FakeAdapter(Luid);

/// The host's whole state, comparable before and after a sequence.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct HostState {
    pub interfaces: BTreeMap<Luid, FakeInterface>,
    pub addresses: Vec<(Luid, Ipv4Addr, u8)>,
    pub routes: Vec<FakeRoute>,
    pub adapter: Option<AdapterHolder>,
}

/// The fake Windows host.
#[derive(Debug, Default)]
pub(crate) struct FakeWindows {
    pub state: HostState,
    pub ics_running: bool,
    /// Processes that are alive and run masq.
    pub live_masq_pids: Vec<u32>,
    /// Every change made, in order ("add_address Ethernet 192.168.137.1/24", ...).
    pub changes: Vec<String>,
    /// Fail the change with this index (0 = the first), once.
    pub fail_change: Option<usize>,
    next_luid: u64,
}

impl FakeWindows {
    /// Adds an interface; returns its LUID.
    pub fn add_interface(&mut self, alias: &str, up: bool) -> Luid {
        self.next_luid += 1;
        let luid = Luid(0x0006_0000_0000_0000 + self.next_luid);
        let index = u32::try_from(self.next_luid).unwrap_or(u32::MAX) + 10;
        self.state.interfaces.insert(
            luid,
            FakeInterface {
                alias: alias.to_owned(),
                index,
                up,
                settings: Ipv4Settings::default(),
            },
        );
        luid
    }

    /// Puts an address on an interface directly (the state before masq runs).
    pub fn give_address(&mut self, luid: Luid, addr: Ipv4Addr, prefix: u8) {
        self.state.addresses.push((luid, addr, prefix));
    }

    /// The LUID of `alias`.
    pub fn luid_of(&self, alias: &str) -> Luid {
        self.luid(alias).expect("interface exists")
    }

    /// The process dies: the adapter it created goes, with its routes and addresses;
    /// everything else it changed stays.
    pub fn crash(&mut self) {
        if let Some(AdapterHolder::Us(luid)) = self.state.adapter {
            self.drop_interface(luid);
            self.state.adapter = None;
        }
    }

    /// Another process creates an adapter named "masq" and keeps it.
    pub fn adapter_held_elsewhere(&mut self) {
        let luid = self.add_interface(ADAPTER_NAME, true);
        self.state.adapter = Some(AdapterHolder::Other(luid));
    }

    fn drop_interface(&mut self, luid: Luid) {
        self.state.interfaces.remove(&luid);
        self.state.addresses.retain(|(l, ..)| *l != luid);
        self.state.routes.retain(|(l, ..)| *l != luid);
    }

    fn alias_or_luid(&self, luid: Luid) -> String {
        self.state
            .interfaces
            .get(&luid)
            .map_or_else(|| format!("{:#x}", luid.0), |i| i.alias.clone())
    }

    /// Logs a change, failing it if it is the one chosen to fail.
    fn change(&mut self, what: String) -> io::Result<()> {
        let n = self.changes.len();
        self.changes.push(what.clone());
        if self.fail_change == Some(n) {
            self.fail_change = None;
            return Err(io::Error::other(format!("injected failure of {what}")));
        }
        Ok(())
    }

    fn iface_mut(&mut self, luid: Luid) -> io::Result<&mut FakeInterface> {
        self.state
            .interfaces
            .get_mut(&luid)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "Element not found."))
    }

    fn has(&self, luid: Luid) -> io::Result<()> {
        if self.state.interfaces.contains_key(&luid) {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "Element not found.",
            ))
        }
    }
}

impl System for FakeWindows {
    type Adapter = FakeAdapter;

    fn interface(&self, alias: &str) -> io::Result<InterfaceInfo> {
        let luid = self.luid(alias)?;
        let iface = &self.state.interfaces[&luid];
        Ok(InterfaceInfo {
            name: alias.to_owned(),
            index: iface.index,
            ipv4: self
                .state
                .addresses
                .iter()
                .filter(|(l, ..)| *l == luid)
                .map(|&(_, a, p)| (a, p))
                .collect(),
            ipv6: Vec::new(),
            mtu: 1500,
        })
    }

    fn luid(&self, alias: &str) -> io::Result<Luid> {
        self.state
            .interfaces
            .iter()
            .find(|(_, i)| i.alias == alias)
            .map(|(&l, _)| l)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no interface called \"{alias}\""),
                )
            })
    }

    fn alias(&self, luid: Luid) -> io::Result<String> {
        self.has(luid)?;
        Ok(self.state.interfaces[&luid].alias.clone())
    }

    fn is_up(&self, luid: Luid) -> io::Result<bool> {
        self.has(luid)?;
        Ok(self.state.interfaces[&luid].up)
    }

    fn ipv4_settings(&self, luid: Luid) -> io::Result<Ipv4Settings> {
        self.has(luid)?;
        Ok(self.state.interfaces[&luid].settings)
    }

    fn set_forwarding(&mut self, luid: Luid, on: bool) -> io::Result<()> {
        self.has(luid)?;
        let alias = self.alias_or_luid(luid);
        self.change(format!("set_forwarding {alias} {on}"))?;
        self.iface_mut(luid)?.settings.forwarding = on;
        Ok(())
    }

    fn ipv4_addresses(&self) -> io::Result<Vec<(Luid, Ipv4Addr, u8)>> {
        Ok(self.state.addresses.clone())
    }

    fn add_address(&mut self, luid: Luid, addr: Ipv4Addr, prefix: u8) -> io::Result<AddressAdd> {
        self.has(luid)?;
        let alias = self.alias_or_luid(luid);
        self.change(format!("add_address {alias} {addr}/{prefix}"))?;
        if self.state.addresses.iter().any(|(_, a, _)| *a == addr) {
            return Ok(AddressAdd::AlreadyExists);
        }
        self.state.addresses.push((luid, addr, prefix));
        Ok(AddressAdd::Added)
    }

    fn delete_address(
        &mut self,
        luid: Luid,
        addr: Ipv4Addr,
        prefix: u8,
    ) -> io::Result<CleanupOutcome> {
        let alias = self.alias_or_luid(luid);
        self.change(format!("delete_address {alias} {addr}/{prefix}"))?;
        let before = self.state.addresses.len();
        self.state.addresses.retain(|e| *e != (luid, addr, prefix));
        Ok(if self.state.addresses.len() < before {
            CleanupOutcome::Undone
        } else {
            CleanupOutcome::AlreadyGone
        })
    }

    fn add_route(
        &mut self,
        luid: Luid,
        destination: Ipv4Addr,
        prefix: u8,
        metric: u32,
    ) -> io::Result<()> {
        self.has(luid)?;
        let alias = self.alias_or_luid(luid);
        self.change(format!("add_route {alias} {destination}/{prefix}"))?;
        if self
            .state
            .routes
            .iter()
            .any(|&(l, d, p, _)| (l, d, p) == (luid, destination, prefix))
        {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "The object already exists.",
            ));
        }
        self.state.routes.push((luid, destination, prefix, metric));
        Ok(())
    }

    fn delete_route(
        &mut self,
        luid: Luid,
        destination: Ipv4Addr,
        prefix: u8,
    ) -> io::Result<CleanupOutcome> {
        let alias = self.alias_or_luid(luid);
        self.change(format!("delete_route {alias} {destination}/{prefix}"))?;
        let before = self.state.routes.len();
        self.state
            .routes
            .retain(|&(l, d, p, _)| (l, d, p) != (luid, destination, prefix));
        Ok(if self.state.routes.len() < before {
            CleanupOutcome::Undone
        } else {
            CleanupOutcome::AlreadyGone
        })
    }

    fn create_adapter(&mut self, _mtu: u16) -> io::Result<FakeAdapter> {
        self.change("create_adapter".to_owned())?;
        if self.state.adapter.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a Wintun adapter named \"masq\" already exists and belongs to another running process",
            ));
        }
        let luid = self.add_interface(ADAPTER_NAME, true);
        self.state.adapter = Some(AdapterHolder::Us(luid));
        Ok(FakeAdapter(luid))
    }

    fn adapter_luid(&self, adapter: &FakeAdapter) -> Luid {
        adapter.0
    }

    fn configure_adapter(&mut self, luid: Luid, _mtu: u16) -> io::Result<()> {
        self.has(luid)?;
        self.change("configure_adapter".to_owned())?;
        self.iface_mut(luid)?.settings.forwarding = true;
        Ok(())
    }

    fn remove_adapter(&mut self, adapter: FakeAdapter) {
        self.changes.push("remove_adapter".to_owned());
        if self.state.adapter == Some(AdapterHolder::Us(adapter.0)) {
            self.drop_interface(adapter.0);
            self.state.adapter = None;
        }
    }

    fn ics_running(&self) -> bool {
        self.ics_running
    }

    fn is_masq_process(&self, pid: u32) -> bool {
        self.live_masq_pids.contains(&pid)
    }
}
