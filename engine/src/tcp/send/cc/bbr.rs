//! BBR (version 1, as Linux's `tcp_bbr.c` and draft-cardwell-iccrg-bbr-congestion-control):
//! instead of reading loss as congestion, it models the path from delivery-rate samples (the
//! bottleneck bandwidth, a windowed maximum) and round trips (the propagation delay, a
//! windowed minimum), paces at that bandwidth and keeps about two bandwidth-delay products
//! in flight.
//!
//! On a LAN whose losses come from the radio rather than from a full queue (Wi-Fi), a
//! loss-based controller halves its rate at every random loss; BBR does not, which is why a
//! host configured with BBR (Linux's `net.ipv4.tcp_congestion_control = bbr`) downloads
//! through kernel NAT at several times the speed CUBIC allows. masq uses it toward the LAN
//! when the host's own TCP does, so sharing the connection does not change that.
//!
//! Units: the window in bytes, bandwidth in bytes per second, gains as plain factors.

use std::time::{Duration, Instant};

use super::super::rate::RateSample;
use super::super::recovery::CaState;
use super::{AckSample, Controller, Window};

/// Startup's gain, 2/ln 2: the smallest that doubles the sending rate every round.
const HIGH_GAIN: f64 = 2.885;
/// Drain's pacing gain: the inverse, to empty in one round the queue Startup built.
const DRAIN_GAIN: f64 = 1.0 / HIGH_GAIN;
/// ProbeBW's window gain: room for delayed and aggregated ACKs.
const CWND_GAIN: f64 = 2.0;
/// ProbeBW's pacing-gain cycle: probe up, drain what that queued, cruise six rounds.
const PACING_GAINS: [f64; 8] = [1.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// Rounds the bandwidth filter remembers (the cycle and two more).
const BW_ROUNDS: u64 = 10;
/// How long a minimum RTT stays valid before ProbeRTT measures it again.
const MIN_RTT_WINDOW: Duration = Duration::from_secs(10);
/// How long ProbeRTT holds the window at its minimum.
const PROBE_RTT_TIME: Duration = Duration::from_millis(200);
/// The smallest window, in segments (ProbeRTT's).
const MIN_CWND_SEGMENTS: u64 = 4;
/// Startup ends once three rounds in a row grew the bandwidth by less than 25 %.
const FULL_BW_GROWTH: f64 = 1.25;
const FULL_BW_ROUNDS: u32 = 3;
/// Pacing a little below the estimate keeps the bottleneck's queue from creeping up.
const PACING_MARGIN: f64 = 0.99;
/// ACK aggregation: rounds over which the largest excess of ACKed data is remembered, and
/// the most time's worth of it the window may add.
const EXTRA_ACKED_ROUNDS: u32 = 5;
const EXTRA_ACKED_MAX: Duration = Duration::from_millis(100);
/// An aggregation epoch this large is restarted (Linux `bbr_ack_epoch_acked_reset_thresh`).
const ACK_EPOCH_RESET: u64 = 1 << 30;
/// Largest burst a pacer sends at once (a super-segment), for the window's quantization
/// budget.
const MAX_BURST: u64 = 64 * 1024;

/// BBR's phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Startup,
    Drain,
    ProbeBw,
    ProbeRtt,
}

/// The largest value of the last `BW_ROUNDS` rounds (one slot per round, a ring).
#[derive(Debug, Clone, Default)]
struct MaxFilter {
    slots: [(u64, u64); BW_ROUNDS as usize],
}

impl MaxFilter {
    fn update(&mut self, round: u64, value: u64) {
        let slot = &mut self.slots[(round % BW_ROUNDS) as usize];
        if slot.0 != round {
            *slot = (round, value);
        } else {
            slot.1 = slot.1.max(value);
        }
    }

    fn max(&self, round: u64) -> u64 {
        self.slots
            .iter()
            .filter(|(r, _)| *r + BW_ROUNDS > round)
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0)
    }
}

