//! Default locations of the control socket, journal and config file.
//!
//! The rules live in the `masq-paths` crate so that the GUI finds the daemon exactly where the
//! CLI does; this module only re-exports them under the name the binary's code uses.

pub use masq_paths::{
    client_control_socket, config_file, lease_file, server_control_socket, state_file,
};
