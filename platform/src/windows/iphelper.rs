//! Thin, checked wrappers over the IP Helper calls the Windows backend makes: interface lookup
//! by alias, per-interface IPv4 settings, unicast addresses and routes.
//!
//! Every function turns a `WIN32_ERROR` into an `io::Error` carrying the OS code, and returns
//! owned Rust values; no pointer into an IP Helper table outlives the call that freed it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use windows_sys::Win32::Foundation::{ERROR_NOT_FOUND, ERROR_OBJECT_ALREADY_EXISTS, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    ConvertInterfaceAliasToLuid, ConvertInterfaceLuidToAlias, ConvertInterfaceLuidToIndex,
    CreateIpForwardEntry2, CreateUnicastIpAddressEntry, DeleteIpForwardEntry2,
    DeleteUnicastIpAddressEntry, FreeMibTable, GetIfEntry2, GetIfTable2, GetIpForwardTable2,
    GetIpInterfaceEntry, GetUnicastIpAddressTable, InitializeIpForwardEntry,
    InitializeIpInterfaceEntry, InitializeUnicastIpAddressEntry, MIB_IF_ROW2, MIB_IF_TABLE2,
    MIB_IPFORWARD_ROW2, MIB_IPFORWARD_TABLE2, MIB_IPINTERFACE_ROW, MIB_UNICASTIPADDRESS_ROW,
    MIB_UNICASTIPADDRESS_TABLE, SetIpInterfaceEntry,
};
use windows_sys::Win32::NetworkManagement::Ndis::{IfOperStatusUp, NET_LUID_LH};
use windows_sys::Win32::Networking::WinSock::{
    AF_INET, AF_INET6, AF_UNSPEC, IN_ADDR, IN_ADDR_0, IpDadStatePreferred, MIB_IPPROTO_NETMGMT,
    SOCKADDR_IN, SOCKADDR_INET,
};

use crate::CleanupOutcome;
use crate::win_logic::default_route::RouteRow;
use crate::win_logic::system::AddressAdd;
pub(crate) use crate::win_logic::system::Luid;

impl Luid {
    fn raw(self) -> NET_LUID_LH {
        NET_LUID_LH { Value: self.0 }
    }

    fn from_raw(raw: NET_LUID_LH) -> Luid {
        // SAFETY: every bit pattern of the union is a valid u64.
        Luid(unsafe { raw.Value })
    }
}

fn check(code: u32, what: &str) -> io::Result<()> {
    if code == NO_ERROR {
        Ok(())
    } else {
        let os = io::Error::from_raw_os_error(code as i32);
        Err(io::Error::new(os.kind(), format!("{what}: {os}")))
    }
}

/// UTF-16, NUL-terminated, for the wide-string APIs.
pub(crate) fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The LUID of the interface whose alias is `alias`; `NotFound` if there is none.
pub(crate) fn luid_by_alias(alias: &str) -> io::Result<Luid> {
    let name = wide(alias);
    let mut luid = NET_LUID_LH { Value: 0 };
    // SAFETY: `name` is NUL-terminated and outlives the call; `luid` is a valid out pointer.
    let code = unsafe { ConvertInterfaceAliasToLuid(name.as_ptr(), &mut luid) };
    check(code, &format!("look up interface \"{alias}\""))?;
    Ok(Luid::from_raw(luid))
}

/// The interface index of `luid`.
pub(crate) fn index_of(luid: Luid) -> io::Result<u32> {
    let raw = luid.raw();
    let mut index = 0u32;
    // SAFETY: both pointers are valid for the call.
    let code = unsafe { ConvertInterfaceLuidToIndex(&raw, &mut index) };
    check(code, "read an interface index")?;
    Ok(index)
}

