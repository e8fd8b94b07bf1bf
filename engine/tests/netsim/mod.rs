//! A deterministic network simulation for the engine's TCP: a real TCP/IP stack (smoltcp) as
//! the hidden host, a LAN link with delay, a rate limit, a bounded queue and seeded loss, and
//! virtual time. Used by `lossy_lan.rs` to measure goodput where this machine's kernel cannot
//! (it has no netem).

pub mod lan_host;
pub mod link;
pub mod world;
