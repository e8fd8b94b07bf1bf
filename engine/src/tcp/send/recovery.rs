//! The pieces of a loss episode: which state the sender is in (Linux's `icsk_ca_state`),
//! how much it may send during the reduction (Proportional Rate Reduction, RFC 6937), what
//! to restore if the episode proves spurious (undo, RFC 2883 / Linux `tcp_try_undo_*`), and
//! the bookkeeping of a tail loss probe (RFC 8985 7).

/// The sender's loss-recovery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaState {
    /// Nothing outstanding is in doubt.
    Open,
    /// The host reported holes (SACKs or duplicate ACKs), none judged lost yet.
    Disorder,
    /// A window reduction without retransmissions: a tail loss probe repaired a single loss.
    /// Ends when everything sent before it is acknowledged.
    Cwr { high: u64 },
    /// Fast recovery: losses are being repaired, the window falls by PRR until `high` (what
    /// had been sent when the episode began) is acknowledged.
    Recovery { high: u64 },
    /// After a retransmission timeout: slow start from one segment until `high`.
    Loss { high: u64 },
}

impl CaState {
    /// Whether the window is being reduced or rebuilt after a loss.
    pub(crate) fn in_episode(self) -> bool {
        matches!(
            self,
            CaState::Cwr { .. } | CaState::Recovery { .. } | CaState::Loss { .. }
        )
    }

    /// The end of the episode, if one is under way.
    pub(crate) fn high(self) -> Option<u64> {
        match self {
            CaState::Cwr { high } | CaState::Recovery { high } | CaState::Loss { high } => {
                Some(high)
            }
            CaState::Open | CaState::Disorder => None,
        }
    }
}

/// Proportional Rate Reduction (RFC 6937, as Linux `tcp_cwnd_reduction` does it): during a
/// reduction, send in proportion to what the host delivers, so the window reaches ssthresh
/// in one round trip instead of halving at once and stalling; after heavy losses (in flight
/// below ssthresh) rebuild toward it no faster than slow start would.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Prr {
    /// The window when the episode began.
    prior_cwnd: u64,
    /// Bytes delivered to the host since then.
    delivered: u64,
    /// Bytes sent since then.
    out: u64,
}

impl Prr {
    pub(crate) fn new(prior_cwnd: u64) -> Prr {
        Prr {
            prior_cwnd: prior_cwnd.max(1),
            delivered: 0,
            out: 0,
        }
    }

    /// Bytes were sent during the episode.
    pub(crate) fn on_sent(&mut self, bytes: u64) {
        self.out += bytes;
    }

    /// The window after an ACK that delivered `newly` bytes, with `in_flight` now in the
    /// network. `una_advanced && !newly_lost` allows one segment more in the slow-start
    /// reduction bound (RFC 6937bis). `None`: nothing was delivered, the window stays.
    pub(crate) fn window(
        &mut self,
        newly: u64,
        in_flight: u64,
        ssthresh: u64,
        una_advanced_without_loss: bool,
        mss: u64,
    ) -> Option<u64> {
        if newly == 0 {
            return None;
        }
        self.delivered += newly;
        let sndcnt = if in_flight > ssthresh {
            // Proportional part: ceil(ssthresh * delivered / prior_cwnd) - out.
            let target = (u128::from(ssthresh) * u128::from(self.delivered))
                .div_ceil(u128::from(self.prior_cwnd));
            u64::try_from(target)
                .unwrap_or(u64::MAX)
                .saturating_sub(self.out)
        } else {
            // Slow-start reduction bound.
            let mut n = self.delivered.saturating_sub(self.out).max(newly);
            if una_advanced_without_loss {
                n += mss;
            }
            n.min(ssthresh - in_flight)
        };
        // The first retransmission of an episode always goes out (Linux forces it).
        let sndcnt = if self.out == 0 {
            sndcnt.max(mss)
        } else {
            sndcnt
        };
        Some(in_flight + sndcnt)
    }
}