/// The alias ("Wi-Fi", "Ethernet 2") of `luid`.
pub(crate) fn alias_of(luid: Luid) -> io::Result<String> {
    let raw = luid.raw();
    // NDIS_IF_MAX_STRING_SIZE + 1.
    let mut buf = [0u16; 257];
    // SAFETY: `buf` is writable for its full length, which is passed.
    let code = unsafe { ConvertInterfaceLuidToAlias(&raw, buf.as_mut_ptr(), buf.len()) };
    check(code, "read an interface name")?;
    let len = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    Ok(String::from_utf16_lossy(&buf[..len]))
}

/// One row of the interface table, as the interface list needs it.
pub(crate) struct IfRow {
    pub(crate) luid: Luid,
    pub(crate) alias: String,
    pub(crate) clues: crate::WindowsClues,
    pub(crate) up: bool,
}

fn wide_str(buf: &[u16]) -> String {
    let len = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    String::from_utf16_lossy(&buf[..len])
}

/// Every interface a user could mean: NDIS filter layers (the "-WFP Native MAC Layer
/// LightWeight Filter-0000" copies of each adapter) are left out.
pub(crate) fn interface_table() -> io::Result<Vec<IfRow>> {
    // MIB_IF_ROW2's InterfaceAndOperStatusFlags bits.
    const HARDWARE_INTERFACE: u8 = 1 << 0;
    const FILTER_INTERFACE: u8 = 1 << 1;
    let mut table: *mut MIB_IF_TABLE2 = std::ptr::null_mut();
    // SAFETY: `table` is a valid out pointer; the table is freed below.
    let code = unsafe { GetIfTable2(&mut table) };
    check(code, "list interfaces")?;
    let mut out = Vec::new();
    // SAFETY: on success `table` points at NumEntries rows, valid until FreeMibTable.
    unsafe {
        let rows =
            std::slice::from_raw_parts((*table).Table.as_ptr(), (*table).NumEntries as usize);
        for row in rows {
            let flags = row.InterfaceAndOperStatusFlags._bitfield;
            if flags & FILTER_INTERFACE != 0 {
                continue;
            }
            out.push(IfRow {
                luid: Luid::from_raw(row.InterfaceLuid),
                alias: wide_str(&row.Alias),
                clues: crate::WindowsClues {
                    if_type: row.Type,
                    description: wide_str(&row.Description),
                    hardware: flags & HARDWARE_INTERFACE != 0,
                },
                up: row.OperStatus == IfOperStatusUp,
            });
        }
        FreeMibTable(table.cast());
    }
    Ok(out)
}

/// The IPv4 settings row of an interface (forwarding, weak host, metric, MTU, ...).
pub(crate) fn ipv4_settings(luid: Luid) -> io::Result<MIB_IPINTERFACE_ROW> {
    let mut row = MIB_IPINTERFACE_ROW::default();
    // SAFETY: `row` is a valid, writable row.
    unsafe { InitializeIpInterfaceEntry(&mut row) };
    row.Family = AF_INET;
    row.InterfaceLuid = luid.raw();
    // SAFETY: as above; Family and InterfaceLuid select the row to read.
    let code = unsafe { GetIpInterfaceEntry(&mut row) };
    check(code, "read the interface's IPv4 settings")?;
    Ok(row)
}

/// Writes back a row read by [`ipv4_settings`] after changing some fields.
pub(crate) fn set_ipv4_settings(mut row: MIB_IPINTERFACE_ROW) -> io::Result<()> {
    // SetIpInterfaceEntry rejects IPv4 rows with a site prefix length.
    row.SitePrefixLength = 0;
    // SAFETY: `row` is a complete row as read from the system.
    let code = unsafe { SetIpInterfaceEntry(&mut row) };
    check(code, "change the interface's IPv4 settings")
}

/// Whether the interface is operationally up (connected).
pub(crate) fn is_up(luid: Luid) -> io::Result<bool> {
    let mut row = MIB_IF_ROW2 {
        InterfaceLuid: luid.raw(),
        ..Default::default()
    };
    // SAFETY: `row` is a valid, writable row; InterfaceLuid selects the interface.
    let code = unsafe { GetIfEntry2(&mut row) };
    check(code, "read the interface's state")?;
    Ok(row.OperStatus == IfOperStatusUp)
}

