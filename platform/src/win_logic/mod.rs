//! The Windows backend's decisions, kept free of Win32 calls so they compile and are unit-tested
//! on every OS (Linux CI runs them natively; the Windows build runs them again under wine).
//!
//! What lives here: which routes and addresses steering needs, the ring size of the adapter,
//! where wintun.dll may be loaded from, which default route names the uplink, how an IP Helper
//! ICMP status maps onto the engine's vocabulary, when to refuse to start because Internet
//! Connection Sharing (or anything else forwarding on the uplink) is in the way, the journal's
//! steps and what cleanup does about each, and the whole start / stop / repair sequence over
//! the [`system::System`] trait. The Win32 side (`crate::imp`, Windows only) implements that
//! trait; `fake.rs` models it in memory for the tests.

#![cfg_attr(
    not(target_os = "windows"),
    allow(
        dead_code,
        reason = "compiled on other OSes only so their unit tests run everywhere"
    )
)]

pub(crate) mod cleanup_plan;
pub(crate) mod conflicts;
pub(crate) mod default_route;
pub(crate) mod dll_path;
pub(crate) mod icmp_status;
pub(crate) mod plan;
pub(crate) mod ring;
pub(crate) mod setup;
pub(crate) mod steps;
pub(crate) mod system;
pub(crate) mod teardown;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod sequence_tests;
