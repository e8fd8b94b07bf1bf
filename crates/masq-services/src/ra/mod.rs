//! Router advertisements on the LAN (RFC 4861 section 6, RFC 8106): how hosts learn that the
//! gateway routes IPv6, which /64 to form their addresses from (SLAAC) and where DNS is.
//!
//! Only started when the session offers IPv6. [`RouterAdvertiser`] sends unsolicited
//! advertisements on a schedule ([`schedule`]), answers router solicitations, and says goodbye
//! with a router lifetime of 0 when it stops, so hosts drop the route at once instead of
//! black-holing IPv6 until the lifetime runs out.

pub mod message;
pub mod schedule;
mod task;

pub use task::{RaSpec, RouterAdvertiser};