/// An interface's addresses with their prefix lengths: IPv4, then IPv6.
pub(crate) type Addresses = (Vec<(Ipv4Addr, u8)>, Vec<(Ipv6Addr, u8)>);

/// Every unicast address of `luid`, IPv4 and IPv6, with prefix lengths.
pub(crate) fn addresses(luid: Luid) -> io::Result<Addresses> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for (owner, address, prefix) in all_addresses()? {
        match address {
            IpAddr::V4(a) if owner == luid => v4.push((a, prefix)),
            IpAddr::V6(a) if owner == luid => v6.push((a, prefix)),
            _ => {}
        }
    }
    Ok((v4, v6))
}

/// Every unicast address of the host, with the interface holding it and its prefix length.
pub(crate) fn all_addresses() -> io::Result<Vec<(Luid, IpAddr, u8)>> {
    let mut table: *mut MIB_UNICASTIPADDRESS_TABLE = std::ptr::null_mut();
    // SAFETY: `table` is a valid out pointer; the table is freed below.
    let code = unsafe { GetUnicastIpAddressTable(AF_UNSPEC, &mut table) };
    check(code, "list unicast addresses")?;
    let mut all = Vec::new();
    // SAFETY: on success `table` points at NumEntries rows, valid until FreeMibTable.
    unsafe {
        let rows =
            std::slice::from_raw_parts((*table).Table.as_ptr(), (*table).NumEntries as usize);
        for row in rows {
            let address = match row.Address.si_family {
                AF_INET => IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    row.Address.Ipv4.sin_addr.S_un.S_addr,
                ))),
                AF_INET6 => IpAddr::V6(Ipv6Addr::from(row.Address.Ipv6.sin6_addr.u.Byte)),
                _ => continue,
            };
            all.push((
                Luid::from_raw(row.InterfaceLuid),
                address,
                row.OnLinkPrefixLength,
            ));
        }
        FreeMibTable(table.cast());
    }
    Ok(all)
}

fn sockaddr_v4(addr: Ipv4Addr) -> SOCKADDR_INET {
    SOCKADDR_INET {
        Ipv4: SOCKADDR_IN {
            sin_family: AF_INET,
            sin_port: 0,
            sin_addr: IN_ADDR {
                S_un: IN_ADDR_0 {
                    S_addr: u32::from(addr).to_be(),
                },
            },
            sin_zero: [0; 8],
        },
    }
}

fn address_row(luid: Luid, addr: Ipv4Addr, prefix: u8) -> MIB_UNICASTIPADDRESS_ROW {
    let mut row = MIB_UNICASTIPADDRESS_ROW::default();
    // SAFETY: `row` is a valid, writable row.
    unsafe { InitializeUnicastIpAddressEntry(&mut row) };
    row.Address = sockaddr_v4(addr);
    row.InterfaceLuid = luid.raw();
    row.OnLinkPrefixLength = prefix;
    row.DadState = IpDadStatePreferred;
    row
}

/// Adds `addr/prefix` to an interface. "Already exists" is not success: the address may sit
/// on another interface (see `win_logic::setup`).
pub(crate) fn add_address(luid: Luid, addr: Ipv4Addr, prefix: u8) -> io::Result<AddressAdd> {
    let row = address_row(luid, addr, prefix);
    // SAFETY: `row` is fully initialized.
    let code = unsafe { CreateUnicastIpAddressEntry(&row) };
    if code == ERROR_OBJECT_ALREADY_EXISTS {
        return Ok(AddressAdd::AlreadyExists);
    }
    check(code, &format!("add address {addr}/{prefix}"))?;
    Ok(AddressAdd::Added)
}

