//! The decisions of uplink roaming, free of I/O so they are unit-tested: when a burst of
//! change hints has settled ([`Debounce`]), and what a fresh look at the uplink means for
//! sharing ([`decide`]).
//!
//! One change (a cable plugged in, Wi-Fi joining another network) makes the OS send a burst of
//! link, address and route messages over a few hundred milliseconds; acting on the first would
//! see a half-configured interface. So the uplink is looked at again only once no hint came
//! for [`QUIET`], or at the latest [`MAX_WAIT`] after the first, so a flapping link cannot
//! postpone it forever.

use std::time::{Duration, Instant};

use masq_platform::sockets::Uplink;

/// How long the hints must be quiet before the uplink is looked at again.
pub(crate) const QUIET: Duration = Duration::from_millis(300);
/// The longest a burst of hints may postpone the look.
pub(crate) const MAX_WAIT: Duration = Duration::from_millis(1500);

/// The settle timer of one burst of hints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Debounce {
    first: Instant,
    last: Instant,
}

impl Debounce {
    /// A burst that started with a hint at `now`.
    pub(crate) fn start(now: Instant) -> Self {
        Debounce {
            first: now,
            last: now,
        }
    }

    /// Another hint of the same burst.
    pub(crate) fn hint(&mut self, now: Instant) {
        self.last = self.last.max(now);
    }

    /// When to look at the uplink, unless another hint comes first.
    pub(crate) fn due(&self) -> Instant {
        (self.last + QUIET).min(self.first + MAX_WAIT)
    }
}

/// What a fresh look found: the uplink sharing should use now, if any is usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// No usable uplink: no default route (automatic), or the pinned link is down or has no
    /// IPv4 address.
    Unusable,
    /// This uplink, usable.
    Usable(Uplink),
}

/// Why sharing moves to another uplink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MoveKind {
    /// Another interface (or the same name with a new index: it was re-created).
    Switched,
    /// The same interface with another IPv4 address.
    Readdressed,
}

/// What sharing does about what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing changed that matters.
    Unchanged,
    /// The uplink stopped being usable; sharing stays on it and waits (its sockets survive a
    /// short outage of the same interface and address).
    Lost,
    /// The same uplink is usable again; `uplink` carries its current IPv6 source.
    Restored { uplink: Uplink },
    /// Only the IPv6 source changed (e.g. a temporary address rotated): new sockets use it,
    /// nothing is reset, since the IPv4 conversations are unaffected.
    Refreshed { uplink: Uplink },
    /// Sharing moves: every TCP connection is reset and every UDP/ICMP mapping ended, since
    /// their sockets are bound to an interface or address that no longer carries them.
    Moved { to: Uplink, kind: MoveKind },
}

/// Compares what was seen with the uplink in use (`available`: whether it was usable at the
/// last look).
pub(crate) fn decide(current: &Uplink, available: bool, seen: Seen) -> Verdict {
    let Seen::Usable(now) = seen else {
        return if available {
            Verdict::Lost
        } else {
            Verdict::Unchanged
        };
    };
    if now.name != current.name || now.index != current.index {
        return Verdict::Moved {
            to: now,
            kind: MoveKind::Switched,
        };
    }
    if now.ipv4 != current.ipv4 {
        return Verdict::Moved {
            to: now,
            kind: MoveKind::Readdressed,
        };
    }
    if !available {
        return Verdict::Restored { uplink: now };
    }
    if now.ipv6 != current.ipv6 {
        return Verdict::Refreshed { uplink: now };
    }
    Verdict::Unchanged
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn up(name: &str, index: u32, v4: [u8; 4]) -> Uplink {
        Uplink {
            name: name.into(),
            index,
            ipv4: Some(Ipv4Addr::from(v4)),
            ipv6: None,
        }
    }

    #[test]
    fn a_burst_settles_after_the_quiet_time_but_never_later_than_the_cap() {
        let t0 = Instant::now();
        let mut d = Debounce::start(t0);
        assert_eq!(d.due(), t0 + QUIET);
        d.hint(t0 + Duration::from_millis(200));
        assert_eq!(d.due(), t0 + Duration::from_millis(500));
        // A hint every 200 ms would postpone forever; the cap ends it.
        for ms in (400..3000).step_by(200) {
            d.hint(t0 + Duration::from_millis(ms));
        }
        assert_eq!(d.due(), t0 + MAX_WAIT);
        // Hints that arrive out of order do not move the settle time back.
        let mut e = Debounce::start(t0 + Duration::from_millis(100));
        e.hint(t0);
        assert_eq!(e.due(), t0 + Duration::from_millis(100) + QUIET);
    }

    #[test]
    fn another_interface_is_a_switch() {
        let a = up("veth-a", 5, [10, 1, 0, 2]);
        let b = up("veth-b", 6, [10, 2, 0, 2]);
        assert_eq!(
            decide(&a, true, Seen::Usable(b.clone())),
            Verdict::Moved {
                to: b,
                kind: MoveKind::Switched
            }
        );
    }

    #[test]
    fn a_recreated_interface_with_the_same_name_is_a_switch() {
        let a = up("usb0", 5, [10, 1, 0, 2]);
        let again = up("usb0", 9, [10, 1, 0, 2]);
        assert!(matches!(
            decide(&a, true, Seen::Usable(again)),
            Verdict::Moved {
                kind: MoveKind::Switched,
                ..
            }
        ));
    }

    #[test]
    fn a_new_ipv4_address_is_a_readdress_even_after_an_outage() {
        let a = up("wlan0", 3, [192, 168, 1, 20]);
        let renewed = up("wlan0", 3, [192, 168, 7, 31]);
        for available in [true, false] {
            assert_eq!(
                decide(&a, available, Seen::Usable(renewed.clone())),
                Verdict::Moved {
                    to: renewed.clone(),
                    kind: MoveKind::Readdressed
                }
            );
        }
    }

    #[test]
    fn losing_the_uplink_is_reported_once_and_its_return_restores_it() {
        let a = up("wlan0", 3, [192, 168, 1, 20]);
        assert_eq!(decide(&a, true, Seen::Unusable), Verdict::Lost);
        assert_eq!(decide(&a, false, Seen::Unusable), Verdict::Unchanged);
        assert_eq!(
            decide(&a, false, Seen::Usable(a.clone())),
            Verdict::Restored { uplink: a.clone() }
        );
        assert_eq!(
            decide(&a, true, Seen::Usable(a.clone())),
            Verdict::Unchanged
        );
    }

    #[test]
    fn a_rotated_ipv6_source_resets_nothing() {
        let a = up("wlan0", 3, [192, 168, 1, 20]);
        let mut rotated = a.clone();
        rotated.ipv6 = Some("2001:db8::77".parse().unwrap());
        assert_eq!(
            decide(&a, true, Seen::Usable(rotated.clone())),
            Verdict::Refreshed { uplink: rotated }
        );
    }
}
