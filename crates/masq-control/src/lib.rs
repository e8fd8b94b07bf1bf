//! # masq-control: the local control API of masq
//!
//! One versioned protocol, shared by the `masq` CLI, the daemon and the GUI: newline-delimited
//! JSON over a Unix socket, or a named pipe on Windows (`\\.\pipe\masq-control` by default).
//! Every message is one line in an envelope:
//!
//! ```text
//! → {"v":1,"id":1,"request":{"type":"status"}}
//! ← {"v":1,"id":1,"ok":{"type":"status","data":{"running":true,…}}}
//! → {"v":1,"id":2,"request":{"type":"start"}}
//! ← {"v":1,"id":2,"error":{"code":"already_running","message":"…"}}
//! → {"v":1,"id":3,"request":{"type":"subscribe","interval_ms":1000}}
//! ← {"v":1,"id":3,"event":{"type":"update","status":{…},"translations":{…},"inbound":[…]}}
//! ```
//!
//! The daemon side is [`bind`] + [`serve`]: the server owns the sockets, lets only allowed
//! local users in (the peer's uid on unix, the pipe's ACL on Windows), answers malformed input
//! with errors (never by panicking or hanging up silently), implements subscriptions by
//! polling, and hands every other request to the engine loop as a [`HandlerCall`]. The client side is [`Client`] (blocking) or [`AsyncClient`] (tokio).
//! [`Settings`] is the document users edit, validated by [`Settings::validate`].

#![warn(missing_docs)]

mod answer;
mod async_client;
mod client_error;
mod clients;
mod connection;
pub mod diff;
mod engine_settings;
mod engine_status;
pub mod envelope;
mod event;
mod forward_view;
pub mod framing;
mod handler;
mod ipv6_settings;
mod lan_cidr;
mod lan_settings;
mod log_lines;
mod mac;
mod port_mapping_settings;
mod request;
mod response;
mod roaming;
mod role;
mod settings;
mod settings_error;
mod setup_check;
mod subscription;
mod translation;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as platform;
#[cfg(unix)]
pub use unix::{Client, ControlListener, Subscription, bind, serve};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as platform;
#[cfg(windows)]
pub use windows::{Client, ControlListener, Subscription, bind, current_user_sid, serve};
#[cfg(any(windows, test))]
mod pipe_name;
#[cfg(any(windows, test))]
mod pipe_sddl;

pub use async_client::{AsyncClient, AsyncSubscription};
pub use client_error::ClientError;
pub use clients::{
    Assignment, DnsCounters, ForeignDhcpServer, Ipv6Status, LanClient, LanServicesReport,
    ServiceState,
};
pub use engine_settings::{
    ClientLimit, CongestionControl, ConnectTimeoutReply, EngineSettings, IcmpSettings, TcpSettings,
    UdpFiltering, UdpSettings,
};
pub use engine_status::{Counters, EngineStatus};
pub use envelope::PROTOCOL_VERSION;
pub use event::{Event, TranslationDelta};
pub use forward_view::{ForwardView, ListenerState};
pub use handler::HandlerCall;
pub use ipv6_settings::{Ipv6Mode, Ipv6Settings, parse_prefix as parse_ipv6_prefix};
pub use lan_cidr::{LanCidr, LanCidrError};
pub use lan_settings::{
    DhcpSettings, DnsSettings, MAX_DNS_CACHE_ENTRIES, MAX_DNS_IN_FLIGHT, MAX_LEASE_SECS,
    MIN_LEASE_SECS, Reservation, is_dns_label,
};
pub use log_lines::{LogLevel, LogLine, MAX_LOG_LINES};
pub use mac::{MacAddr, MacAddrError};
/// The shared words the API's types are made of, re-exported so that clients need no other
/// crate of masq's: endpoints, flow ids, protocols and what names a port forward.
pub use masq_vocab::{
    BadForwardProtocol, BadForwardTarget, BadPortRange, FlowId, ForwardKey, ForwardOrigin,
    ForwardProtocol, ForwardSpec, GatewayEndpoint, LanEndpoint, PortMapProtocol, PortRange,
    Protocol, RemoteEndpoint,
};
pub use port_mapping_settings::{
    MAX_PORT_MAPPING_LIFETIME_SECS, MAX_PORT_MAPPINGS_PER_CLIENT, MIN_PORT_MAPPING_LIFETIME_SECS,
    PortMappingSettings,
};
pub use request::{
    DEFAULT_SUBSCRIBE_INTERVAL_MS, MAX_SUBSCRIBE_INTERVAL_MS, MIN_SUBSCRIBE_INTERVAL_MS, Request,
};
pub use response::{ApiError, ErrorCode, IfaceReport, Response, StatusReport};
pub use roaming::{RoamingReport, UplinkChange, UplinkChangeKind, UplinkMode};
pub use role::{PathFromApi, Role, RoleRefusal, check_request};
pub use settings::{Settings, check_iface_name};
pub use settings_error::SettingsError;
pub use setup_check::{
    FindingLevel, InterfaceKind, InterfaceView, LanPlan, SetupFinding, SetupReport, UplinkChoice,
};
pub use translation::{InboundAttempt, RefusalReason, TcpFlowStats, Translation};