/// Removes `addr/prefix` from an interface.
pub(crate) fn delete_address(luid: Luid, addr: Ipv4Addr, prefix: u8) -> io::Result<CleanupOutcome> {
    let row = address_row(luid, addr, prefix);
    // SAFETY: `row` is fully initialized.
    let code = unsafe { DeleteUnicastIpAddressEntry(&row) };
    if code == ERROR_NOT_FOUND {
        return Ok(CleanupOutcome::AlreadyGone);
    }
    check(code, &format!("delete address {addr}/{prefix}"))?;
    Ok(CleanupOutcome::Undone)
}

fn route_row(luid: Luid, destination: Ipv4Addr, prefix: u8, metric: u32) -> MIB_IPFORWARD_ROW2 {
    let mut row = MIB_IPFORWARD_ROW2::default();
    // SAFETY: `row` is a valid, writable row.
    unsafe { InitializeIpForwardEntry(&mut row) };
    row.InterfaceLuid = luid.raw();
    row.DestinationPrefix.Prefix = sockaddr_v4(destination);
    row.DestinationPrefix.PrefixLength = prefix;
    // On-link: the adapter is point-to-point, there is no next hop.
    row.NextHop = sockaddr_v4(Ipv4Addr::UNSPECIFIED);
    // InitializeIpForwardEntry leaves these at illegal values on purpose.
    row.Metric = metric;
    row.Protocol = MIB_IPPROTO_NETMGMT;
    row.SitePrefixLength = 0;
    row
}

/// Adds the on-link route `destination/prefix` on an interface.
pub(crate) fn add_route(
    luid: Luid,
    destination: Ipv4Addr,
    prefix: u8,
    metric: u32,
) -> io::Result<()> {
    let row = route_row(luid, destination, prefix, metric);
    // SAFETY: `row` is fully initialized.
    let code = unsafe { CreateIpForwardEntry2(&row) };
    check(code, &format!("add route {destination}/{prefix}"))
}

/// Deletes the on-link route `destination/prefix` of an interface.
pub(crate) fn delete_route(
    luid: Luid,
    destination: Ipv4Addr,
    prefix: u8,
) -> io::Result<CleanupOutcome> {
    let row = route_row(luid, destination, prefix, 0);
    // SAFETY: `row` is fully initialized; deletion matches on LUID, prefix and next hop.
    let code = unsafe { DeleteIpForwardEntry2(&row) };
    if code == ERROR_NOT_FOUND {
        return Ok(CleanupOutcome::AlreadyGone);
    }
    check(code, &format!("delete route {destination}/{prefix}"))?;
    Ok(CleanupOutcome::Undone)
}

/// The IPv4 forwarding table, as the rows the uplink choice needs (metric includes the
/// interface metric, as Windows ranks routes).
pub(crate) fn ipv4_routes() -> io::Result<Vec<RouteRow>> {
    let mut table: *mut MIB_IPFORWARD_TABLE2 = std::ptr::null_mut();
    // SAFETY: `table` is a valid out pointer; the table is freed below.
    let code = unsafe { GetIpForwardTable2(AF_INET, &mut table) };
    check(code, "read the IPv4 routing table")?;
    let mut rows = Vec::new();
    // SAFETY: on success `table` points at NumEntries rows, valid until FreeMibTable.
    unsafe {
        let entries =
            std::slice::from_raw_parts((*table).Table.as_ptr(), (*table).NumEntries as usize);
        for e in entries {
            let luid = Luid::from_raw(e.InterfaceLuid);
            let iface_metric = ipv4_settings(luid)
                .map(|r| r.Metric)
                .unwrap_or(u32::MAX / 2);
            rows.push(RouteRow {
                luid: luid.0,
                index: e.InterfaceIndex,
                prefix_len: e.DestinationPrefix.PrefixLength,
                metric: e.Metric.saturating_add(iface_metric),
            });
        }
        FreeMibTable(table.cast());
    }
    Ok(rows)
}