/// What BBR is told about each ACK (Linux's `rate_sample` and socket fields together).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckEvent<'a> {
    pub now: Instant,
    /// The delivery-rate sample of this ACK, if it gave one.
    pub sample: Option<&'a RateSample>,
    /// Bytes delivered since the start (the round counter runs on it).
    pub delivered: u64,
    /// Bytes this ACK delivered (cumulatively acknowledged or SACKed).
    pub acked: u64,
    /// Bytes this ACK made the sender mark lost.
    pub lost: u64,
    /// Bytes in flight before this ACK and now.
    pub prior_in_flight: u64,
    pub in_flight: u64,
    /// The sender's loss-recovery state after this ACK.
    pub state: CaState,
    /// The smoothed RTT (for the pacing rate before any bandwidth sample).
    pub srtt: Option<Duration>,
}

/// BBR state of one flow.
#[derive(Debug, Clone)]
pub(crate) struct Bbr {
    mode: Mode,
    bw: MaxFilter,
    min_rtt: Option<Duration>,
    min_rtt_stamp: Option<Instant>,
    round: u64,
    next_round_delivered: u64,
    round_start: bool,
    full_bw: u64,
    full_bw_count: u32,
    full_bw_reached: bool,
    cycle: usize,
    cycle_stamp: Option<Instant>,
    pacing_gain: f64,
    cwnd_gain: f64,
    pacing_rate: u64,
    prior_cwnd: u64,
    prev_in_recovery: bool,
    prev_loss: bool,
    conservation: bool,
    probe_rtt_done: Option<Instant>,
    probe_rtt_round_done: bool,
    idle_restart: bool,
    extra_acked: [u64; 2],
    extra_acked_slot: usize,
    extra_acked_rounds: u32,
    ack_epoch: Option<Instant>,
    ack_epoch_acked: u64,
}

impl Default for Bbr {
    fn default() -> Self {
        Bbr {
            mode: Mode::Startup,
            bw: MaxFilter::default(),
            min_rtt: None,
            min_rtt_stamp: None,
            round: 0,
            next_round_delivered: 0,
            round_start: false,
            full_bw: 0,
            full_bw_count: 0,
            full_bw_reached: false,
            cycle: 0,
            cycle_stamp: None,
            pacing_gain: HIGH_GAIN,
            cwnd_gain: HIGH_GAIN,
            pacing_rate: 0,
            prior_cwnd: 0,
            prev_in_recovery: false,
            prev_loss: false,
            conservation: false,
            probe_rtt_done: None,
            probe_rtt_round_done: false,
            idle_restart: false,
            extra_acked: [0; 2],
            extra_acked_slot: 0,
            extra_acked_rounds: 0,
            ack_epoch: None,
            ack_epoch_acked: 0,
        }
    }
}

impl Bbr {
    fn max_bw(&self) -> u64 {
        self.bw.max(self.round)
    }

    /// Bytes that `bw` moves in one minimum RTT, times `gain`.
    fn bdp(&self, bw: u64, gain: f64, w: &Window) -> u64 {
        match self.min_rtt {
            Some(rtt) => (bw as f64 * rtt.as_secs_f64() * gain) as u64,
            None => 10 * w.mss,
        }
    }

    /// The window for `bdp`, with room for the pacer's bursts (Linux
    /// `bbr_quantization_budget`): three bursts more, and two segments more while probing.
    fn with_budget(&self, bdp: u64, w: &Window) -> u64 {
        let burst = ((self.pacing_rate / 1000).clamp(2 * w.mss, MAX_BURST)).max(2 * w.mss);
        let mut cwnd = bdp + 3 * burst;
        if self.mode == Mode::ProbeBw && self.cycle == 0 {
            cwnd += 2 * w.mss;
        }
        cwnd
    }

    fn inflight(&self, bw: u64, gain: f64, w: &Window) -> u64 {
        self.with_budget(self.bdp(bw, gain, w), w)
    }

    fn update_round(&mut self, ev: &AckEvent<'_>) {
        self.round_start = false;
        if let Some(s) = ev.sample
            && s.prior_delivered >= self.next_round_delivered
        {
            self.next_round_delivered = ev.delivered;
            self.round += 1;
            self.round_start = true;
            self.conservation = false;
        }
    }

