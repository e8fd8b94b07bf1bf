//! # masq-control: the local control API of masq
//!
//! One versioned protocol, shared by the `masq` CLI, the daemon and the GUI: newline-delimited
//! JSON over a Unix socket (a named pipe on Windows, not written yet: [`bind`] and
//! [`Client::connect`] report that there). Every message is one line in an envelope:
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
//! The daemon side is [`bind`] + [`serve`]: the server owns the sockets, checks each peer's
//! uid, answers malformed input with errors (never by panicking or hanging up silently),
//! implements subscriptions by polling, and hands every other request to the engine loop as a
//! [`HandlerCall`]. The client side is [`Client`] (blocking) or [`AsyncClient`] (tokio).
//! [`Settings`] is the document users edit, validated by [`Settings::validate`].

#![warn(missing_docs)]

mod client_error;
mod clients;
pub mod diff;
pub mod envelope;
mod event;
pub mod framing;
mod handler;
mod lan_settings;
mod mac;
mod request;
mod response;
mod settings;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{
    AsyncClient, AsyncSubscription, Client, ControlListener, Subscription, bind, serve,
};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{
    AsyncClient, AsyncSubscription, Client, ControlListener, Subscription, bind, serve,
};

pub use client_error::ClientError;
pub use clients::{
    Assignment, DnsCounters, ForeignDhcpServer, LanClient, LanServicesReport, ServiceState,
};
pub use envelope::PROTOCOL_VERSION;
pub use event::{Event, TranslationDelta};
pub use handler::HandlerCall;
pub use lan_settings::{
    DhcpSettings, DnsSettings, MAX_DNS_CACHE_ENTRIES, MAX_DNS_IN_FLIGHT, MAX_LEASE_SECS,
    MIN_LEASE_SECS, Reservation, is_dns_label,
};
pub use mac::{MacAddr, MacAddrError};
pub use request::{
    DEFAULT_SUBSCRIBE_INTERVAL_MS, MAX_SUBSCRIBE_INTERVAL_MS, MIN_SUBSCRIBE_INTERVAL_MS, Request,
};
pub use response::{ApiError, ErrorCode, IfaceReport, Response, StatusReport};
pub use settings::{LanCidr, LanCidrError, Settings, SettingsError, check_iface_name};
