//! Carries out an uplink move inside the event loop, which owns the engine and the sockets:
//! new sockets go to the new uplink; the old ones are bound to an interface or address that no
//! longer carries them, so their conversations end now rather than hang.
//!
//! * TCP: the socket is aborted (RST toward the remote, if the old path still works) and the
//!   engine resets the LAN side (RST toward the hidden host), so applications reconnect at once
//!   over the new uplink instead of waiting for a timeout.
//! * UDP and ICMP: the mapping ends and its socket closes; the hidden host's next datagram
//!   opens a fresh mapping on the new uplink. (The remote sees a new source address either
//!   way; keeping the mapping would only keep its counters.)

use std::time::Instant;

use masq_engine::Engine;
use masq_platform::InboundObserver;
use masq_platform::sockets::Uplink;
use tracing::info;

use super::sockets::Sockets;

/// A change of uplink, sent by the follower (`uplink_watch.rs`) to the event loop.
#[derive(Debug)]
pub(crate) struct UplinkSwitch {
    /// The uplink new sockets are pinned to.
    pub uplink: Uplink,
    /// Whether the old sockets' conversations must end (a move), or only the sources of new
    /// sockets change (a rotated IPv6 address).
    pub reset: bool,
    /// The inbound observer on the new uplink, replacing the old one (`None`: keep it, or
    /// there is none).
    pub observer: Option<InboundObserver>,
}

/// Points the sockets at the new uplink and, for a move, ends every conversation on the old.
///
/// `Engine::reset_all` does exactly that for every flow: TCP gets an RST toward the hidden host
/// and an abort of its socket, UDP and ICMP mappings a close. It also closes the port
/// forwards' listeners, which are bound to the old uplink's address: they listen again on the
/// new one.
pub(crate) fn apply(
    engine: &mut Engine,
    sockets: &mut Sockets,
    switch: &UplinkSwitch,
    adapter: &str,
) {
    sockets.set_uplink(switch.uplink.clone());
    super::hairpin::point(engine, adapter, &switch.uplink);
    if !switch.reset {
        return;
    }
    let before = engine.status();
    let now = Instant::now();
    engine.reset_all(now);
    engine.restart_forwards(now);
    info!(
        uplink = %switch.uplink.name,
        tcp_reset = before.flows_tcp,
        mappings_ended = before.flows_udp + before.flows_icmp,
        "sockets moved to the new uplink"
    );
}