/// What a window reduction changed, kept so that a spurious episode can be undone: when
/// DSACKs show the host received every retransmission's original (RFC 2883, Linux
/// `undo_marker` / `undo_retrans`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Undo {
    /// Where the episode began (`snd_una` then); DSACKs above it count.
    pub marker: u64,
    /// Bytes retransmitted in the episode not yet shown unneeded by a DSACK.
    pub retrans: u64,
    /// Whether anything was retransmitted at all.
    pub any_retrans: bool,
    pub prior_cwnd: u64,
    pub prior_ssthresh: u64,
}

impl Undo {
    pub(crate) fn new(marker: u64, cwnd: u64, ssthresh: u64) -> Undo {
        Undo {
            marker,
            retrans: 0,
            any_retrans: false,
            prior_cwnd: cwnd,
            // Linux `tcp_current_ssthresh`: what the threshold effectively was, three
            // quarters of the window at least, so that an undo does not leave the sender in
            // slow start far below where it ran.
            prior_ssthresh: ssthresh.max(cwnd / 4 * 3),
        }
    }

    /// A DSACK showed `bytes` of the episode's retransmissions were unneeded. True when
    /// every retransmission is now accounted for: the reduction was spurious.
    pub(crate) fn on_dsack(&mut self, bytes: u64) -> bool {
        self.retrans = self.retrans.saturating_sub(bytes);
        self.retrans == 0
    }

    /// Whether the episode can be undone now: nothing it retransmitted is still in doubt.
    pub(crate) fn is_spurious(&self) -> bool {
        self.retrans == 0
    }
}

/// A tail loss probe in flight (RFC 8985 7.3, Linux `tlp_high_seq`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    /// `snd_nxt` after the probe went out: an ACK beyond it settles the episode.
    pub high: u64,
    /// The probe resent `[start, end)` (it was not new data).
    pub resent: Option<(u64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    #[test]
    fn proportional_reduction_spreads_the_cut_over_a_round_trip() {
        // 20 segments in flight, one lost: ssthresh 14 (β 0.7). Each ACK delivers one
        // segment; PRR lets ~0.7 segments go per ACK instead of stopping for half a window.
        let mut prr = Prr::new(20 * MSS);
        let mut in_flight = 19 * MSS;
        let mut sent = 0;
        for _ in 0..19 {
            in_flight -= MSS;
            let cwnd = prr.window(MSS, in_flight, 14 * MSS, true, MSS).unwrap();
            let can = cwnd.saturating_sub(in_flight);
            let n = can / MSS * MSS;
            prr.on_sent(n);
            sent += n;
            in_flight += n;
        }
        let segs = sent / MSS;
        assert!(
            (13..=14).contains(&segs),
            "sent {segs} segments for 19 delivered"
        );
        assert!(in_flight <= 14 * MSS);
    }

    #[test]
    fn after_heavy_loss_it_rebuilds_like_slow_start() {
        let mut prr = Prr::new(20 * MSS);
        prr.on_sent(MSS);
        // Half the window lost: 5 segments in flight, ssthresh 14.
        let cwnd = prr.window(MSS, 5 * MSS, 14 * MSS, true, MSS).unwrap();
        assert_eq!(
            cwnd,
            5 * MSS + MSS + MSS,
            "delivered, plus one for the advancing ACK"
        );
    }

    #[test]
    fn the_first_retransmission_always_goes() {
        let mut prr = Prr::new(20 * MSS);
        // A SACK delivered 100 bytes: proportionally nothing yet, but PRR forces one MSS.
        let cwnd = prr.window(100, 19 * MSS, 14 * MSS, false, MSS).unwrap();
        assert_eq!(cwnd, 20 * MSS);
        assert_eq!(prr.window(0, 19 * MSS, 14 * MSS, false, MSS), None);
    }

    #[test]
    fn undo_waits_for_every_retransmission() {
        let mut u = Undo::new(0, 20 * MSS, u64::MAX);
        u.retrans = 2 * MSS;
        u.any_retrans = true;
        assert!(!u.on_dsack(MSS));
        assert!(u.on_dsack(MSS));
        assert!(u.is_spurious());
    }
}
