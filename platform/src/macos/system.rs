//! The real [`System`] and [`SetupSystem`] on macOS: ifconfig ioctls for the utun, sysctl for
//! forwarding, pfctl for pf.

use std::net::Ipv4Addr;

use tracing::{debug, warn};

use super::choices::{requested_unit, units_to_try};
use super::setup::SetupSystem;
use super::undo::System;
use super::utun::TunDevice;
use super::{ifconfig, pfctl, sysctl};
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

impl SetupSystem for Mac {
    type Tun = TunDevice;

    fn tun_name(tun: &TunDevice) -> &str {
        tun.name()
    }

    fn main_rules(&mut self) -> Result<String, PlatformError> {
        pfctl::main_rules()
    }

    fn open_utun(&mut self, tun_name: &str, mtu: u16) -> Result<TunDevice, PlatformError> {
        open_utun(tun_name, mtu)
    }

    fn set_mtu(&mut self, name: &str, mtu: u16) -> Result<(), PlatformError> {
        ifconfig::set_mtu(name, mtu).map_err(|source| PlatformError::Utun {
            what: format!("set the MTU of {name} to {mtu}"),
            source,
        })
    }

    fn add_p2p_address(
        &mut self,
        name: &str,
        local: Ipv4Addr,
        peer: Ipv4Addr,
    ) -> Result<(), PlatformError> {
        ifconfig::add_p2p_address(name, local, peer).map_err(|source| PlatformError::Utun {
            what: format!("give {name} the address {local}"),
            source,
        })
    }

    fn set_up(&mut self, name: &str) -> Result<(), PlatformError> {
        ifconfig::set_up(name).map_err(|source| PlatformError::Utun {
            what: format!("bring {name} up"),
            source,
        })
    }

    fn enable_pf(&mut self) -> Result<u64, PlatformError> {
        pfctl::enable_ref()
    }

    fn load_anchor(&mut self, anchor: &str, rules: &str) -> Result<(), PlatformError> {
        pfctl::load_anchor(anchor, rules)
    }
}

/// Opens the utun: the unit a `utunN` name asks for, or the first free one of masq's own.
fn open_utun(tun_name: &str, mtu: u16) -> Result<TunDevice, PlatformError> {
    let named = requested_unit(tun_name).is_some();
    for unit in units_to_try(tun_name) {
        match TunDevice::open(unit, mtu) {
            Ok(tun) => {
                if unit.is_none() {
                    warn!(
                        utun = tun.name(),
                        "masq's own utun units are all taken; using the next free one"
                    );
                }
                return Ok(tun);
            }
            Err(PlatformError::Utun { source, .. })
                if !named && unit.is_some() && source.raw_os_error() == Some(libc::EBUSY) =>
            {
                debug!(?unit, "utun unit taken; trying the next");
            }
            Err(e) => return Err(e),
        }
    }
    Err(PlatformError::Utun {
        what: "open a utun".to_owned(),
        source: std::io::Error::other("no utun unit was free"),
    })
}