    fn update_bw(&mut self, ev: &AckEvent<'_>) {
        let Some(s) = ev.sample else {
            return;
        };
        let bw = s.rate();
        // An application-limited sample only counts if it shows more than known: a quiet
        // sender is no evidence of a slow path.
        if !s.app_limited || bw >= self.max_bw() {
            self.bw.update(self.round, bw);
        }
    }

    fn update_ack_aggregation(&mut self, ev: &AckEvent<'_>, w: &Window) {
        if ev.acked == 0 {
            return;
        }
        if self.round_start {
            self.extra_acked_rounds = (self.extra_acked_rounds + 1).min(31);
            if self.extra_acked_rounds >= EXTRA_ACKED_ROUNDS {
                self.extra_acked_rounds = 0;
                self.extra_acked_slot ^= 1;
                self.extra_acked[self.extra_acked_slot] = 0;
            }
        }
        let epoch = *self.ack_epoch.get_or_insert(ev.now);
        let elapsed = ev.now.saturating_duration_since(epoch);
        let mut expected =
            u64::try_from(u128::from(self.max_bw()) * elapsed.as_nanos() / 1_000_000_000)
                .unwrap_or(u64::MAX);
        if self.ack_epoch_acked <= expected || self.ack_epoch_acked + ev.acked >= ACK_EPOCH_RESET {
            self.ack_epoch_acked = 0;
            self.ack_epoch = Some(ev.now);
            expected = 0;
        }
        self.ack_epoch_acked += ev.acked;
        let extra = self.ack_epoch_acked.saturating_sub(expected).min(w.cwnd);
        let slot = &mut self.extra_acked[self.extra_acked_slot];
        *slot = (*slot).max(extra);
    }

    fn aggregation_cwnd(&self) -> u64 {
        if !self.full_bw_reached {
            return 0;
        }
        let most =
            u64::try_from(u128::from(self.max_bw()) * EXTRA_ACKED_MAX.as_nanos() / 1_000_000_000)
                .unwrap_or(u64::MAX);
        self.extra_acked[0].max(self.extra_acked[1]).min(most)
    }

    fn update_cycle_phase(&mut self, ev: &AckEvent<'_>, w: &Window) {
        if self.mode != Mode::ProbeBw {
            return;
        }
        let rtt = self.min_rtt.unwrap_or_default();
        let full_length = self
            .cycle_stamp
            .is_none_or(|t| ev.now.saturating_duration_since(t) > rtt);
        let gain = PACING_GAINS[self.cycle];
        let next = if gain == 1.0 {
            full_length
        } else if gain > 1.0 {
            full_length
                && (ev.lost > 0 || ev.prior_in_flight >= self.inflight(self.max_bw(), gain, w))
        } else {
            full_length || ev.prior_in_flight <= self.inflight(self.max_bw(), 1.0, w)
        };
        if next {
            self.cycle = (self.cycle + 1) % PACING_GAINS.len();
            self.cycle_stamp = Some(ev.now);
        }
    }

    fn check_full_bw(&mut self, ev: &AckEvent<'_>) {
        if self.full_bw_reached || !self.round_start || ev.sample.is_none_or(|s| s.app_limited) {
            return;
        }
        let max = self.max_bw();
        if max as f64 >= self.full_bw as f64 * FULL_BW_GROWTH {
            self.full_bw = max;
            self.full_bw_count = 0;
            return;
        }
        self.full_bw_count += 1;
        self.full_bw_reached = self.full_bw_count >= FULL_BW_ROUNDS;
    }

    fn check_drain(&mut self, ev: &AckEvent<'_>, w: &Window) {
        if self.mode == Mode::Startup && self.full_bw_reached {
            self.mode = Mode::Drain;
        }
        if self.mode == Mode::Drain && ev.in_flight <= self.inflight(self.max_bw(), 1.0, w) {
            self.enter_probe_bw(ev.now);
        }
    }

