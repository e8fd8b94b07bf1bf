//! Glue between the NAT-PMP/PCP server (`masq_services::portmap`) and the engine's port
//! forwards: each mapping a LAN client is granted becomes a forward with the client as owner
//! and an expiry, listed by `masq forward list` and removable by the user like any other.
//!
//! The server's socket task sends each request to the event loop as a [`Query::PortMap`];
//! the loop decides it with [`answer`] against [`EngineTable`], the forward table seen
//! through the server's `MappingTable` trait. The engine removes expired mappings itself.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use masq_control::{LanCidr, Settings};
use masq_engine::{
    Engine, ForwardError, ForwardKey, ForwardOrigin, ForwardProtocol, ForwardSpec, PortMapProtocol,
    PortRange,
};
use masq_platform::sockets::Uplink;
use masq_platform::{InterfaceInfo, Ipv4Net};
use masq_services::LanLink;
use masq_services::portmap::SERVER_PORT;
use masq_services::portmap::listen::{Exchange, PortMapListener};
use masq_services::portmap::policy::Policy;
use masq_services::portmap::server::Server;
use masq_services::portmap::table::{
    ClientMapping, MapProtocol, MapRefusal, MappingTable, RequestedVia,
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error};

use super::query::Query;

/// Requests queued between the socket task and the event loop.
const QUEUE: usize = 64;

/// Starts the server at the gateway's LAN address. It runs even when `[port_mapping]` is
/// off, answering "not authorized" so apps stop asking at once; failing to bind then is
/// only logged at debug level.
pub(super) fn start(
    settings: &Settings,
    lan_if: &InterfaceInfo,
    lan_net: Ipv4Net,
    uplink: watch::Receiver<Uplink>,
    queries: mpsc::Sender<Query>,
) -> Option<PortMapListener> {
    let enabled = settings.port_mapping.enabled;
    let lan = match LanCidr::new(lan_net.addr(), lan_net.prefix_len()) {
        Ok(l) => l,
        Err(e) => {
            if enabled {
                error!(lan = %lan_net, "the LAN address cannot host the port-mapping server ({e}); it stays off");
            }
            return None;
        }
    };
    let server = Server::new(Policy::new(&settings.port_mapping, lan), Instant::now());
    let (tx, mut rx) = mpsc::channel::<Exchange>(QUEUE);
    let addr = SocketAddrV4::new(lan.addr(), SERVER_PORT);
    let link = LanLink {
        name: lan_if.name.clone(),
        index: lan_if.index,
        address: lan_net.addr(),
    };
    match PortMapListener::start(&link, addr, server, uplink, tx) {
        Ok(listener) => {
            tokio::spawn(async move {
                while let Some(exchange) = rx.recv().await {
                    if queries.send(Query::PortMap(exchange)).await.is_err() {
                        break;
                    }
                }
            });
            Some(listener)
        }
        Err(e) if enabled => {
            error!("{e}");
            None
        }
        Err(e) => {
            debug!("port mapping is off and its socket cannot open either: {e}");
            None
        }
    }
}

/// Decides one port-mapping request in the event loop, which owns the engine.
pub(super) fn answer(engine: &mut Engine, now: Instant, exchange: Exchange) {
    exchange.answer(now, &mut EngineTable { engine, now });
}

/// The engine's forward table as the port-mapping server sees it.
pub(super) struct EngineTable<'a> {
    engine: &'a mut Engine,
    now: Instant,
}

fn forward_protocol(p: MapProtocol) -> ForwardProtocol {
    match p {
        MapProtocol::Tcp => ForwardProtocol::Tcp,
        MapProtocol::Udp => ForwardProtocol::Udp,
    }
}

fn key(m: &ClientMapping) -> ForwardKey {
    ForwardKey {
        protocol: forward_protocol(m.protocol),
        port: m.external_port,
    }
}

fn origin(m: &ClientMapping) -> ForwardOrigin {
    let (protocol, nonce) = match m.via {
        RequestedVia::NatPmp => (PortMapProtocol::NatPmp, None),
        RequestedVia::Pcp { nonce } => (PortMapProtocol::Pcp, Some(nonce)),
    };
    ForwardOrigin::PortMap {
        client: m.client,
        protocol,
        nonce,
    }
}

fn refusal(m: &ClientMapping, e: ForwardError) -> MapRefusal {
    match e {
        ForwardError::Overlaps { .. } => MapRefusal::PortTaken {
            protocol: m.protocol,
            port: m.external_port,
        },
        other => MapRefusal::Unavailable(other.to_string()),
    }
}

impl MappingTable for EngineTable<'_> {
    fn mappings_of(&self, client: Ipv4Addr) -> Vec<ClientMapping> {
        self.engine
            .forwards(self.now)
            .into_iter()
            .filter_map(|f| {
                let ForwardOrigin::PortMap {
                    client: owner,
                    protocol,
                    nonce,
                } = f.spec.origin
                else {
                    return None;
                };
                if owner != client {
                    return None;
                }
                let via = match (protocol, nonce) {
                    (PortMapProtocol::NatPmp, _) => RequestedVia::NatPmp,
                    (PortMapProtocol::Pcp, n) => RequestedVia::Pcp {
                        nonce: n.unwrap_or_default(),
                    },
                };
                Some(ClientMapping {
                    client,
                    protocol: match f.spec.protocol {
                        ForwardProtocol::Tcp => MapProtocol::Tcp,
                        ForwardProtocol::Udp => MapProtocol::Udp,
                    },
                    internal_port: f.spec.target.port(),
                    external_port: f.spec.public.first(),
                    via,
                })
            })
            .collect()
    }

    fn port_taken(&self, protocol: MapProtocol, external_port: u16) -> bool {
        let protocol = forward_protocol(protocol);
        self.engine
            .forwards(self.now)
            .iter()
            .any(|f| f.spec.protocol == protocol && f.spec.public.contains(external_port))
    }

    fn open(&mut self, m: &ClientMapping, lifetime: Duration) -> Result<(), MapRefusal> {
        let public = PortRange::single(m.external_port).map_err(|e| refusal(m, e.into()))?;
        let spec = ForwardSpec {
            protocol: forward_protocol(m.protocol),
            public,
            target: SocketAddrV4::new(m.client, m.internal_port),
            origin: origin(m),
            enabled: true,
            name: None,
        };
        self.engine
            .add_forward(self.now, spec, Some(self.now + lifetime))
            .map(drop)
            .map_err(|e| refusal(m, e))
    }

    fn renew(&mut self, m: &ClientMapping, lifetime: Duration) -> Result<(), MapRefusal> {
        self.engine
            .renew_forward(key(m), Some(self.now + lifetime))
            .map_err(|e| refusal(m, e))
    }

    fn close(&mut self, m: &ClientMapping) {
        if let Err(e) = self.engine.remove_forward(self.now, key(m)) {
            debug!(forward = %key(m), "port mapping already gone: {e}");
        }
    }
}
