//! The running gateway on Windows: the open Wintun adapter plus the journaled steering around
//! it. What starting changes, in which order, and how a failure or a crash is undone is in
//! `win_logic::setup` and `win_logic::teardown`, carried out here with the real system calls.

use tracing::info;

use super::adapter::TunDevice;
use super::system::Win32;
use crate::journal::Journal;
use crate::win_logic::setup::{self, Started};
use crate::win_logic::steps::Step;
use crate::win_logic::teardown::undo_all;
use crate::{Gateway, GatewaySpec, PlatformError};

/// Everything [`start`] set up except the open adapter session.
#[derive(Debug)]
pub struct Steering {
    journal: Journal<Step>,
}

impl Steering {
    /// Undoes every change newest first and deletes the journal. The runtime has closed the
    /// adapter by now, which removed it.
    pub async fn stop(self) -> Result<(), PlatformError> {
        undo_all(&mut Win32, self.journal, None)
            .map(|_| info!("gateway stopped; all changes undone"))
    }

    /// [`Gateway::stop`]: closes the adapter session on the way, which removes the adapter.
    pub(crate) async fn stop_closing(self, tun: TunDevice) -> Result<(), PlatformError> {
        undo_all(&mut Win32, self.journal, Some(tun))
            .map(|_| info!("gateway stopped; all changes undone"))
    }
}

/// Sets up the gateway described by `spec` (see `win_logic::setup` for what changes).
pub async fn start(spec: &GatewaySpec) -> Result<Gateway, PlatformError> {
    let Started {
        adapter,
        uplink,
        lan,
        lan_net,
        journal,
    } = setup::start(&mut Win32, spec)?;
    Ok(Gateway::new(
        adapter,
        uplink,
        lan,
        lan_net,
        Steering { journal },
    ))
}
