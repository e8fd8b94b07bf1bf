//! The tokio shell around the engine (being written; see docs/design.md).

use std::path::PathBuf;

/// What `masq up` and `masq daemon` need to start sharing.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Interface with the internet connection to share (e.g. `wlan0`).
    pub uplink: String,
    /// Interface of the LAN to share it with (e.g. `eth1`).
    pub lan: String,
    /// Gateway address and prefix on the LAN, e.g. `192.168.137.1/24`; added to the LAN
    /// interface if it lacks it. `None`: use the interface's first IPv4 address.
    pub lan_addr: Option<String>,
    /// Name of the virtual adapter to create.
    pub tun: String,
    /// Engine limits and timeouts.
    pub engine: masq_engine::Config,
    /// Watch the uplink read-only for inbound SYNs/datagrams to unmapped ports.
    pub observe_inbound: bool,
}
