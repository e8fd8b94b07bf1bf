//! Why a LAN service could not start: each error names the service, the address or
//! interface, what the OS said, and what the user can do.

use std::io;

use thiserror::Error;

/// A LAN service that cannot run.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// Its socket could not be opened or bound.
    #[error("the {service} cannot listen: {source}; {hint}")]
    Bind {
        /// Which service.
        service: &'static str,
        /// What to do about it.
        hint: &'static str,
        /// What the OS said (with the port and interface).
        source: io::Error,
    },
    /// Its configuration does not fit the LAN it runs on.
    #[error("the {service} cannot start: {message}")]
    Config {
        /// Which service.
        service: &'static str,
        /// What does not fit, naming the setting.
        message: String,
    },
}
