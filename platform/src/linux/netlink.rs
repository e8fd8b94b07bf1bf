//! rtnetlink requests of the Linux backend: links, addresses, routes and policy rules.
//!
//! Everything goes through netlink (never the `ip` tool), so errors come back as errno values
//! we can classify: deletions report "already gone" for the errno the kernel uses when the
//! object does not exist (ENODEV links, EADDRNOTAVAIL addresses, ESRCH routes, ENOENT rules),
//! which is what makes every undo step idempotent.
//!
//! A [`Netlink`] owns one rtnetlink socket whose connection task runs on the caller's tokio
//! runtime; the socket lives in the network namespace of the thread that opened it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
use rtnetlink::packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage};
use rtnetlink::packet_route::route::{
    RouteAttribute, RouteHeader, RouteMessage, RouteScope, RouteType,
};
use rtnetlink::packet_route::rule::{RuleAction, RuleMessage};
use rtnetlink::{AddressMessageBuilder, Handle, LinkUnspec, RouteMessageBuilder};

use crate::{CleanupOutcome, PlatformError};

/// An open rtnetlink connection; dropping it stops its connection task.
pub(crate) struct Netlink {
    handle: Handle,
    connection: tokio::task::JoinHandle<()>,
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

impl Netlink {
    /// Opens a connection on the current tokio runtime; `caller` names the public function for
    /// the error if there is no runtime.
    pub(crate) fn open(caller: &'static str) -> Result<Netlink, PlatformError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PlatformError::NoRuntime { what: caller })?;
        let (connection, handle, _) = {
            let _guard = runtime.enter();
            rtnetlink::new_connection().map_err(|source| PlatformError::Netlink {
                action: "open a netlink socket".into(),
                source,
            })?
        };
        let connection = runtime.spawn(connection);
        Ok(Netlink { handle, connection })
    }

    /// The link called `name`, if it exists.
    pub(crate) async fn link_by_name(
        &self,
        name: &str,
    ) -> Result<Option<LinkMessage>, PlatformError> {
        let mut request = self
            .handle
            .link()
            .get()
            .match_name(name.to_owned())
            .execute();
        absent_as_none(request.try_next().await, &[libc::ENODEV], || {
            format!("look up interface `{name}`")
        })
    }

    /// The name of the link with `index`, if it exists.
    pub(crate) async fn link_name(&self, index: u32) -> Result<Option<String>, PlatformError> {
        let mut request = self.handle.link().get().match_index(index).execute();
        let link = absent_as_none(request.try_next().await, &[libc::ENODEV], || {
            format!("look up interface #{index}")
        })?;
        Ok(link.and_then(|link| {
            link.attributes.into_iter().find_map(|attr| match attr {
                LinkAttribute::IfName(name) => Some(name),
                _ => None,
            })
        }))
    }

    /// Sets a link's MTU and brings it up.
    pub(crate) async fn set_up_with_mtu(
        &self,
        index: u32,
        name: &str,
        mtu: u32,
    ) -> Result<(), PlatformError> {
        let message = LinkUnspec::new_with_index(index).mtu(mtu).up().build();
        self.handle
            .link()
            .set(message)
            .execute()
            .await
            .map_err(|e| netlink_error(format!("set MTU {mtu} and bring up `{name}`"), &e))
    }

    /// Deletes a TUN link by name; a link of another kind is left alone and reported.
    pub(crate) async fn delete_tun(&self, name: &str) -> Result<CleanupOutcome, PlatformError> {
        let Some(link) = self.link_by_name(name).await? else {
            return Ok(CleanupOutcome::AlreadyGone);
        };
        if !is_tun(&link) {
            return Err(PlatformError::Conflict {
                what: format!("interface `{name}` (not a TUN adapter)"),
                advice: "masq did not create it and leaves it alone; remove the journal entry by hand if this is expected",
            });
        }
        let result = self.handle.link().del(link.header.index).execute().await;
        gone_ok(result, &[libc::ENODEV], || {
            format!("delete TUN adapter `{name}`")
        })
    }

