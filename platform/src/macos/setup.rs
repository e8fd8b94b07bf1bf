//! The macOS start sequence (steps 2 to 5 of `gateway.rs`) and its rollback, over a
//! [`SetupSystem`] trait, so the order of changes, the journal written before each one, and
//! the rollback after a failure at any step are tested on every OS against an in-memory Mac
//! (`tests` below) that keeps pf's references, anchors, forwarding and utuns as macOS does.
//! `system.rs` is the real implementation (ifconfig ioctls, sysctl, pfctl).

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use tracing::{debug, warn};

use super::ifname::IfName;
use super::pf_anchor::{ANCHOR, AnchorSpec, UTUN_ADDR, anchor_rules, main_ruleset_evaluates};
use super::steps::Step;
use super::undo::{FORWARDING_ON, System, undo_all};
use crate::PlatformError;
use crate::journal::Journal;

/// The calls a start makes besides those undoing needs.
pub(crate) trait SetupSystem: System {
    /// An open utun; closing it (dropping) removes the interface.
    type Tun;
    /// The utun's name (`utunN`).
    fn tun_name(tun: &Self::Tun) -> &str;
    /// pf's main ruleset as `pfctl -s rules` prints it.
    fn main_rules(&mut self) -> Result<String, PlatformError>;
    /// Opens a utun: the unit `tun_name` asks for, or one of masq's own.
    fn open_utun(&mut self, tun_name: &str, mtu: u16) -> Result<Self::Tun, PlatformError>;
    /// Sets an interface's MTU.
    fn set_mtu(&mut self, name: &str, mtu: u16) -> Result<(), PlatformError>;
    /// Gives an interface a point-to-point IPv4 address.
    fn add_p2p_address(
        &mut self,
        name: &str,
        local: Ipv4Addr,
        peer: Ipv4Addr,
    ) -> Result<(), PlatformError>;
    /// Brings an interface up.
    fn set_up(&mut self, name: &str) -> Result<(), PlatformError>;
    /// Takes a pf enable reference (`pfctl -E`); its token.
    fn enable_pf(&mut self) -> Result<u64, PlatformError>;
    /// Replaces the rules of `anchor`.
    fn load_anchor(&mut self, anchor: &str, rules: &str) -> Result<(), PlatformError>;
}

/// Refuses to start when pf's main ruleset would never evaluate masq's anchor.
pub(crate) fn check_anchor_is_live<S: SetupSystem>(sys: &mut S) -> Result<(), PlatformError> {
    let rules = sys.main_rules()?;
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

/// What the sequence sets up.
#[derive(Debug, Clone)]
pub(crate) struct SetupSpec<'a> {
    /// The TUN name asked for (`utunN`, or masq's default for its own units).
    pub tun_name: &'a str,
    /// The utun's MTU.
    pub tun_mtu: u16,
    /// The LAN interface.
    pub lan: &'a IfName,
    /// The gateway's address and prefix on the LAN.
    pub lan_net: Ipv4Net,
}

/// Makes steps 2 to 5, each recorded in `journal` before it is made. On failure everything
/// made so far is undone and the error says what failed (and what could not be undone).
pub(crate) fn run<S: SetupSystem>(
    sys: &mut S,
    journal: Journal<Step>,
    spec: &SetupSpec<'_>,
) -> Result<(Journal<Step>, S::Tun), PlatformError> {
    let mut setup = Setup { journal, tun: None };
    match setup.steps(sys, spec) {
        Ok(()) => {
            let Setup { journal, tun } = setup;
            match tun {
                Some(tun) => Ok((journal, tun)),
                None => Err(PlatformError::Utun {
                    what: "finish the setup".to_owned(),
                    source: std::io::Error::other("setup finished without an adapter"),
                }),
            }
        }
        Err(cause) => Err(setup.roll_back(sys, cause)),
    }
}

/// A start in progress, so a failure can be rolled back.
struct Setup<T> {
    journal: Journal<Step>,
    tun: Option<T>,
}

