//! What both event loops (Unix `event_loop.rs`, Windows `event_loop_windows.rs`) share: their
//! inputs, how they answer the control queries (`query.rs`), and how a socket event or a
//! query reaches the engine. Only the way packets reach and leave the adapter differs per OS.

use std::time::{Duration, Instant};

use masq_engine::Engine;
use masq_platform::sockets::Uplink;
use masq_platform::{InboundObserver, TunDevice};
use tokio::sync::{mpsc, oneshot};

use super::query::{ForwardChange, Query};
use super::sockets::{ShellEvent, Sockets};
use super::uplink_switch::UplinkSwitch;

/// Inputs handled per wake-up before the loop looks at the other inputs again.
pub(crate) const BUDGET: usize = 256;

/// Everything an event loop runs with.
pub(crate) struct LoopParts {
    pub engine: Engine,
    pub tun: TunDevice,
    pub uplink: Uplink,
    pub observer: Option<InboundObserver>,
    pub queries: mpsc::Receiver<Query>,
    /// Uplink moves from the roaming follower (`uplink_watch.rs`).
    pub uplink_switches: mpsc::Receiver<UplinkSwitch>,
    pub stop: oneshot::Receiver<()>,
}

/// Hands one socket task's report to the engine.
pub(crate) fn handle_event(engine: &mut Engine, sockets: &mut Sockets, ev: ShellEvent) {
    let now = Instant::now();
    match ev {
        ShellEvent::Socket(event) => engine.handle_socket_event(now, event.borrowed()),
        ShellEvent::Accepted {
            listener,
            stream,
            peer,
            local,
        } => match engine.handle_tcp_accepted(now, listener, peer, local) {
            Some(id) => sockets.adopt_tcp(id, stream, peer),
            // Refused (limits, forward gone): the remote gets a reset, not a hang.
            None => reset(stream),
        },
    }
}

/// Answers one control query from the engine's state.
pub(crate) fn answer(engine: &mut Engine, q: Query) {
    let now = Instant::now();
    match q {
        Query::Status(tx) => {
            let _ = tx.send(engine.status());
        }
        Query::Translations(tx) => {
            let _ = tx.send(engine.translations(now));
        }
        Query::Inbound(tx) => {
            let _ = tx.send(engine.inbound_attempts(now));
        }
        Query::ClearInbound => engine.clear_inbound(),
        Query::Forwards(tx) => {
            let _ = tx.send(engine.forwards(now));
        }
        Query::ChangeForward(change, tx) => {
            let result = match change {
                ForwardChange::Add(spec) => engine.add_forward(now, spec, None).map(drop),
                ForwardChange::Update(key, spec) => engine.update_forward(now, key, spec).map(drop),
                ForwardChange::Remove(key) => engine.remove_forward(now, key).map(drop),
                ForwardChange::SetEnabled(key, on) => engine.set_forward_enabled(now, key, on),
            };
            let _ = tx.send(result);
        }
        Query::SetClientLimits(limits, tx) => {
            let _ = tx.send(engine.set_client_limits(now, limits));
        }
        Query::PortMap(exchange) => super::port_mapping::answer(engine, now, exchange),
    }
}

/// Drops an accepted connection with a reset (SO_LINGER 0), so the remote learns at once.
fn reset(stream: super::sockets::Accepted) {
    if let Err(e) = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)) {
        tracing::debug!(error = %e, "could not arm RST for a refused forwarded connection");
    }
}