    fn enter_probe_bw(&mut self, now: Instant) {
        self.mode = Mode::ProbeBw;
        // Start at a pseudo-random phase other than the probe (Linux draws from 0..7), so
        // flows that start together do not probe in step; the round count is random enough.
        self.cycle = (PACING_GAINS.len() - 1 - (self.round % 7) as usize) % PACING_GAINS.len();
        self.cycle = (self.cycle + 1) % PACING_GAINS.len();
        self.cycle_stamp = Some(now);
    }

    fn update_min_rtt(&mut self, ev: &AckEvent<'_>, w: &mut Window) {
        let expired = self
            .min_rtt_stamp
            .is_some_and(|t| ev.now.saturating_duration_since(t) > MIN_RTT_WINDOW);
        if let Some(rtt) = ev.sample.and_then(|s| s.rtt)
            && (self.min_rtt.is_none_or(|m| rtt < m) || expired)
        {
            self.min_rtt = Some(rtt);
            self.min_rtt_stamp = Some(ev.now);
        }
        if expired && !self.idle_restart && self.mode != Mode::ProbeRtt {
            self.mode = Mode::ProbeRtt;
            self.save_cwnd(w);
            self.probe_rtt_done = None;
        }
        if self.mode == Mode::ProbeRtt {
            if self.probe_rtt_done.is_none() && ev.in_flight <= MIN_CWND_SEGMENTS * w.mss {
                self.probe_rtt_done = Some(ev.now + PROBE_RTT_TIME);
                self.probe_rtt_round_done = false;
                self.next_round_delivered = ev.delivered;
            } else if let Some(done) = self.probe_rtt_done {
                if self.round_start {
                    self.probe_rtt_round_done = true;
                }
                if self.probe_rtt_round_done && ev.now > done {
                    self.min_rtt_stamp = Some(ev.now);
                    w.cwnd = w.cwnd.max(self.prior_cwnd);
                    if self.full_bw_reached {
                        self.enter_probe_bw(ev.now);
                    } else {
                        self.mode = Mode::Startup;
                    }
                }
            }
        }
        if ev.acked > 0 {
            self.idle_restart = false;
        }
    }

    fn update_gains(&mut self) {
        (self.pacing_gain, self.cwnd_gain) = match self.mode {
            Mode::Startup => (HIGH_GAIN, HIGH_GAIN),
            Mode::Drain => (DRAIN_GAIN, HIGH_GAIN),
            Mode::ProbeBw => (PACING_GAINS[self.cycle], CWND_GAIN),
            Mode::ProbeRtt => (1.0, 1.0),
        };
    }

    fn set_pacing_rate(&mut self, ev: &AckEvent<'_>, w: &Window) {
        let bw = self.max_bw();
        if bw == 0 {
            // No sample yet: the initial window over the handshake's RTT, at Startup's gain.
            if let Some(srtt) = ev.srtt.filter(|d| !d.is_zero()) {
                let rate = w.cwnd as f64 / srtt.as_secs_f64() * HIGH_GAIN;
                self.pacing_rate = self.pacing_rate.max(rate as u64);
            }
            return;
        }
        let rate = (bw as f64 * self.pacing_gain * PACING_MARGIN) as u64;
        // In Startup the rate never falls (a low early sample must not slow the search).
        if self.full_bw_reached || rate > self.pacing_rate {
            self.pacing_rate = rate;
        }
    }

    fn save_cwnd(&mut self, w: &Window) {
        self.prior_cwnd = if self.mode != Mode::ProbeRtt && !self.prev_in_recovery {
            w.cwnd
        } else {
            self.prior_cwnd.max(w.cwnd)
        };
    }

