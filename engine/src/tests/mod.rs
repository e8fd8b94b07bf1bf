//! Scenario tests of the whole engine, driven through its public methods only.
//!
//! Each topic file plays a hidden host against the engine and a fake shell with a virtual
//! clock (see [`harness`]); nothing sleeps and no socket is opened, so the suite runs in
//! seconds and every timing is exact. The layout follows quinn-proto's `tests/` module:
//! a shared harness plus one file per behaviour family, each test table-driven where the
//! same scenario has several expected outcomes.

mod client_limits;
mod emitted;
mod forwards;
mod hairpin;
mod harness;
mod icmp;
mod ipv6;
mod lan_host;
mod limits;
mod proptests;
mod snapshot;
mod upstream;

mod tcp_close;
mod tcp_data;
mod tcp_handshake;
mod tcp_loss;
mod udp;
