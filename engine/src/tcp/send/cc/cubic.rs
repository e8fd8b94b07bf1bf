//! CUBIC (RFC 9438): after a loss the window returns quickly to where the loss happened,
//! lingers there, then probes beyond it along a cubic curve of the time since the loss, which
//! makes its growth independent of the RTT on long paths. Where the curve is slower than a
//! Reno flow would be (short RTTs, so on a LAN nearly always) it grows like Reno with the
//! gentler reduction of β = 0.7 (the "Reno-friendly region", RFC 9438 4.3).
//!
//! The formula's constants are defined for windows counted in segments and time in seconds:
//! it runs in those units, the window itself stays in bytes.

use std::time::{Duration, Instant};

use super::hystart::{HyStart, L, Phase};
use super::{AckSample, Controller, Window, slow_start};

/// RFC 9438 4.1 constants.
const C: f64 = 0.4;
const BETA: f64 = 0.7;
/// Growth factor of the Reno-friendly estimate until it reaches the window before the last
/// reduction (RFC 9438 4.3): 3(1 − β)/(1 + β).
const ALPHA: f64 = 3.0 * (1.0 - BETA) / (1.0 + BETA);

/// The growth curve's parameters, saved so a spurious reduction can be undone.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Curve {
    /// Window (segments) where the last loss happened.
    w_max: f64,
    /// Time from the epoch's start to the plateau at `w_max` (seconds).
    k: f64,
    /// Start of the current growth epoch (the first ACK after the reduction).
    epoch_start: Option<Instant>,
    /// The Reno-friendly estimate (segments).
    w_est: f64,
    /// Window (segments) before the last reduction.
    cwnd_prior: f64,
}

/// CUBIC state of one flow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cubic {
    curve: Curve,
    /// The curve before the last congestion event, for [`Controller::undo`].
    saved: Option<Curve>,
    /// Growth below one byte carried to the next ACK.
    carry: f64,
    hystart: HyStart,
}

impl Cubic {
    /// W_cubic(t) of RFC 9438 4.2, in segments.
    fn w_cubic(&self, t: f64) -> f64 {
        C * (t - self.curve.k).powi(3) + self.curve.w_max
    }

    fn grow(&mut self, w: &mut Window, bytes: f64) {
        self.carry += bytes;
        if self.carry >= 1.0 {
            let whole = self.carry.floor();
            self.carry -= whole;
            w.cwnd += whole as u64;
        }
    }
}

impl Controller for Cubic {
    fn on_ack(&mut self, w: &mut Window, ack: AckSample) {
        let mut delivered = ack.delivered;
        if w.in_slow_start() {
            let limit = match self.hystart.phase() {
                Phase::Done => u64::MAX,
                _ => L * w.mss,
            };
            let growth = match self.hystart.phase() {
                Phase::Done => delivered,
                _ => self.hystart.growth(delivered, w.mss),
            };
            let left = slow_start(w, growth, limit);
            if left == 0 {
                return;
            }
            delivered = left;
        }
        let mss = w.mss as f64;
        let cwnd = w.cwnd as f64 / mss;
        let now = ack.now;
        let start = match self.curve.epoch_start {
            Some(start) => start,
            None => {
                // A new epoch (RFC 9438 4.2): the curve starts at the current window.
                if cwnd < self.curve.w_max {
                    self.curve.k = ((self.curve.w_max - cwnd) / C).cbrt();
                } else {
                    self.curve.k = 0.0;
                    self.curve.w_max = cwnd;
                }
                self.curve.w_est = cwnd;
                self.curve.epoch_start = Some(now);
                now
            }
        };
        let t = now.saturating_duration_since(start).as_secs_f64();
        let rtt = ack.srtt.as_secs_f64();
        let acked = delivered as f64 / mss;
        // Reno-friendly estimate (RFC 9438 4.3).
        let alpha = if self.curve.w_est >= self.curve.cwnd_prior {
            1.0
        } else {
            ALPHA
        };
        self.curve.w_est += alpha * acked / cwnd;
        let w_cubic = self.w_cubic(t);
        if w_cubic < self.curve.w_est {
            let target = self.curve.w_est;
            if target > cwnd {
                self.grow(w, (target - cwnd) * mss);
            }
        } else {
            // Concave or convex region (RFC 9438 4.4, 4.5): close a share of the distance
            // to where the curve will be one RTT from now.
            let target = self.w_cubic(t + rtt).clamp(cwnd, 1.5 * cwnd);
            self.grow(w, (target - cwnd) / cwnd * acked * mss);
        }
    }

