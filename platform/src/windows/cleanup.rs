//! `masq down` on Windows: undoes what a dead run left, with the real system calls. The
//! decisions are in `win_logic::teardown`.

use std::path::Path;

use super::system::Win32;
use crate::win_logic::teardown;
use crate::{CleanupReport, PlatformError};

/// Undoes every change recorded in `state_file` and deletes it; "nothing to clean" if there is
/// no journal. Refuses while the masq that wrote it is still running.
pub async fn cleanup_stale(state_file: &Path) -> Result<CleanupReport, PlatformError> {
    teardown::cleanup_stale(&mut Win32, state_file)
}
