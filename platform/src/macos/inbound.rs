//! The inbound observer on macOS: not built. Opening it fails with a clear `Unsupported`
//! error, which the runtime logs once before sharing without it (refused UDP is still
//! listed from the engine's own filtering).
//!
//! What it needs: a `/dev/bpf*` device bound to the uplink (`BIOCSETIF`) with the same
//! classic BPF program as Linux but Ethernet offsets (the IPv4 header at byte 14, or at 4
//! on `DLT_NULL`/`DLT_RAW` uplinks such as a USB modem), `BIOCSSEESENT 0` to skip our own
//! packets and `BIOCIMMEDIATE`, and a reader that walks `bpf_hdr` records.

use std::convert::Infallible;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use ipnet::Ipv4Net;

use crate::sockets::Uplink;
use crate::{ObservedInbound, PlatformError};

/// The inbound observer; cannot be opened on macOS yet.
#[derive(Debug)]
pub struct InboundObserver {
    never: Infallible,
}

impl InboundObserver {
    /// Fails with an `Unsupported` I/O error naming what is missing.
    pub fn open(_uplink: &Uplink, _hidden: Ipv4Net) -> io::Result<InboundObserver> {
        Err(PlatformError::Unsupported {
            os: "macOS",
            what: "watch the uplink for inbound attempts",
            missing: "its BPF-device observer is not built",
        }
        .into_io())
    }

    /// The next inbound attempt.
    pub fn recv(&self) -> io::Result<Option<ObservedInbound>> {
        match self.never {}
    }
}

impl AsRawFd for InboundObserver {
    fn as_raw_fd(&self) -> RawFd {
        match self.never {}
    }
}

impl AsFd for InboundObserver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self.never {}
    }
}
