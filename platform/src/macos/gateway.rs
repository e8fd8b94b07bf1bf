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
//! [`Gateway::stop`] undoes the list newest first; a failed start is rolled back the same way.

use ipnet::Ipv4Net;
use tracing::{debug, info, warn};

use super::choices::{lan_network, requested_unit, units_to_try};
use super::cleanup::repair_before_start;
use super::ifconfig;
use super::ifname::IfName;
use super::interfaces::interface_info_as;
use super::pf_anchor::{ANCHOR, AnchorSpec, UTUN_ADDR, anchor_rules, main_ruleset_evaluates};
use super::pfctl;
use super::steps::Step;
use super::sysctl;
use super::system::Mac;
use super::undo::{FORWARDING_ON, undo_all};
use super::utun::TunDevice;
use crate::journal::Journal;
use crate::{GatewaySpec, InterfaceInfo, PlatformError};

/// A running gateway: the open utun plus the steering around it, recorded in the journal.
///
/// Call [`Gateway::stop`] to undo everything, or split it with [`Gateway::into_parts`]. Dropping
/// it without `stop` closes the utun, which leaves pf steering the LAN into an interface that
/// no longer exists (the LAN is cut off, nothing leaks untranslated) until `masq down`.
#[derive(Debug)]
pub struct Gateway {
    /// The virtual adapter the LAN's packets arrive on.
    pub tun: TunDevice,
    /// The uplink as it was at start.
    pub uplink: InterfaceInfo,
    /// The LAN interface.
    pub lan: InterfaceInfo,
    /// The gateway's address and prefix on the LAN.
    pub lan_net: Ipv4Net,
    journal: Journal<Step>,
}

impl Gateway {
    /// Undoes every change (newest first), closes the utun and deletes the journal.
    pub async fn stop(self) -> Result<(), PlatformError> {
        let Gateway { tun, journal, .. } = self;
        let report = undo_all(&mut Mac, journal, Some(tun))?;
        info!(
            changes = report.actions.len(),
            "gateway stopped; all changes undone"
        );
        Ok(())
    }

    /// Splits off the utun so the runtime can own it while the [`Steering`] half is kept to
    /// undo everything later.
    pub fn into_parts(self) -> (TunDevice, Steering) {
        let Gateway { tun, journal, .. } = self;
        (tun, Steering { journal })
    }
}

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
    check_anchor_is_live()?;
    let journal = Journal::create(&spec.state_file)?;
    let mut setup = Setup { journal, tun: None };
    if let Err(cause) = setup.run(spec, &lan_name, lan_net) {
        return Err(setup.roll_back(cause));
    }
    let Setup { journal, tun } = setup;
    let Some(tun) = tun else {
        return Err(PlatformError::Utun {
            what: "finish the setup".to_owned(),
            source: std::io::Error::other("setup finished without an adapter"),
        });
    };
    info!(uplink = %uplink_name, lan = %lan_name, tun = tun.name(), "gateway started");
    Ok(Gateway {
        tun,
        uplink,
        lan,
        lan_net,
        journal,
    })
}

/// Refuses to start when pf's main ruleset would never evaluate masq's anchor.
fn check_anchor_is_live() -> Result<(), PlatformError> {
    let rules = pfctl::main_rules()?;
    if main_ruleset_evaluates(&rules, ANCHOR) {
        return Ok(());
    }
    Err(PlatformError::Conflict {
        what: format!(
            "pf's main ruleset does not evaluate the anchor {ANCHOR} (a custom /etc/pf.conf, or the rules were flushed with `pfctl -F all`)"
        ),
        advice: "masq's steering would never run, and with forwarding on the LAN's traffic would leave untranslated: load the system's rules again with `sudo pfctl -f /etc/pf.conf` (or add `anchor \"com.apple/*\"` to your pf.conf) and start again",
    })
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

/// The state of a start in progress, so a failure can be rolled back.
struct Setup {
    journal: Journal<Step>,
    tun: Option<TunDevice>,
}

impl Setup {
    fn run(
        &mut self,
        spec: &GatewaySpec,
        lan: &IfName,
        lan_net: Ipv4Net,
    ) -> Result<(), PlatformError> {
        // 2. The utun. Its name is only known once it exists, so it is recorded right after;
        //    a crash in between leaves nothing, since the utun dies with the process.
        let tun = open_utun(&spec.tun_name, spec.tun_mtu)?;
        let name = IfName::new(tun.name())?;
        self.tun = Some(tun);
        self.journal
            .record(Step::UtunOpened { name: name.clone() })?;
        let utun_error = |what: String| move |source| PlatformError::Utun { what, source };
        ifconfig::set_mtu(name.as_str(), spec.tun_mtu).map_err(utun_error(format!(
            "set the MTU of {name} to {}",
            spec.tun_mtu
        )))?;
        ifconfig::add_p2p_address(name.as_str(), UTUN_ADDR, UTUN_ADDR)
            .map_err(utun_error(format!("give {name} the address {UTUN_ADDR}")))?;
        ifconfig::set_up(name.as_str()).map_err(utun_error(format!("bring {name} up")))?;
        debug!(utun = %name, mtu = spec.tun_mtu, "utun up");

        // 3. Forwarding.
        let old = sysctl::forwarding()?;
        if old != FORWARDING_ON {
            self.journal.record(Step::ForwardingChanged { old })?;
            let set = sysctl::set_forwarding(FORWARDING_ON);
            self.settle(set)?;
            debug!(old, "IPv4 forwarding on");
        }

        // 4. The pf enable reference; its token replaces the placeholder once known.
        self.journal.record(Step::PfEnabled { token: None })?;
        let token = pfctl::enable_ref();
        let token = self.settle(token)?;
        let mut steps = self.journal.steps().to_vec();
        if let Some(last) = steps.last_mut() {
            *last = Step::PfEnabled { token: Some(token) };
        }
        self.journal.replace_steps(steps)?;

        // 5. The anchor.
        self.journal.record(Step::PfAnchorLoaded {
            anchor: ANCHOR.to_owned(),
        })?;
        let rules = anchor_rules(&AnchorSpec {
            lan: lan.as_str(),
            lan_net,
            utun: name.as_str(),
        });
        let loaded = pfctl::load_anchor(ANCHOR, &rules);
        self.settle(loaded)?;
        debug!(anchor = ANCHOR, %rules, "pf rules loaded");
        Ok(())
    }

    /// Passes a change's result through; on failure the change was not made, so its journal
    /// entry is dropped.
    fn settle<T>(&mut self, result: Result<T, PlatformError>) -> Result<T, PlatformError> {
        if result.is_err() {
            if let Err(e) = self.journal.forget_last() {
                warn!(error = %e, "could not drop a failed change from the journal; cleanup will report it as already gone");
            }
        }
        result
    }

    /// Undoes a partial setup; returns the error to report.
    fn roll_back(self, cause: PlatformError) -> PlatformError {
        let Setup { journal, tun } = self;
        let path = journal.path().to_owned();
        match undo_all(&mut Mac, journal, tun) {
            Ok(_) => cause,
            Err(PlatformError::CleanupIncomplete { failures, path }) => {
                PlatformError::StartFailed {
                    cause: Box::new(cause),
                    leftovers: failures,
                    path,
                }
            }
            Err(other) => PlatformError::StartFailed {
                cause: Box::new(cause),
                leftovers: vec![other.to_string()],
                path,
            },
        }
    }
}