impl<T> Setup<T> {
    fn steps<S: SetupSystem<Tun = T>>(
        &mut self,
        sys: &mut S,
        spec: &SetupSpec<'_>,
    ) -> Result<(), PlatformError> {
        // 2. The utun. Its name is only known once it exists, so it is recorded right after;
        //    a crash in between leaves nothing, since the utun dies with the process.
        let tun = sys.open_utun(spec.tun_name, spec.tun_mtu)?;
        let name = IfName::new(S::tun_name(&tun))?;
        self.tun = Some(tun);
        self.journal
            .record(Step::UtunOpened { name: name.clone() })?;
        sys.set_mtu(name.as_str(), spec.tun_mtu)?;
        sys.add_p2p_address(name.as_str(), UTUN_ADDR, UTUN_ADDR)?;
        sys.set_up(name.as_str())?;
        debug!(utun = %name, mtu = spec.tun_mtu, "utun up");

        // 3. Forwarding.
        let old = sys.forwarding()?;
        if old != FORWARDING_ON {
            self.journal.record(Step::ForwardingChanged { old })?;
            let set = sys.set_forwarding(FORWARDING_ON);
            self.settle(set)?;
            debug!(old, "IPv4 forwarding on");
        }

        // 4. The pf enable reference; its token replaces the placeholder once known.
        self.journal.record(Step::PfEnabled { token: None })?;
        let token = sys.enable_pf();
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
            lan: spec.lan.as_str(),
            lan_net: spec.lan_net,
            utun: name.as_str(),
        });
        let loaded = sys.load_anchor(ANCHOR, &rules);
        self.settle(loaded)?;
        debug!(anchor = ANCHOR, %rules, "pf rules loaded");
        Ok(())
    }

    /// Passes a change's result through; on failure the change was not made, so its journal
    /// entry is dropped.
    fn settle<R>(&mut self, result: Result<R, PlatformError>) -> Result<R, PlatformError> {
        if result.is_err()
            && let Err(e) = self.journal.forget_last()
        {
            warn!(error = %e, "could not drop a failed change from the journal; cleanup will report it as already gone");
        }
        result
    }

    /// Undoes a partial setup; returns the error to report.
    fn roll_back<S: System>(self, sys: &mut S, cause: PlatformError) -> PlatformError {
        let Setup { journal, tun } = self;
        let path = journal.path().to_owned();
        let undo = undo_all(sys, journal, tun);
        PlatformError::after_rollback(cause, undo, path)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    use super::*;
    use crate::CleanupOutcome;

    /// What a Mac holds that masq changes; compared whole before and after.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct MacState {
        forwarding: u32,
        /// pf enable references held, by token.
        pf_refs: Vec<u64>,
        /// Rules per anchor (an empty anchor is absent).
        anchors: BTreeMap<String, String>,
        /// Open utuns: name → (MTU, point-to-point address, up).
        utuns: BTreeMap<String, (u16, Option<Ipv4Addr>, bool)>,
    }

    /// An in-memory Mac: a utun exists while its descriptor is open, `pfctl -E` hands out a
    /// new token per reference and `-X` releases only a token it knows, an anchor flush
    /// removes only that anchor's rules, and ifconfig works only on existing interfaces.
    struct FakeMac {
        state: Rc<RefCell<MacState>>,
        main_rules: String,
        next_unit: u32,
        next_token: u64,
        /// The call that fails (once reached), by name.
        fail: Option<&'static str>,
        /// `sysctl net.inet.ip.forwarding=0` is refused.
        refuse_forwarding_off: bool,
        calls: Vec<String>,
    }

    /// A utun descriptor; dropping it removes the interface, as closing does on macOS.
    struct FakeTun {
        name: String,
        state: Rc<RefCell<MacState>>,
    }

    impl Drop for FakeTun {
        fn drop(&mut self) {
            self.state.borrow_mut().utuns.remove(&self.name);
        }
    }

    const STOCK_RULES: &str =
        "scrub-anchor \"com.apple/*\" all fragment reassemble\nanchor \"com.apple/*\" all\n";

    impl FakeMac {
        fn new() -> FakeMac {
            FakeMac {
                state: Rc::new(RefCell::new(MacState {
                    forwarding: 0,
                    pf_refs: vec![],
                    anchors: BTreeMap::from([(
                        "com.apple/250.ApplicationFirewall".to_owned(),
                        "pass all".to_owned(),
                    )]),
                    utuns: BTreeMap::new(),
                })),
                main_rules: STOCK_RULES.to_owned(),
                next_unit: 10,
                next_token: 1000,
                fail: None,
                refuse_forwarding_off: false,
                calls: vec![],
            }
        }

        fn snapshot(&self) -> MacState {
            self.state.borrow().clone()
        }

        fn call(&mut self, what: &'static str) -> Result<(), PlatformError> {
            self.calls.push(what.to_owned());
            if self.fail == Some(what) {
                return Err(PlatformError::Pf {
                    action: what.to_owned(),
                    detail: "injected failure".to_owned(),
                });
            }
            Ok(())
        }

        fn with_utun(
            &mut self,
            what: &'static str,
            name: &str,
            f: impl FnOnce(&mut (u16, Option<Ipv4Addr>, bool)),
        ) -> Result<(), PlatformError> {
            self.call(what)?;
            let mut state = self.state.borrow_mut();
            let Some(utun) = state.utuns.get_mut(name) else {
                return Err(PlatformError::Utun {
                    what: format!("{what} {name}"),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            };
            f(utun);
            Ok(())
        }
    }

    impl System for FakeMac {
        fn forwarding(&mut self) -> Result<u32, PlatformError> {
            Ok(self.state.borrow().forwarding)
        }
        fn set_forwarding(&mut self, value: u32) -> Result<(), PlatformError> {
            self.call("set_forwarding")?;
            if value == 0 && self.refuse_forwarding_off {
                return Err(PlatformError::Pf {
                    action: "set net.inet.ip.forwarding=0".into(),
                    detail: "Operation not permitted".into(),
                });
            }
            self.state.borrow_mut().forwarding = value;
            Ok(())
        }
        fn flush_anchor(&mut self, anchor: &str) -> Result<(), PlatformError> {
            self.call("flush_anchor")?;
            self.state.borrow_mut().anchors.remove(anchor);
            Ok(())
        }
        fn release_pf(&mut self, token: u64) -> Result<CleanupOutcome, PlatformError> {
            self.call("release_pf")?;
            let mut state = self.state.borrow_mut();
            Ok(match state.pf_refs.iter().position(|t| *t == token) {
                Some(i) => {
                    state.pf_refs.remove(i);
                    CleanupOutcome::Undone
                }
                None => CleanupOutcome::AlreadyGone,
            })
        }
    }

    impl SetupSystem for FakeMac {
        type Tun = FakeTun;

        fn tun_name(tun: &FakeTun) -> &str {
            &tun.name
        }
        fn main_rules(&mut self) -> Result<String, PlatformError> {
            self.call("main_rules")?;
            Ok(self.main_rules.clone())
        }
        fn open_utun(&mut self, _tun_name: &str, mtu: u16) -> Result<FakeTun, PlatformError> {
            self.call("open_utun")?;
            let name = format!("utun{}", self.next_unit);
            self.next_unit += 1;
            // A new utun has the default MTU, no address, and is down.
            self.state
                .borrow_mut()
                .utuns
                .insert(name.clone(), (1500.min(mtu), None, false));
            Ok(FakeTun {
                name,
                state: Rc::clone(&self.state),
            })
        }
        fn set_mtu(&mut self, name: &str, mtu: u16) -> Result<(), PlatformError> {
            self.with_utun("set_mtu", name, |u| u.0 = mtu)
        }
        fn add_p2p_address(
            &mut self,
            name: &str,
            local: Ipv4Addr,
            _peer: Ipv4Addr,
        ) -> Result<(), PlatformError> {
            self.with_utun("add_p2p_address", name, |u| u.1 = Some(local))
        }
        fn set_up(&mut self, name: &str) -> Result<(), PlatformError> {
            self.with_utun("set_up", name, |u| u.2 = true)
        }
        fn enable_pf(&mut self) -> Result<u64, PlatformError> {
            self.call("enable_pf")?;
            let token = self.next_token;
            self.next_token += 1;
            self.state.borrow_mut().pf_refs.push(token);
            Ok(token)
        }
        fn load_anchor(&mut self, anchor: &str, rules: &str) -> Result<(), PlatformError> {
            self.call("load_anchor")?;
            self.state
                .borrow_mut()
                .anchors
                .insert(anchor.to_owned(), rules.to_owned());
            Ok(())
        }
    }

    fn journal(tag: &str) -> (Journal<Step>, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("masq-macos-setup-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("state.json");
        (Journal::create(&path).unwrap(), path)
    }

    fn start(
        mac: &mut FakeMac,
        tag: &str,
    ) -> (
        Result<(Journal<Step>, FakeTun), PlatformError>,
        std::path::PathBuf,
    ) {
        let lan = IfName::new("bridge100").unwrap();
        let spec = SetupSpec {
            tun_name: "masq0",
            tun_mtu: 1400,
            lan: &lan,
            lan_net: "192.168.2.1/24".parse().unwrap(),
        };
        let (j, path) = journal(tag);
        (run(mac, j, &spec), path)
    }

    #[test]
    fn a_start_records_each_change_before_making_it_and_stop_restores_the_mac() {
        let mut mac = FakeMac::new();
        let before = mac.snapshot();
        let (result, path) = start(&mut mac, "ok");
        let (journal, tun) = result.unwrap();
        assert_eq!(
            mac.calls,
            [
                "open_utun",
                "set_mtu",
                "add_p2p_address",
                "set_up",
                "set_forwarding",
                "enable_pf",
                "load_anchor"
            ]
        );
        assert_eq!(
            journal.steps(),
            [
                Step::UtunOpened {
                    name: IfName::new("utun10").unwrap()
                },
                Step::ForwardingChanged { old: 0 },
                Step::PfEnabled { token: Some(1000) },
                Step::PfAnchorLoaded {
                    anchor: ANCHOR.into()
                },
            ]
        );
        let on = mac.snapshot();
        assert_eq!(on.forwarding, 1);
        assert_eq!(on.pf_refs, [1000]);
        assert_eq!(on.utuns["utun10"], (1400, Some(UTUN_ADDR), true));
        let rules = &on.anchors[ANCHOR];
        assert!(
            rules.contains("pass in quick on bridge100 route-to (utun10 192.0.0.8)"),
            "{rules}"
        );
        // What is on disk is what a crash would leave for `masq down`.
        let on_disk: Journal<Step> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(on_disk.steps(), journal.steps());

        undo_all(&mut mac, journal, Some(tun)).unwrap();
        assert_eq!(mac.snapshot(), before, "stop leaves the Mac as it was");
        assert!(!path.exists());
    }

    #[test]
    fn forwarding_already_on_is_neither_recorded_nor_turned_off_at_stop() {
        let mut mac = FakeMac::new();
        mac.state.borrow_mut().forwarding = 1;
        let (result, _) = start(&mut mac, "fwd");
        let (journal, tun) = result.unwrap();
        assert!(
            !journal
                .steps()
                .iter()
                .any(|s| matches!(s, Step::ForwardingChanged { .. }))
        );
        undo_all(&mut mac, journal, Some(tun)).unwrap();
        assert_eq!(mac.snapshot().forwarding, 1);
    }

    #[test]
    fn a_failure_at_any_step_leaves_the_mac_as_it_was() {
        for fail in [
            "open_utun",
            "set_mtu",
            "add_p2p_address",
            "set_up",
            "set_forwarding",
            "enable_pf",
            "load_anchor",
        ] {
            let mut mac = FakeMac::new();
            mac.fail = Some(fail);
            let before = mac.snapshot();
            let (result, path) = start(&mut mac, fail);
            let Err(err) = result else {
                panic!("{fail}: the start succeeded");
            };
            assert!(err.to_string().contains(fail), "{fail}: {err}");
            assert_eq!(mac.snapshot(), before, "{fail}: rolled back");
            assert!(!path.exists(), "{fail}: journal removed");
        }
    }

    #[test]
    fn an_undo_that_fails_during_rollback_is_reported_and_kept_in_the_journal() {
        // The pf reference cannot be taken, and turning forwarding back off is refused: the
        // start fails naming both, and the journal keeps the forwarding step for `masq down`.
        let mut mac = FakeMac::new();
        mac.fail = Some("enable_pf");
        mac.refuse_forwarding_off = true;
        let (result, path) = start(&mut mac, "rollback");
        let err = result.err().expect("the start fails");
        let PlatformError::StartFailed {
            cause, leftovers, ..
        } = &err
        else {
            panic!("{err}");
        };
        assert!(cause.to_string().contains("enable_pf"), "{cause}");
        assert!(
            leftovers[0].contains("net.inet.ip.forwarding"),
            "{leftovers:?}"
        );
        let left: Journal<Step> = Journal::load(&path).unwrap().unwrap();
        assert_eq!(left.steps(), [Step::ForwardingChanged { old: 0 }]);
        assert!(mac.snapshot().utuns.is_empty(), "the utun was closed");
        assert!(mac.snapshot().pf_refs.is_empty());
        left.remove().unwrap();
    }

    #[test]
    fn a_dead_anchor_point_is_refused_before_anything_changes() {
        let mut mac = FakeMac::new();
        mac.main_rules = "pass all\n".into();
        let before = mac.snapshot();
        let err = check_anchor_is_live(&mut mac).unwrap_err();
        assert!(err.to_string().contains("com.apple/masq"), "{err}");
        assert_eq!(mac.calls, ["main_rules"]);
        assert_eq!(mac.snapshot(), before);
        let mut mac = FakeMac::new();
        check_anchor_is_live(&mut mac).unwrap();
    }
}