    /// Adds an IPv4 or IPv6 address to a link. IPv6 addresses skip duplicate address
    /// detection: masq picks the gateway's address itself, and the DNS forwarder must bind it
    /// at once rather than after a second of it being tentative.
    pub(crate) async fn add_address(
        &self,
        index: u32,
        iface: &str,
        address: IpAddr,
        prefix: u8,
    ) -> Result<(), PlatformError> {
        let mut request = self.handle.address().add(index, address, prefix);
        if address.is_ipv6() {
            request
                .message_mut()
                .attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        request
            .execute()
            .await
            .map_err(|e| netlink_error(format!("add address {address}/{prefix} to `{iface}`"), &e))
    }

    /// Removes an IPv4 or IPv6 address from a link.
    pub(crate) async fn delete_address(
        &self,
        index: u32,
        iface: &str,
        address: IpAddr,
        prefix: u8,
    ) -> Result<CleanupOutcome, PlatformError> {
        let message = match address {
            IpAddr::V4(a) => AddressMessageBuilder::<Ipv4Addr>::new()
                .index(index)
                .address(a, prefix)
                .build(),
            IpAddr::V6(a) => AddressMessageBuilder::<Ipv6Addr>::new()
                .index(index)
                .address(a, prefix)
                .build(),
        };
        let result = self.handle.address().del(message).execute().await;
        gone_ok(result, &[libc::EADDRNOTAVAIL, libc::ENODEV], || {
            format!("remove address {address}/{prefix} from `{iface}`")
        })
    }

    /// Adds `destination/prefix dev <oif> table <table> scope link`.
    pub(crate) async fn add_route(
        &self,
        route: &RouteSpec<'_>,
        oif: u32,
    ) -> Result<(), PlatformError> {
        let result = self.handle.route().add(route.message(oif)).execute().await;
        match result {
            Err(e) if errno(&e) == Some(libc::EEXIST) => Err(PlatformError::Conflict {
                what: format!(
                    "a route to {}/{} in routing table {}",
                    route.destination, route.prefix, route.table
                ),
                advice: "another program uses this routing table; choose a free one with --route-table",
            }),
            other => other.map_err(|e| netlink_error(format!("add {route}"), &e)),
        }
    }

    /// Deletes a route added by [`Netlink::add_route`] through interface `oif`.
    pub(crate) async fn delete_route(
        &self,
        route: &RouteSpec<'_>,
        oif: u32,
    ) -> Result<CleanupOutcome, PlatformError> {
        let result = self.handle.route().del(route.message(oif)).execute().await;
        gone_ok(result, &[libc::ESRCH, libc::ENODEV], || {
            format!("delete {route}")
        })
    }

    /// Adds `iif <iif> lookup <table> priority <priority>` for IPv4, or IPv6 with `v6`.
    pub(crate) async fn add_rule(
        &self,
        iif: &str,
        table: u32,
        priority: u32,
        v6: bool,
    ) -> Result<(), PlatformError> {
        let result = if v6 {
            self.rule_request(iif, table, priority).v6().execute().await
        } else {
            self.rule_request(iif, table, priority).v4().execute().await
        };
        match result {
            Err(e) if errno(&e) == Some(libc::EEXIST) => Err(PlatformError::Conflict {
                what: format!("a rule with priority {priority} for `{iif}`"),
                advice: "another masq or another program set it up; stop it or choose another priority with --rule-priority",
            }),
            other => other.map_err(|e| {
                netlink_error(
                    format!("add rule `iif {iif} lookup {table} priority {priority}`"),
                    &e,
                )
            }),
        }
    }

    /// Deletes the rule added by [`Netlink::add_rule`].
    pub(crate) async fn delete_rule(
        &self,
        iif: &str,
        table: u32,
        priority: u32,
        v6: bool,
    ) -> Result<CleanupOutcome, PlatformError> {
        let message: RuleMessage = if v6 {
            self.rule_request(iif, table, priority)
                .v6()
                .message_mut()
                .clone()
        } else {
            self.rule_request(iif, table, priority)
                .v4()
                .message_mut()
                .clone()
        };
        let result = self.handle.rule().del(message).execute().await;
        gone_ok(result, &[libc::ENOENT], || {
            format!("delete rule `iif {iif} lookup {table} priority {priority}`")
        })
    }

    /// The outgoing interface of the preferred IPv4 (or, with `v6`, IPv6) default route in the
    /// main table.
    pub(crate) async fn default_route_oif(&self, v6: bool) -> Result<Option<u32>, PlatformError> {
        let query = if v6 {
            RouteMessageBuilder::<Ipv6Addr>::new().build()
        } else {
            RouteMessageBuilder::<Ipv4Addr>::new().build()
        };
        let mut stream = self.handle.route().get(query).execute();
        let mut best: Option<(u32, u32)> = None;
        loop {
            let route = match stream.try_next().await {
                Ok(Some(route)) => route,
                Ok(None) => break,
                Err(e) => return Err(netlink_error("list default routes".into(), &e)),
            };
            if let Some((metric, oif)) = main_default_route(&route) {
                if best.is_none_or(|(m, _)| metric < m) {
                    best = Some((metric, oif));
                }
            }
        }
        Ok(best.map(|(_, oif)| oif))
    }

    fn rule_request(&self, iif: &str, table: u32, priority: u32) -> rtnetlink::RuleAddRequest {
        self.handle
            .rule()
            .add()
            .input_interface(iif.to_owned())
            .table_id(table)
            .priority(priority)
            .action(RuleAction::ToTable)
    }
}

/// A route in masq's table, as added and deleted.
pub(crate) struct RouteSpec<'a> {
    pub(crate) table: u32,
    pub(crate) destination: IpAddr,
    pub(crate) prefix: u8,
    pub(crate) iface: &'a str,
}

impl RouteSpec<'_> {
    fn message(&self, oif: u32) -> RouteMessage {
        match self.destination {
            IpAddr::V4(d) => RouteMessageBuilder::<Ipv4Addr>::new()
                .table_id(self.table)
                .destination_prefix(d, self.prefix)
                .scope(RouteScope::Link)
                .output_interface(oif)
                .build(),
            // IPv6 routes have no link scope of their own: the kernel keeps them universe.
            IpAddr::V6(d) => RouteMessageBuilder::<Ipv6Addr>::new()
                .table_id(self.table)
                .destination_prefix(d, self.prefix)
                .output_interface(oif)
                .build(),
        }
    }
}

