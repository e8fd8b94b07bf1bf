//! Setting up and tearing down the steering of a LAN into masq's utun (macOS).
//!
//! What [`start`] makes, in this order, each step journaled *before* it is made:
//! 1. checks: uplink and LAN exist and differ, the LAN has (or is given) the gateway address;
//!    a journal a crashed masq left is undone first (launchd restarts the daemon; it must not
//!    stay off until someone runs `masq down`); pf's main ruleset evaluates `com.apple/*`
//!    (otherwise masq's rules would never run, and forwarding would pass the LAN's packets
//!    untranslated);
//! 2. the utun (`utunN` if the TUN name asks for one, else one of masq's own high units,
//!    [`OWN_UNITS`](super::choices::OWN_UNITS)), its MTU, the
//!    point-to-point address of [`UTUN_ADDR`] on both ends, and up. It vanishes with its
//!    descriptor, so its journal entry is only informative;
//! 3. `net.inet.ip.forwarding = 1`, the old value recorded, so replies written into the utun
//!    are forwarded to the LAN;
//! 4. a pf enable reference (`pfctl -E`), its token recorded once known;
//! 5. masq's rules in the anchor `com.apple/masq` (see `pf_anchor.rs`).
//!
//! Unlike Linux, masq does not add the gateway address to the LAN interface: on a Mac the LAN
//! side is usually Internet Sharing's `bridge100` or an interface configured in System
//! Settings, and an address added behind their back would be removed by configd at the next
//! network change. `--lan-addr` must therefore match an address the LAN interface already has.
//!
//! Steps 2 to 5 and their rollback are `setup.rs`, over a trait that `system.rs` implements,
//! so the sequence is tested on every OS. [`Gateway::stop`] undoes the list newest first; a
//! failed start is rolled back the same way.

use tracing::info;

use super::choices::lan_network;
use super::cleanup::repair_before_start;
use super::ifname::IfName;
use super::interfaces::interface_info_as;
use super::setup::{self, SetupSpec, check_anchor_is_live};
use super::steps::Step;
use super::system::Mac;
use super::undo::undo_all;
use super::utun::TunDevice;
use crate::journal::Journal;
use crate::{Gateway, GatewaySpec, PlatformError};

/// Everything [`start`] set up except the utun itself. Obtained from [`Gateway::into_parts`].
#[derive(Debug)]
pub struct Steering {
    journal: Journal<Step>,
}

impl Steering {
    /// Undoes every change newest first and deletes the journal.
    pub async fn stop(self) -> Result<(), PlatformError> {
        let report = undo_all::<_, TunDevice>(&mut Mac, self.journal, None)?;
        info!(
            changes = report.actions.len(),
            "steering stopped; all changes undone"
        );
        Ok(())
    }

    /// [`Gateway::stop`]: closes the utun on the way.
    pub(crate) async fn stop_closing(self, tun: TunDevice) -> Result<(), PlatformError> {
        let report = undo_all(&mut Mac, self.journal, Some(tun))?;
        info!(
            changes = report.actions.len(),
            "gateway stopped; all changes undone"
        );
        Ok(())
    }
}

/// Sets up the gateway described by `spec`; see the module documentation for what changes.
/// (Nothing here awaits: pfctl runs for a few milliseconds, which the runtime tolerates at
/// start and stop.)
pub async fn start(spec: &GatewaySpec) -> Result<Gateway, PlatformError> {
    let uplink_name = IfName::new(&spec.uplink)?;
    let lan_name = IfName::new(&spec.lan)?;
    if uplink_name == lan_name {
        return Err(PlatformError::SameInterface {
            name: lan_name.to_string(),
        });
    }
    let uplink = interface_info_as(uplink_name.as_str(), "uplink interface")?;
    let lan = interface_info_as(lan_name.as_str(), "LAN interface")?;
    let lan_net = lan_network(spec.lan_addr, &lan)?;
    repair_before_start(&spec.state_file)?;
    check_anchor_is_live(&mut Mac)?;
    let journal = Journal::create(&spec.state_file)?;
    let (journal, tun) = setup::run(
        &mut Mac,
        journal,
        &SetupSpec {
            tun_name: &spec.tun_name,
            tun_mtu: spec.tun_mtu,
            lan: &lan_name,
            lan_net,
        },
    )?;
    info!(uplink = %uplink_name, lan = %lan_name, tun = tun.name(), "gateway started");
    Ok(Gateway::new(
        tun,
        uplink,
        lan,
        lan_net,
        Steering { journal },
    ))
}
