//! The Windows calls that setting up, tearing down and repairing the gateway make, as a trait:
//! `windows/system.rs` carries them out with IP Helper, Wintun and the service manager, and
//! `fake.rs` models them in memory, so every sequence in `setup.rs` and `teardown.rs` is
//! tested on every OS (step order, rollback at each step, crash repair).
//!
//! The trait speaks in the terms Windows documents: interfaces found by alias and named by
//! LUID, addresses that may sit on another interface than the one asked for (IP Helper then
//! answers `ERROR_OBJECT_ALREADY_EXISTS`), per-interface forwarding, and a Wintun adapter that
//! only the process that created it can remove.

use std::io;
use std::net::Ipv4Addr;

use crate::{CleanupOutcome, InterfaceInfo};

/// An interface's locally unique identifier: what addresses, routes and settings attach to.
/// Unlike an index it survives a driver restart; unlike an alias it cannot be renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Luid(pub u64);

/// The per-interface IPv4 switches the conflict check and the steering read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ipv4Settings {
    /// ForwardingEnabled: the interface routes packets it receives that are not for the host.
    pub forwarding: bool,
    /// WeakHostSend: the interface sends packets whose source belongs to another interface.
    pub weak_host_send: bool,
    /// WeakHostReceive: the interface accepts packets for another interface's address.
    pub weak_host_receive: bool,
}

/// What adding an address did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressAdd {
    /// The address is now on the interface.
    Added,
    /// Windows refused with `ERROR_OBJECT_ALREADY_EXISTS`: the address is on this interface
    /// already, or on another one (ICS and Mobile Hotspot leave 192.168.137.1 on adapters that
    /// are often disconnected). The caller must find out which.
    AlreadyExists,
}

/// The system calls the Windows backend makes to start, stop and repair the gateway.
pub(crate) trait System {
    /// masq's open Wintun adapter (its session); dropping it closes the session.
    type Adapter;

    /// Addresses, index and MTU of the interface called `alias`; `NotFound` if none is.
    fn interface(&self, alias: &str) -> io::Result<InterfaceInfo>;
    /// The LUID of the interface called `alias`; `NotFound` if none is.
    fn luid(&self, alias: &str) -> io::Result<Luid>;
    /// The alias of `luid`, for messages.
    fn alias(&self, luid: Luid) -> io::Result<String>;
    /// Whether the interface is operationally up (connected).
    fn is_up(&self, luid: Luid) -> io::Result<bool>;
    /// The interface's IPv4 forwarding and weak-host-send switches.
    fn ipv4_settings(&self, luid: Luid) -> io::Result<Ipv4Settings>;
    /// Turns IPv4 forwarding of the interface on or off.
    fn set_forwarding(&mut self, luid: Luid, on: bool) -> io::Result<()>;
    /// Every IPv4 unicast address of the host, with its interface and prefix length.
    fn ipv4_addresses(&self) -> io::Result<Vec<(Luid, Ipv4Addr, u8)>>;
    /// Adds `addr/prefix` to the interface.
    fn add_address(&mut self, luid: Luid, addr: Ipv4Addr, prefix: u8) -> io::Result<AddressAdd>;
    /// Removes `addr/prefix` from the interface; `AlreadyGone` if it is not there.
    fn delete_address(
        &mut self,
        luid: Luid,
        addr: Ipv4Addr,
        prefix: u8,
    ) -> io::Result<CleanupOutcome>;
    /// Adds the on-link route `destination/prefix` on the interface.
    fn add_route(
        &mut self,
        luid: Luid,
        destination: Ipv4Addr,
        prefix: u8,
        metric: u32,
    ) -> io::Result<()>;
    /// Deletes that route; `AlreadyGone` if it is not there.
    fn delete_route(
        &mut self,
        luid: Luid,
        destination: Ipv4Addr,
        prefix: u8,
    ) -> io::Result<CleanupOutcome>;
    /// Creates masq's adapter and starts its session. An adapter of that name that already
    /// exists belongs to a live process (Wintun removes an adapter with the process that
    /// created it), so this fails rather than share it.
    fn create_adapter(&mut self, mtu: u16) -> io::Result<Self::Adapter>;
    /// The adapter's LUID.
    fn adapter_luid(&self, adapter: &Self::Adapter) -> Luid;
    /// Forwarding on, metric 0, router discovery and DAD off, the MTU: settings that vanish
    /// with the adapter, so they are not journaled.
    fn configure_adapter(&mut self, luid: Luid, mtu: u16) -> io::Result<()>;
    /// Closes the adapter this process created, which removes it.
    fn remove_adapter(&mut self, adapter: Self::Adapter);
    /// Whether the SharedAccess service (ICS, Mobile Hotspot) is running.
    fn ics_running(&self) -> bool;
    /// Whether `pid` is alive and runs masq (PIDs are reused).
    fn is_masq_process(&self, pid: u32) -> bool;
}
