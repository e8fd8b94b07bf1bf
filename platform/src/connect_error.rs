//! Translation of a failed outbound connect into the engine's [`ConnectError`], which decides
//! what the hidden host is told (RST for refused, ICMP unreachable for the others).
//!
//! Rust's standard library already maps errno values (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH,
//! ETIMEDOUT, EACCES, EPERM) and their Winsock equivalents (WSAECONNREFUSED, ...) onto
//! `io::ErrorKind`, so one mapping on the kind serves every OS.

use std::io;

use masq_vocab::ConnectError;

/// Classifies the error of a failed TCP connect for the engine.
pub fn connect_error(err: &io::Error) -> ConnectError {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::Refused,
        io::ErrorKind::HostUnreachable => ConnectError::HostUnreachable,
        io::ErrorKind::NetworkUnreachable => ConnectError::NetUnreachable,
        io::ErrorKind::TimedOut => ConnectError::TimedOut,
        io::ErrorKind::PermissionDenied => ConnectError::Prohibited,
        _ => ConnectError::Other,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn errno(code: i32) -> ConnectError {
        connect_error(&io::Error::from_raw_os_error(code))
    }

    #[test]
    fn errno_values_map_to_engine_errors() {
        assert_eq!(errno(libc::ECONNREFUSED), ConnectError::Refused);
        assert_eq!(errno(libc::EHOSTUNREACH), ConnectError::HostUnreachable);
        assert_eq!(errno(libc::ENETUNREACH), ConnectError::NetUnreachable);
        assert_eq!(errno(libc::ETIMEDOUT), ConnectError::TimedOut);
        assert_eq!(errno(libc::EACCES), ConnectError::Prohibited);
        assert_eq!(errno(libc::EPERM), ConnectError::Prohibited);
        assert_eq!(errno(libc::ECONNRESET), ConnectError::Other);
        assert_eq!(errno(libc::EADDRNOTAVAIL), ConnectError::Other);
    }

    #[test]
    fn non_os_errors_are_other() {
        assert_eq!(
            connect_error(&io::Error::other("boom")),
            ConnectError::Other
        );
    }
}