    /// Linux `bbr_set_cwnd` with `bbr_set_cwnd_to_recover_or_restore`: during the first
    /// round of recovery only what is delivered may be sent again (packet conservation);
    /// otherwise the window grows toward its target by what each ACK delivers.
    fn set_cwnd(&mut self, ev: &AckEvent<'_>, w: &mut Window) {
        if ev.acked > 0 {
            let in_recovery = matches!(ev.state, CaState::Recovery { .. });
            let mut cwnd = w.cwnd;
            if ev.lost > 0 {
                cwnd = cwnd.saturating_sub(ev.lost).max(w.mss);
            }
            let mut conserving = false;
            if in_recovery && !self.prev_in_recovery {
                // The first round of recovery: send only what is delivered.
                self.conservation = true;
                self.next_round_delivered = ev.delivered;
                cwnd = ev.in_flight + ev.acked;
            } else if self.prev_in_recovery && !in_recovery {
                cwnd = cwnd.max(self.prior_cwnd);
                self.conservation = false;
            }
            self.prev_in_recovery = in_recovery;
            if self.conservation {
                cwnd = cwnd.max(ev.in_flight + ev.acked);
                conserving = true;
            }
            if !conserving {
                let target =
                    self.inflight(self.max_bw(), self.cwnd_gain, w) + self.aggregation_cwnd();
                if self.full_bw_reached {
                    cwnd = (cwnd + ev.acked).min(target);
                } else if cwnd < target || ev.delivered < 10 * w.mss {
                    cwnd += ev.acked;
                }
            }
            w.cwnd = cwnd.max(MIN_CWND_SEGMENTS * w.mss);
        }
        if self.mode == Mode::ProbeRtt {
            w.cwnd = w.cwnd.min(MIN_CWND_SEGMENTS * w.mss);
        }
    }

    /// Runs BBR for one ACK (Linux `bbr_main`).
    pub(crate) fn on_ack_event(&mut self, w: &mut Window, ev: &AckEvent<'_>) {
        if matches!(ev.state, CaState::Loss { .. }) && !self.prev_loss {
            // A timeout: the bandwidth search starts over, and this counts as a round's end.
            self.full_bw = 0;
            self.round_start = true;
        }
        self.prev_loss = matches!(ev.state, CaState::Loss { .. });
        self.update_round(ev);
        self.update_bw(ev);
        self.update_ack_aggregation(ev, w);
        self.update_cycle_phase(ev, w);
        self.check_full_bw(ev);
        self.check_drain(ev, w);
        self.update_min_rtt(ev, w);
        self.update_gains();
        self.set_pacing_rate(ev, w);
        self.set_cwnd(ev, w);
    }

    /// The rate to pace at, bytes per second (0 before any estimate).
    pub(crate) fn pacing_rate(&self) -> u64 {
        self.pacing_rate
    }
}

impl Controller for Bbr {
    fn on_ack(&mut self, _w: &mut Window, _ack: AckSample) {
        // The window is set in `on_ack_event` from every ACK, not only growth ones.
    }

    fn on_congestion(&mut self, _now: Instant, w: &Window) -> u64 {
        // Loss is not a congestion signal to BBR: remember the window to restore after
        // recovery and leave the threshold alone (Linux `bbr_ssthresh`).
        self.save_cwnd(w);
        w.ssthresh
    }

    fn undo(&mut self) {
        self.full_bw = 0;
        self.full_bw_count = 0;
    }

