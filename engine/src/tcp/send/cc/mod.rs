//! Congestion control toward the LAN host: how fast the window grows while nothing is lost
//! and how far it falls when something is.
//!
//! The controller only answers those two questions (Linux's `tcp_congestion_ops` split): the
//! sender owns the window, runs Proportional Rate Reduction during recovery (which is not the
//! controller's business in Linux either) and decides when growth is allowed at all (only
//! while the window, not the application, limits sending).
//!
//! CUBIC (RFC 9438) with HyStart++ (RFC 9406) is the default, as in Linux, macOS and Windows;
//! NewReno (RFC 5681) stays available for hosts or links where it behaves better. BBR is the
//! one model-based controller: it sets the window (and a pacing rate) from every ACK's
//! delivery-rate sample itself, as Linux's `cong_control` hook does, so the sender hands it
//! each ACK ([`Cc::on_ack_event`]) instead of running PRR and the growth rules.

mod bbr;
mod cubic;
mod hystart;
mod newreno;

use std::time::{Duration, Instant};

use crate::config::CongestionControl;
pub(crate) use bbr::{AckEvent, Bbr};
pub(crate) use cubic::Cubic;
pub(crate) use newreno::NewReno;

/// The window a controller acts on, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Congestion window.
    pub cwnd: u64,
    /// Slow-start threshold (`u64::MAX` until the first loss).
    pub ssthresh: u64,
    /// Sender maximum segment size.
    pub mss: u64,
}

impl Window {
    pub(crate) fn in_slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }
}

/// What a controller is told about an ACK that may grow the window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckSample {
    pub now: Instant,
    /// Bytes this ACK newly delivered (cumulatively acknowledged or SACKed).
    pub delivered: u64,
    /// The smoothed RTT.
    pub srtt: Duration,
}

/// The two decisions a congestion controller makes (Linux `cong_avoid` and `ssthresh`), plus
/// the bookkeeping that undoing a spurious reduction needs.
pub(crate) trait Controller {
    /// Grows the window for an ACK that delivered data while the window limited sending.
    fn on_ack(&mut self, w: &mut Window, ack: AckSample);
    /// A congestion event (loss found, or a tail loss probe repaired one): the new
    /// slow-start threshold. Called once per episode, before the window is reduced.
    fn on_congestion(&mut self, now: Instant, w: &Window) -> u64;
    /// A retransmission timeout: like a congestion event, but the window restarts from one
    /// segment afterwards, so any growth epoch ends.
    fn on_timeout(&mut self, now: Instant, w: &Window) -> u64 {
        self.on_congestion(now, w)
    }
    /// The last reduction was spurious (DSACK proved every retransmission unneeded): restore
    /// what `on_congestion` changed.
    fn undo(&mut self);
    /// Sending resumes after the connection was idle for `idle` (nothing in flight): the
    /// growth curve must not jump for the time nobody sent.
    fn on_idle_restart(&mut self, idle: Duration);
    /// An RTT sample and the round it belongs to, for slow-start exit (HyStart++).
    fn on_rtt(&mut self, _w: &mut Window, _rtt: Duration, _round: u64) {}
}

/// The configured controller. CUBIC's and BBR's state are boxed so that every flow carries
/// only the one it uses (inline, the enum took CUBIC's 176 bytes even beside a boxed BBR);
/// NewReno's few fields stay inline.
#[derive(Debug, Clone)]
pub(crate) enum Cc {
    Cubic(Box<Cubic>),
    NewReno(NewReno),
    Bbr(Box<Bbr>),
}

impl Cc {
    pub(crate) fn new(kind: CongestionControl) -> Cc {
        match kind {
            CongestionControl::Cubic => Cc::Cubic(Box::default()),
            CongestionControl::NewReno => Cc::NewReno(NewReno::default()),
            CongestionControl::Bbr => Cc::Bbr(Box::default()),
        }
    }

    fn inner(&mut self) -> &mut dyn Controller {
        match self {
            Cc::Cubic(c) => c.as_mut(),
            Cc::NewReno(c) => c,
            Cc::Bbr(c) => c.as_mut(),
        }
    }

    /// Whether the controller sets the window from every ACK itself (BBR): the sender then
    /// neither runs PRR nor cuts the window for a loss.
    pub(crate) fn model_based(&self) -> bool {
        matches!(self, Cc::Bbr(_))
    }

    /// Hands a model-based controller one ACK.
    pub(crate) fn on_ack_event(&mut self, w: &mut Window, ev: &AckEvent<'_>) {
        if let Cc::Bbr(b) = self {
            b.on_ack_event(w, ev);
        }
    }

    /// The rate to pace at in bytes per second; 0: no pacing.
    pub(crate) fn pacing_rate(&self) -> u64 {
        match self {
            Cc::Bbr(b) => b.pacing_rate(),
            _ => 0,
        }
    }
}

impl Controller for Cc {
    fn on_ack(&mut self, w: &mut Window, ack: AckSample) {
        self.inner().on_ack(w, ack)
    }
    fn on_congestion(&mut self, now: Instant, w: &Window) -> u64 {
        self.inner().on_congestion(now, w)
    }
    fn on_timeout(&mut self, now: Instant, w: &Window) -> u64 {
        self.inner().on_timeout(now, w)
    }
    fn undo(&mut self) {
        self.inner().undo()
    }
    fn on_idle_restart(&mut self, idle: Duration) {
        self.inner().on_idle_restart(idle)
    }
    fn on_rtt(&mut self, w: &mut Window, rtt: Duration, round: u64) {
        self.inner().on_rtt(w, rtt, round)
    }
}

/// Slow-start growth for `delivered` bytes (RFC 5681 3.1 with RFC 3465's byte counting),
/// at most `limit` per ACK and never past the threshold. Returns what is left for congestion
/// avoidance once the window reached the threshold (Linux `tcp_slow_start`).
pub(crate) fn slow_start(w: &mut Window, delivered: u64, limit: u64) -> u64 {
    let room = w.ssthresh.saturating_sub(w.cwnd);
    let grow = delivered.min(limit).min(room);
    w.cwnd += grow;
    if w.in_slow_start() {
        0
    } else {
        delivered - grow
    }
}
