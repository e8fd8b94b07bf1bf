//! The running gateway on Windows: the open Wintun adapter plus the journaled steering around
//! it. What starting changes, in which order, and how a failure or a crash is undone is in
//! `win_logic::setup` and `win_logic::teardown`, carried out here with the real system calls.

use ipnet::Ipv4Net;
use tracing::info;

use super::adapter::TunDevice;
use super::system::Win32;
use crate::journal::Journal;
use crate::win_logic::setup::{self, Started};
use crate::win_logic::steps::Step;
use crate::win_logic::teardown::undo_all;
use crate::{GatewaySpec, InterfaceInfo, PlatformError};

/// A running gateway: the open adapter plus the steering around it, recorded in the journal.
#[derive(Debug)]
pub struct Gateway {
    /// The virtual adapter the LAN's packets arrive on.
    pub tun: TunDevice,
    /// The uplink as it was at start.
    pub uplink: InterfaceInfo,
    /// The LAN interface, including the address masq may have added.
    pub lan: InterfaceInfo,
    /// The gateway's address and prefix on the LAN.
    pub lan_net: Ipv4Net,
    journal: Journal<Step>,
}

impl Gateway {
    /// Undoes every change (newest first), removes the adapter and deletes the journal.
    pub async fn stop(self) -> Result<(), PlatformError> {
        let Gateway { tun, journal, .. } = self;
        undo_all(&mut Win32, journal, Some(tun))
            .map(|_| info!("gateway stopped; all changes undone"))
    }

    /// Splits off the adapter so the runtime can own it while the [`Steering`] half is kept
    /// to undo everything later.
    pub fn into_parts(self) -> (TunDevice, Steering) {
        let Gateway { tun, journal, .. } = self;
        (tun, Steering { journal })
    }
}

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
    Ok(Gateway {
        tun: adapter,
        uplink,
        lan,
        lan_net,
        journal,
    })
}
