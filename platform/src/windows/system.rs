//! The real [`System`]: IP Helper for interfaces, addresses, routes and forwarding, Wintun for
//! the adapter, the service manager and the process table for the probes. The sequences that
//! use it live in `win_logic` and are tested there against a fake.

use std::io;
use std::net::{IpAddr, Ipv4Addr};

use windows_sys::Win32::Networking::WinSock::RouterDiscoveryDisabled;

use super::adapter::TunDevice;
use super::interfaces::info_of;
use super::iphelper;
use super::probes;
use crate::win_logic::system::{AddressAdd, Ipv4Settings, Luid, System};
use crate::{CleanupOutcome, InterfaceInfo, PlatformError};

/// The Windows host itself.
#[derive(Debug, Default)]
pub(crate) struct Win32;

impl System for Win32 {
    type Adapter = TunDevice;

    fn interface(&self, alias: &str) -> io::Result<InterfaceInfo> {
        let luid = iphelper::luid_by_alias(alias)?;
        info_of(luid, alias).map_err(|e| match e {
            PlatformError::InterfaceQuery { source, .. } => source,
            other => io::Error::other(other.to_string()),
        })
    }

    fn luid(&self, alias: &str) -> io::Result<Luid> {
        iphelper::luid_by_alias(alias)
    }

    fn alias(&self, luid: Luid) -> io::Result<String> {
        iphelper::alias_of(luid)
    }

    fn is_up(&self, luid: Luid) -> io::Result<bool> {
        iphelper::is_up(luid)
    }

    fn ipv4_settings(&self, luid: Luid) -> io::Result<Ipv4Settings> {
        let row = iphelper::ipv4_settings(luid)?;
        Ok(Ipv4Settings {
            forwarding: row.ForwardingEnabled,
            weak_host_send: row.WeakHostSend,
            weak_host_receive: row.WeakHostReceive,
        })
    }

    fn set_forwarding(&mut self, luid: Luid, on: bool) -> io::Result<()> {
        let mut row = iphelper::ipv4_settings(luid)?;
        row.ForwardingEnabled = on;
        iphelper::set_ipv4_settings(row)
    }

    fn ipv4_addresses(&self) -> io::Result<Vec<(Luid, Ipv4Addr, u8)>> {
        Ok(iphelper::all_addresses()?
            .into_iter()
            .filter_map(|(luid, addr, prefix)| match addr {
                IpAddr::V4(a) => Some((luid, a, prefix)),
                IpAddr::V6(_) => None,
            })
            .collect())
    }

    fn add_address(&mut self, luid: Luid, addr: Ipv4Addr, prefix: u8) -> io::Result<AddressAdd> {
        iphelper::add_address(luid, addr, prefix)
    }

    fn delete_address(
        &mut self,
        luid: Luid,
        addr: Ipv4Addr,
        prefix: u8,
    ) -> io::Result<CleanupOutcome> {
        iphelper::delete_address(luid, addr, prefix)
    }

    fn add_route(
        &mut self,
        luid: Luid,
        destination: Ipv4Addr,
        prefix: u8,
        metric: u32,
    ) -> io::Result<()> {
        iphelper::add_route(luid, destination, prefix, metric)
    }

    fn delete_route(
        &mut self,
        luid: Luid,
        destination: Ipv4Addr,
        prefix: u8,
    ) -> io::Result<CleanupOutcome> {
        iphelper::delete_route(luid, destination, prefix)
    }

    fn create_adapter(&mut self, mtu: u16) -> io::Result<TunDevice> {
        TunDevice::create(mtu)
    }

    fn adapter_luid(&self, adapter: &TunDevice) -> Luid {
        adapter.luid()
    }

    fn configure_adapter(&mut self, luid: Luid, mtu: u16) -> io::Result<()> {
        let mut row = iphelper::ipv4_settings(luid)?;
        row.ForwardingEnabled = true;
        row.UseAutomaticMetric = false;
        row.Metric = 0;
        row.NlMtu = u32::from(mtu);
        row.DadTransmits = 0;
        row.RouterDiscoveryBehavior = RouterDiscoveryDisabled;
        iphelper::set_ipv4_settings(row)
    }

    fn remove_adapter(&mut self, adapter: TunDevice) {
        // The last handle closing removes an adapter this process created.
        drop(adapter);
    }

    fn ics_running(&self) -> bool {
        probes::ics_running()
    }

    fn is_masq_process(&self, pid: u32) -> bool {
        probes::is_masq_process(pid)
    }
}