impl std::fmt::Display for RouteSpec<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "route `{}/{} dev {} table {}`",
            self.destination, self.prefix, self.iface, self.table
        )
    }
}

/// `(metric, oif)` if `route` is a unicast IPv4 default route of the main table.
fn main_default_route(route: &RouteMessage) -> Option<(u32, u32)> {
    let table = route
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(route.header.table));
    if table != u32::from(RouteHeader::RT_TABLE_MAIN)
        || route.header.destination_prefix_length != 0
        || route.header.kind != RouteType::Unicast
    {
        return None;
    }
    let metric = route
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Priority(p) => Some(*p),
            _ => None,
        })
        .unwrap_or(0);
    let oif = route.attributes.iter().find_map(|a| match a {
        RouteAttribute::Oif(oif) => Some(*oif),
        RouteAttribute::MultiPath(hops) => hops.first().map(|hop| hop.interface_index),
        _ => None,
    })?;
    Some((metric, oif))
}

fn is_tun(link: &LinkMessage) -> bool {
    link.attributes.iter().any(|attr| match attr {
        LinkAttribute::LinkInfo(infos) => infos
            .iter()
            .any(|info| matches!(info, LinkInfo::Kind(InfoKind::Tun))),
        _ => false,
    })
}

/// The errno of a netlink error reply, if it is one.
fn errno(err: &rtnetlink::Error) -> Option<i32> {
    match err {
        rtnetlink::Error::NetlinkError(message) => Some(message.raw_code().abs()),
        _ => None,
    }
}

fn to_io(err: &rtnetlink::Error) -> io::Error {
    match err {
        rtnetlink::Error::NetlinkError(message) => message.to_io(),
        other => io::Error::other(other.to_string()),
    }
}

fn netlink_error(action: String, err: &rtnetlink::Error) -> PlatformError {
    PlatformError::Netlink {
        action,
        source: to_io(err),
    }
}

/// Maps "does not exist" errnos of a lookup to `None`.
fn absent_as_none<T>(
    result: Result<Option<T>, rtnetlink::Error>,
    absent: &[i32],
    action: impl FnOnce() -> String,
) -> Result<Option<T>, PlatformError> {
    match result {
        Ok(found) => Ok(found),
        Err(e) if errno(&e).is_some_and(|code| absent.contains(&code)) => Ok(None),
        Err(e) => Err(netlink_error(action(), &e)),
    }
}

/// Maps the result of a deletion to an outcome, treating "does not exist" as already gone.
fn gone_ok(
    result: Result<(), rtnetlink::Error>,
    absent: &[i32],
    action: impl FnOnce() -> String,
) -> Result<CleanupOutcome, PlatformError> {
    match result {
        Ok(()) => Ok(CleanupOutcome::Undone),
        Err(e) if errno(&e).is_some_and(|code| absent.contains(&code)) => {
            Ok(CleanupOutcome::AlreadyGone)
        }
        Err(e) => Err(netlink_error(action(), &e)),
    }
}