    fn on_congestion(&mut self, _now: Instant, w: &Window) -> u64 {
        self.saved = Some(self.curve);
        self.hystart.finish();
        let cwnd = w.cwnd as f64 / w.mss as f64;
        // Fast convergence (RFC 9438 4.7): a flow that loses before regaining its previous
        // maximum releases bandwidth for newcomers.
        self.curve.w_max = if cwnd < self.curve.w_max {
            cwnd * (1.0 + BETA) / 2.0
        } else {
            cwnd
        };
        self.curve.cwnd_prior = cwnd;
        self.curve.epoch_start = None;
        self.curve.w_est = 0.0;
        self.carry = 0.0;
        ((w.cwnd as f64 * BETA) as u64).max(2 * w.mss)
    }

    fn undo(&mut self) {
        if let Some(saved) = self.saved.take() {
            self.curve = saved;
        }
    }

    fn on_idle_restart(&mut self, idle: Duration) {
        // Linux `cubictcp_cwnd_event(CA_EVENT_TX_START)`: shift the epoch by the idle time.
        if let Some(start) = self.curve.epoch_start.as_mut() {
            *start += idle;
        }
    }

    fn on_rtt(&mut self, w: &mut Window, rtt: Duration, round: u64) {
        if w.in_slow_start() && self.hystart.on_rtt(rtt, round) {
            w.ssthresh = w.cwnd;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    fn ack(now: Instant, delivered: u64, srtt: Duration) -> AckSample {
        AckSample {
            now,
            delivered,
            srtt,
        }
    }

    /// Feeds one window's worth of ACKs per RTT for `rounds` round trips.
    fn run(c: &mut Cubic, w: &mut Window, start: Instant, rtt: Duration, rounds: u32) {
        for r in 0..rounds {
            let now = start + rtt * r;
            let segs = w.cwnd / MSS;
            for _ in 0..segs {
                c.on_ack(w, ack(now, MSS, rtt));
            }
        }
    }

    #[test]
    fn reduction_is_beta_and_keeps_two_segments() {
        let mut c = Cubic::default();
        let w = Window {
            cwnd: 100 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        };
        assert_eq!(c.on_congestion(t0(), &w), 70 * MSS);
        let tiny = Window { cwnd: 2 * MSS, ..w };
        assert_eq!(c.on_congestion(t0(), &tiny), 2 * MSS);
    }

    #[test]
    fn at_lan_rtts_it_grows_like_reno_with_beta_07() {
        // 100 us RTT: the cubic curve barely moves in a few hundred rounds, the
        // Reno-friendly estimate sets the pace: about 0.53 segments per round, then one.
        let mut c = Cubic::default();
        let t = t0();
        let mut w = Window {
            cwnd: 100 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        };
        w.ssthresh = c.on_congestion(t, &w);
        w.cwnd = w.ssthresh;
        let rtt = Duration::from_micros(100);
        run(&mut c, &mut w, t, rtt, 20);
        let grown = (w.cwnd - 70 * MSS) as f64 / MSS as f64;
        assert!(
            (9.0..=12.5).contains(&grown),
            "grew {grown} segments in 20 rounds"
        );
    }

    #[test]
    fn at_long_rtts_the_curve_returns_to_the_old_maximum_near_k() {
        let mut c = Cubic::default();
        let t = t0();
        let mut w = Window {
            cwnd: 1000 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        };
        w.ssthresh = c.on_congestion(t, &w);
        w.cwnd = w.ssthresh;
        // K = cbrt(1000 * 0.3 / 0.4) = 9.09 s. With a 100 ms RTT, after 9 s the window is
        // close to W_max again, and it has not run away beyond it.
        let rtt = Duration::from_millis(100);
        run(&mut c, &mut w, t, rtt, 90);
        let segs = w.cwnd / MSS;
        assert!(
            (950..=1010).contains(&segs),
            "window {segs} segments after ~K"
        );
    }

    #[test]
    fn undo_restores_the_curve() {
        let mut c = Cubic::default();
        let t = t0();
        let w = Window {
            cwnd: 100 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        };
        c.on_congestion(t, &w);
        let before = c.curve;
        let w2 = Window {
            cwnd: 70 * MSS,
            ..w
        };
        c.on_congestion(t, &w2);
        assert_ne!(c.curve, before);
        c.undo();
        assert_eq!(c.curve, before);
    }

    #[test]
    fn fast_convergence_lowers_w_max_after_an_early_loss() {
        let mut c = Cubic::default();
        let t = t0();
        let w = Window {
            cwnd: 100 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        };
        c.on_congestion(t, &w);
        let w2 = Window {
            cwnd: 80 * MSS,
            ..w
        };
        c.on_congestion(t, &w2);
        assert!((c.curve.w_max - 68.0).abs() < 1e-9, "{}", c.curve.w_max);
    }

    #[test]
    fn slow_start_growth_is_capped_per_ack() {
        let mut c = Cubic::default();
        let mut w = Window {
            cwnd: 10 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        };
        c.on_ack(&mut w, ack(t0(), 64 * MSS, Duration::from_millis(1)));
        assert_eq!(w.cwnd, 18 * MSS, "at most L = 8 segments per ACK");
    }
}