    fn on_idle_restart(&mut self, _idle: Duration) {
        // Linux `bbr_cwnd_event(CA_EVENT_TX_START)`: after a quiet time, send at the
        // estimated bandwidth, not above it, and restart the ACK aggregation epoch.
        self.idle_restart = true;
        self.ack_epoch = None;
        self.ack_epoch_acked = 0;
        if self.mode == Mode::ProbeBw && self.max_bw() > 0 {
            self.pacing_rate = (self.max_bw() as f64 * PACING_MARGIN) as u64;
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

    /// Drives BBR with one ACK per RTT delivering `rate` bytes per second over `rounds`
    /// rounds, the path's RTT `rtt`, optionally losing `lost` bytes in each round.
    fn drive(
        bbr: &mut Bbr,
        w: &mut Window,
        start: Instant,
        rtt: Duration,
        rate: u64,
        rounds: u64,
        lost: u64,
    ) -> Instant {
        let per_round = (rate as f64 * rtt.as_secs_f64()) as u64;
        let mut now = start;
        let mut delivered = bbr.next_round_delivered;
        for _ in 0..rounds {
            now += rtt;
            let sample = RateSample {
                delivered: per_round,
                interval: rtt,
                prior_delivered: delivered,
                rtt: Some(rtt),
                app_limited: false,
            };
            delivered += per_round;
            let ev = AckEvent {
                now,
                sample: Some(&sample),
                delivered,
                acked: per_round,
                lost,
                // Paced at the bandwidth, about one BDP is in flight, or what the window
                // allows when it is smaller (ProbeRTT).
                prior_in_flight: per_round.min(w.cwnd),
                in_flight: per_round.min(w.cwnd),
                state: CaState::Open,
                srtt: Some(rtt),
            };
            bbr.on_ack_event(w, &ev);
        }
        now
    }

    fn window() -> Window {
        Window {
            cwnd: 10 * MSS,
            ssthresh: u64::MAX,
            mss: MSS,
        }
    }

    #[test]
    fn startup_finds_the_bandwidth_then_drains_into_probe_bw() {
        let mut bbr = Bbr::default();
        let mut w = window();
        let rtt = Duration::from_millis(10);
        drive(&mut bbr, &mut w, t0(), rtt, 10_000_000, 20, 0);
        assert!(bbr.full_bw_reached);
        assert_eq!(bbr.mode, Mode::ProbeBw);
        assert_eq!(bbr.max_bw(), 10_000_000);
        // Pacing at the bandwidth times the phase's gain; the window two BDPs (100 kB each)
        // plus the bursts' budget and, as this driver acknowledges a whole round at once,
        // up to one BDP for ACK aggregation.
        let rate = bbr.pacing_rate() as f64;
        assert!((rate / 10e6 - PACING_GAINS[bbr.cycle] * PACING_MARGIN).abs() < 0.01);
        assert!(w.cwnd >= 200 * MSS && w.cwnd <= 350 * MSS, "{}", w.cwnd);
    }

    #[test]
    fn random_loss_does_not_shrink_the_model() {
        let mut bbr = Bbr::default();
        let mut w = window();
        let rtt = Duration::from_millis(10);
        let t = drive(&mut bbr, &mut w, t0(), rtt, 10_000_000, 20, 0);
        let cwnd = w.cwnd;
        // 1 % of every round lost: the bandwidth stays, and the window within what the
        // probing phases move it by (a loss-based controller would have halved it 20 times).
        drive(&mut bbr, &mut w, t, rtt, 10_000_000, 20, 1_000);
        assert_eq!(bbr.max_bw(), 10_000_000);
        assert!(
            w.cwnd as f64 >= cwnd as f64 * 0.9,
            "{} after {}",
            w.cwnd,
            cwnd
        );
    }

    #[test]
    fn the_minimum_rtt_is_measured_again_every_ten_seconds() {
        let mut bbr = Bbr::default();
        let mut w = window();
        let rtt = Duration::from_millis(10);
        // 11 s of steady rounds: ProbeRTT holds the window at 4 segments for 200 ms.
        let mut now = t0();
        let mut saw_probe_rtt = false;
        for _ in 0..1100 {
            now = drive(&mut bbr, &mut w, now, rtt, 10_000_000, 1, 0);
            if bbr.mode == Mode::ProbeRtt {
                saw_probe_rtt = true;
                assert_eq!(w.cwnd, MIN_CWND_SEGMENTS * MSS);
            }
        }
        assert!(saw_probe_rtt);
        assert_eq!(bbr.mode, Mode::ProbeBw, "back to probing the bandwidth");
    }

    #[test]
    fn the_max_filter_forgets_after_ten_rounds() {
        let mut f = MaxFilter::default();
        f.update(1, 100);
        f.update(2, 50);
        assert_eq!(f.max(2), 100);
        assert_eq!(f.max(10), 100);
        assert_eq!(f.max(11), 50);
        assert_eq!(f.max(12), 0);
    }
}
