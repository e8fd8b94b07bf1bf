//! The real [`System`] that undoing uses on macOS: sysctl for forwarding, pfctl for pf.

use super::undo::System;
use super::{pfctl, sysctl};
use crate::{CleanupOutcome, PlatformError};

/// The running Mac.
pub(crate) struct Mac;

impl System for Mac {
    fn forwarding(&mut self) -> Result<u32, PlatformError> {
        sysctl::forwarding()
    }

    fn set_forwarding(&mut self, value: u32) -> Result<(), PlatformError> {
        sysctl::set_forwarding(value)
    }

    fn flush_anchor(&mut self, anchor: &str) -> Result<(), PlatformError> {
        pfctl::flush_anchor(anchor)
    }

    fn release_pf(&mut self, token: u64) -> Result<CleanupOutcome, PlatformError> {
        pfctl::release_ref(token)
    }
}
