//! Default locations of the control socket, journal and config file.
//!
//! The rules live in the `masq-paths` crate so that the GUI finds the daemon exactly where the
//! CLI does; this module only re-exports them under the name the binary's code uses.

pub use masq_paths::{
    client_control_socket, config_file, lease_file, server_control_socket, state_file,
};

/// Where the port forwards added through the control API (`masq forward add`, the GUI) are
/// saved, so they come back after a restart: beside the DHCP leases, or `MASQ_FORWARDS_FILE`.
pub fn forwards_file() -> std::path::PathBuf {
    match std::env::var_os("MASQ_FORWARDS_FILE") {
        Some(p) => p.into(),
        None => lease_file().with_file_name("forwards.json"),
    }
}
