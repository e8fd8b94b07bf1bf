//! The receiver from the LAN host (the upload direction): in-order bytes go to the shell at
//! once, out-of-order ones wait in the [`Assembler`], and the ACKs we send are what the
//! host's own loss recovery runs on.
//!
//! The advertised window is the buffer cap minus bytes the shell has not yet confirmed
//! written, so a remote that stops reading closes the hidden host's window instead of
//! growing memory; its right edge never moves left (RFC 9293 3.8.6). ACK policy (RFC 5681
//! 4.2, RFC 9293 3.8.6.3, as Linux `__tcp_ack_snd_check`): at once for anything out of
//! order, a filled hole, a duplicate (with a DSACK); in-order data every second full segment
//! (every one in quick-ACK mode at the start), coalesced over the packets the shell hands
//! over in one go, or after a short delay.

mod assembler;
mod sack;

use std::time::{Duration, Instant};

use self::assembler::Assembler;
use self::sack::{MAX_BLOCKS, SackList};
use super::Seq;
use super::buffers::BufferBudget;

/// Delayed-ACK timer: short, because the LAN hop is fast and a host's tail loss probe
/// (two RTTs plus a few milliseconds) should never beat our ACK of its last odd segment.
const DELAYED_ACK: Duration = Duration::from_millis(1);
/// Segments acknowledged one by one at the start (Linux quick-ACK mode), so the host's
/// slow start grows as fast as it can.
const QUICKACK_SEGMENTS: u32 = 16;
/// Duplicate ACKs per hole sent at once before the rest are compressed (RFC 5681's
/// threshold for a fast retransmit).
const RFC5681_DUPTHRESH: u32 = 3;

/// Most segments one ACK covers, however many the shell hands over in one go: what GRO
/// coalesces at most (64 KiB, 44 full segments) and what Linux compresses SACK ACKs to
/// (`tcp_comp_sack_nr`). A batch of a few hundred packets acknowledged once would leave the
/// host's sender without an ACK clock for that long, and its loss recovery without SACKs.
const MAX_SEGMENTS_PER_ACK: u32 = 44;

/// Shortest measurement of what the shell drains: on a LAN the round trip can be a few tens
/// of microseconds, shorter than one turn of the data path's loop.
const MIN_AUTOTUNE_EPOCH: Duration = Duration::from_micros(200);

/// When the ACK for a segment should go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckNeed {
    /// Nothing to acknowledge.
    None,
    /// Within the delayed-ACK time (the flow's timer sends it).
    Delayed,
    /// Once the shell has handed over the packets it read together: one ACK then covers
    /// all of them, as GRO makes one ACK for what a NIC coalesced. In-order data only;
    /// anything the host's loss recovery waits for goes `Now`.
    Batched,
    /// Now.
    Now,
}

/// What a segment's payload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Received {
    pub ack: AckNeed,
    /// The host's FIN was reached: the upstream socket gets its half-close.
    pub fin: bool,
    /// Bytes refused for lack of buffer or range slots.
    pub refused: bool,
}

/// The upload direction of one flow.
#[derive(Debug)]
pub(crate) struct Receiver {
    rcv: Seq,
    nxt: u64,
    /// Right edge of the window we allow; never moves left.
    edge: u64,
    /// Right edge the host last heard from us (what it believes it may send up to).
    adv_edge: u64,
    /// Bytes handed to the shell and not yet written to the socket.
    unconfirmed: usize,
    /// The window we may offer now: `base` at the start, grown while the shell drains more
    /// than half of it per round trip ([`Receiver::on_written`]).
    cap: usize,
    base: usize,
    max_cap: usize,
    /// Bytes the shell ever confirmed written, and where the current measurement started
    /// (Linux's `rcvq_space`: what the application took in one round trip).
    written: u64,
    epoch: Option<(Instant, u64)>,
    shift: u8,
    ooo: Assembler,
    ooo_fin: Option<u64>,
    fin: bool,
    sack_ok: bool,
    /// Only while there is something to report: most flows never receive out of order, and
    /// an idle one should not carry the blocks.
    sacks: Option<Box<SackList>>,
    acks_owed: u32,
    quickacks: u32,
    /// Duplicate ACKs sent at once for the hole at `dupack_nxt`.
    dupacks: u32,
    dupack_nxt: Option<u64>,
    ack_deadline: Option<Instant>,
}

impl Receiver {
    /// A receiver for a host whose SYN carried `irs`, offering `cap` bytes of window scaled
    /// by `shift`, which may grow to `max_cap`.
    pub(crate) fn new(irs: u32, cap: usize, max_cap: usize, shift: u8, sack_ok: bool) -> Receiver {
        let limit = 65_535usize << shift;
        let cap = cap.min(limit);
        Receiver {
            rcv: Seq::new(irs),
            nxt: 0,
            edge: 0,
            adv_edge: 0,
            unconfirmed: 0,
            cap,
            base: cap,
            max_cap: max_cap.min(limit).max(cap),
            written: 0,
            epoch: None,
            shift,
            ooo: Assembler::default(),
            ooo_fin: None,
            fin: false,
            sack_ok,
            sacks: None,
            acks_owed: 0,
            quickacks: QUICKACK_SEGMENTS,
            dupacks: 0,
            dupack_nxt: None,
            ack_deadline: None,
        }
    }

    /// The SACK list, made when the first thing to report arrives.
    fn sacks(&mut self) -> &mut SackList {
        self.sacks.get_or_insert_with(Box::default)
    }

    /// Gives the SACK list's memory back once it has nothing left to report.
    fn drop_empty_sacks(&mut self) {
        if self.sacks.as_ref().is_some_and(|s| s.is_empty()) {
            self.sacks = None;
        }
    }

    fn dsack_pending(&self) -> bool {
        self.sacks.as_ref().is_some_and(|s| s.dsack_pending())
    }

    /// The receive offset of a wire sequence number (`None` if before the stream).
    pub(crate) fn offset(&self, wire: u32) -> Option<u64> {
        self.rcv.offset(wire, self.nxt)
    }

    /// The acknowledgment number we send.
    pub(crate) fn ack_wire(&self) -> u32 {
        self.rcv.wire(self.nxt + u64::from(self.fin))
    }

    /// The wire number of a receive offset.
    pub(crate) fn wire(&self, offset: u64) -> u32 {
        self.rcv.wire(offset)
    }

    /// Next offset expected (before the FIN's).
    pub(crate) fn nxt(&self) -> u64 {
        self.nxt
    }

    /// The host's FIN was received.
    pub(crate) fn fin_received(&self) -> bool {
        self.fin
    }

    /// The right edge of the window the host may send up to.
    pub(crate) fn edge(&self) -> u64 {
        self.edge.max(self.nxt)
    }

    /// The window opens to its cap (the upstream connect succeeded).
    pub(crate) fn open(&mut self) {
        self.edge = self.cap() as u64;
    }

    /// The window field to send now (scaled), remembering what the host will believe.
    pub(crate) fn window_field(&mut self) -> u16 {
        self.advance_edge();
        let wnd = self.edge.saturating_sub(self.nxt) >> self.shift;
        let field = u16::try_from(wnd).unwrap_or(u16::MAX);
        self.adv_edge = self.nxt + (u64::from(field) << self.shift);
        field
    }

    /// The window for a SYN-ACK (never scaled, RFC 7323 2.2).
    pub(crate) fn syn_window(&mut self) -> u16 {
        let window = u16::try_from(self.cap()).unwrap_or(u16::MAX);
        self.adv_edge = u64::from(window);
        window
    }

    /// SACK blocks for the next ACK, as wire numbers (a DSACK first, sent once).
    pub(crate) fn take_sack_blocks(&mut self) -> [Option<(u32, u32)>; MAX_BLOCKS] {
        let mut out = [None; MAX_BLOCKS];
        // Taken whether or not the host reads them, so a DSACK it cannot read is still
        // reported only once (it asks for an immediate ACK while pending).
        let blocks = self.sacks.as_mut().map(|s| s.take_blocks());
        if self.sack_ok
            && let Some(blocks) = blocks
        {
            for (slot, block) in out.iter_mut().zip(blocks) {
                *slot = block.map(|(s, e)| (self.rcv.wire(s), self.rcv.wire(e)));
            }
        }
        self.drop_empty_sacks();
        out
    }

    /// Whether an ACK is owed (data arrived since the last one went out).
    pub(crate) fn ack_owed(&self) -> bool {
        self.acks_owed > 0
    }

    /// An ACK went out: nothing is owed any more.
    pub(crate) fn on_ack_sent(&mut self) {
        self.acks_owed = 0;
        self.ack_deadline = None;
    }

    /// When the delayed ACK is due.
    pub(crate) fn ack_deadline(&self) -> Option<Instant> {
        self.ack_deadline
    }

    /// The payload (and FIN) of a segment starting at offset `start`. `deliver` takes bytes
    /// that continue the stream, in order. Nothing here acknowledges: the caller sends the
    /// ACK [`Received::ack`] asks for.
    pub(crate) fn on_segment(
        &mut self,
        now: Instant,
        start: u64,
        payload: &[u8],
        fin: bool,
        seg_size: u64,
        mut deliver: impl FnMut(&[u8]),
    ) -> Received {
        let mut r = Received {
            ack: AckNeed::None,
            fin: false,
            refused: false,
        };
        let end = start + payload.len() as u64;
        if payload.is_empty() && !fin {
            if start < self.nxt {
                // Keep-alive (RFC 9293 3.8.4): answer with the current state.
                r.ack = AckNeed::Now;
            }
            return r;
        }
        if self.fin {
            // Anything after the host's FIN is a retransmission.
            r.ack = AckNeed::Now;
            return r;
        }
        if end < self.nxt || (end == self.nxt && !fin) {
            // Entirely old: a retransmission of something already delivered (RFC 2883).
            if end > start {
                self.sacks().on_duplicate((start, end));
            }
            r.ack = AckNeed::Now;
            return r;
        }
        let edge = self.edge();
        let from = start.max(self.nxt);
        let to = end.min(edge);
        if from >= to && !payload.is_empty() && from >= edge {
            r.refused = true;
            r.ack = AckNeed::Now;
            return r;
        }
        if start < self.nxt {
            // Partly old: report the duplicated part.
            let nxt = self.nxt;
            self.sacks().on_duplicate((start, nxt));
        }
        let data = &payload[(from - start) as usize..(to.max(from) - start) as usize];
        let fin_at = (fin && to == end).then_some(end);
        if from == self.nxt {
            let filled_hole = !self.ooo.is_empty();
            self.deliver(data, &mut deliver);
            while let Some(more) = self.ooo.take_contiguous(self.nxt) {
                self.deliver(&more, &mut deliver);
            }
            if let Some(sacks) = self.sacks.as_mut() {
                sacks.on_advance(self.nxt);
            }
            self.drop_empty_sacks();
            if fin_at.or(self.ooo_fin) == Some(self.nxt) {
                self.fin = true;
                self.ooo.clear();
                self.sacks = None;
                r.fin = true;
                r.ack = AckNeed::Now;
                return r;
            }
            let segments = (data.len() as u64).div_ceil(seg_size.max(1)).max(1) as u32;
            self.acks_owed += segments;
            let quick = self.quickacks > 0;
            self.quickacks = self.quickacks.saturating_sub(segments);
            let now_needed =
                filled_hole || !self.ooo.is_empty() || start < from || fin || self.dsack_pending();
            r.ack = if now_needed || self.acks_owed >= MAX_SEGMENTS_PER_ACK {
                AckNeed::Now
            } else if quick || self.acks_owed >= 2 {
                AckNeed::Batched
            } else {
                if self.ack_deadline.is_none() {
                    self.ack_deadline = Some(now + DELAYED_ACK);
                }
                AckNeed::Delayed
            };
        } else {
            if self.ooo.holds(from, to) {
                // Held already: a duplicate above the cumulative ACK (RFC 2883 4.2).
                self.sacks().on_duplicate((from, to));
            } else if !self.ooo.insert(from, data) {
                r.refused = true;
            }
            if let Some(range) = self.ooo.range_containing(from) {
                self.sacks().on_out_of_order(range);
            }
            if let Some(f) = fin_at {
                self.ooo_fin = Some(f);
            }
            r.ack = self.dupack_need();
        }
        r
    }

    /// When the duplicate ACK for an out-of-order segment goes. The first three for a hole go
    /// at once (RFC 5681 4.2: the host's fast retransmit needs them); later ones, which only
    /// repeat the hole with more SACKed beyond it, are compressed into one per batch, as Linux
    /// compresses SACK ACKs after the first three (`tcp_sack_compress_send_ack`): after a loss,
    /// a window's worth of segments arrives out of order, and an ACK for each one costs a
    /// write to the adapter (with the host's ACK processing) per segment.
    fn dupack_need(&mut self) -> AckNeed {
        if self.dupack_nxt != Some(self.nxt) {
            self.dupack_nxt = Some(self.nxt);
            self.dupacks = 0;
        }
        self.acks_owed += 1;
        if self.dsack_pending()
            || self.dupacks < RFC5681_DUPTHRESH
            || self.acks_owed >= MAX_SEGMENTS_PER_ACK
        {
            self.dupacks += 1;
            AckNeed::Now
        } else {
            AckNeed::Batched
        }
    }

    fn deliver(&mut self, data: &[u8], deliver: &mut impl FnMut(&[u8])) {
        if data.is_empty() {
            return;
        }
        self.nxt += data.len() as u64;
        self.unconfirmed += data.len();
        deliver(data);
    }

    /// The shell wrote `n` more bytes to the socket at `now`; `rtt` is the flow's round trip
    /// to the host. True when a window update should go now (receiver silly window
    /// avoidance, RFC 9293 3.8.6.2.2: the window reopened by at least a segment while the
    /// host believed it nearly closed, or by a quarter of it).
    pub(crate) fn on_written(
        &mut self,
        now: Instant,
        n: usize,
        seg_size: u64,
        rtt: Duration,
        budget: &mut BufferBudget,
    ) -> bool {
        self.unconfirmed = self.unconfirmed.saturating_sub(n);
        self.written += n as u64;
        self.autotune(now, rtt, budget);
        // Measured against what the host last heard, so that many small confirmations add
        // up to an update instead of each one falling below the threshold.
        let believed = self.adv_edge.saturating_sub(self.nxt);
        self.advance_edge();
        let reopened = self.edge.saturating_sub(self.adv_edge);
        let cap = self.cap() as u64;
        let blocked = believed < seg_size && reopened >= seg_size.min(cap / 2);
        blocked || reopened >= (cap / 4).max(2 * seg_size)
    }

    /// Grows the window once a round trip in which the shell drained more than half of it:
    /// the window, not the uplink, is then what limits the host, so it doubles what was
    /// drained (Linux `tcp_rcv_space_adjust`), within `max_cap` and the engine's budget.
    fn autotune(&mut self, now: Instant, rtt: Duration, budget: &mut BufferBudget) {
        let Some((start, at)) = self.epoch else {
            self.epoch = Some((now, self.written));
            return;
        };
        if now.saturating_duration_since(start) < rtt.max(MIN_AUTOTUNE_EPOCH) {
            return;
        }
        self.epoch = Some((now, self.written));
        let drained = usize::try_from(self.written - at).unwrap_or(usize::MAX);
        if drained.saturating_mul(2) > self.cap && self.cap < self.max_cap {
            let want = drained.saturating_mul(2).min(self.max_cap) - self.cap;
            self.cap += budget.grant(want);
        }
    }

    /// Bytes the window grew beyond its start (to give back to the budget).
    pub(crate) fn grown(&self) -> usize {
        self.cap - self.base
    }

    /// Moves the right edge of the window as the shell drains; it never moves left.
    fn advance_edge(&mut self) {
        let free = self.cap().saturating_sub(self.unconfirmed) as u64;
        self.edge = self.edge.max(self.nxt + free);
    }

    /// Largest window we ever offer: the buffer cap, limited to 64 KiB without scaling.
    fn cap(&self) -> usize {
        self.cap.min(65_535 << self.shift)
    }

    /// Forgets held data (the connection is gone).
    pub(crate) fn clear(&mut self) {
        self.ooo.clear();
        self.sacks = None;
        self.ack_deadline = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    fn rx() -> Receiver {
        let mut r = Receiver::new(1000, 256 * 1024, 256 * 1024, 3, true);
        r.open();
        r.quickacks = 0;
        r
    }

    fn seg(r: &mut Receiver, start: u64, len: usize, got: &mut Vec<u8>) -> Received {
        let payload: Vec<u8> = (start..start + len as u64).map(|i| i as u8).collect();
        r.on_segment(t0(), start, &payload, false, 1000, |d| {
            got.extend_from_slice(d)
        })
    }

    fn blocks(r: &mut Receiver) -> Vec<(u32, u32)> {
        r.take_sack_blocks().into_iter().flatten().collect()
    }

    #[test]
    fn a_duplicate_from_a_host_without_sack_asks_for_one_immediate_ack_only() {
        let mut r = Receiver::new(1000, 256 * 1024, 256 * 1024, 3, false);
        r.open();
        r.quickacks = 0;
        let mut got = Vec::new();
        seg(&mut r, 0, 1000, &mut got);
        seg(&mut r, 1000, 1000, &mut got);
        r.on_ack_sent();
        assert_eq!(
            seg(&mut r, 0, 1000, &mut got).ack,
            AckNeed::Now,
            "duplicate"
        );
        assert!(blocks(&mut r).is_empty(), "no SACK option for this host");
        r.on_ack_sent();
        // In-order data is acknowledged as usual again, not at once forever.
        assert_eq!(seg(&mut r, 2000, 1000, &mut got).ack, AckNeed::Delayed);
        assert!(r.sacks.is_none(), "nothing left to report, nothing held");
    }

    #[test]
    fn every_second_segment_is_acked_with_its_batch() {
        let mut r = rx();
        let mut got = Vec::new();
        assert_eq!(seg(&mut r, 0, 1000, &mut got).ack, AckNeed::Delayed);
        assert_eq!(seg(&mut r, 1000, 1000, &mut got).ack, AckNeed::Batched);
        r.on_ack_sent();
        assert_eq!(got.len(), 2000);
    }

    #[test]
    fn more_than_eight_holes_are_held_and_reported() {
        let mut r = rx();
        let mut got = Vec::new();
        // Every other segment of 24 is lost: 12 holes, far beyond the 8 the old assembler
        // kept (it dropped the furthest ranges, which the host had seen SACKed).
        for (n, i) in (1..24u64).step_by(2).enumerate() {
            let out = seg(&mut r, i * 1000, 1000, &mut got);
            // Three duplicate ACKs at once for the hole, the rest compressed per batch.
            let want = if n < 3 {
                AckNeed::Now
            } else {
                AckNeed::Batched
            };
            assert_eq!(out.ack, want, "segment {i}");
            assert!(!out.refused);
        }
        let b = blocks(&mut r);
        assert_eq!(b.len(), 4, "four blocks, newest first");
        assert_eq!(b[0], (r.wire(23_000), r.wire(24_000)));
        // The holes fill: everything arrives in order, nothing was dropped.
        for i in (0..24u64).step_by(2) {
            seg(&mut r, i * 1000, 1000, &mut got);
        }
        assert_eq!(got.len(), 24_000);
        let want: Vec<u8> = (0..24_000u64).map(|i| i as u8).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_retransmission_of_delivered_data_is_dsacked() {
        let mut r = rx();
        let mut got = Vec::new();
        seg(&mut r, 0, 1000, &mut got);
        seg(&mut r, 1000, 1000, &mut got);
        let out = seg(&mut r, 0, 1000, &mut got);
        assert_eq!(out.ack, AckNeed::Now);
        assert_eq!(blocks(&mut r), vec![(r.wire(0), r.wire(1000))]);
        assert_eq!(blocks(&mut r), vec![], "reported once");
    }

    #[test]
    fn a_duplicate_of_held_data_is_dsacked_before_its_range() {
        let mut r = rx();
        let mut got = Vec::new();
        seg(&mut r, 2000, 1000, &mut got);
        seg(&mut r, 3000, 1000, &mut got);
        blocks(&mut r);
        seg(&mut r, 2000, 1000, &mut got);
        assert_eq!(
            blocks(&mut r),
            vec![(r.wire(2000), r.wire(3000)), (r.wire(2000), r.wire(4000))]
        );
    }

    #[test]
    fn quick_ack_mode_acks_every_segment_at_first() {
        let mut r = Receiver::new(0, 256 * 1024, 256 * 1024, 3, true);
        r.open();
        let mut got = Vec::new();
        for i in 0..u64::from(QUICKACK_SEGMENTS) {
            assert_eq!(seg(&mut r, i * 1000, 1000, &mut got).ack, AckNeed::Batched);
            r.on_ack_sent();
        }
        assert_eq!(
            seg(&mut r, u64::from(QUICKACK_SEGMENTS) * 1000, 1000, &mut got).ack,
            AckNeed::Delayed
        );
    }

    #[test]
    fn window_edge_never_moves_left() {
        let mut r = rx();
        let mut got = Vec::new();
        let w0 = r.window_field();
        seg(&mut r, 0, 1000, &mut got);
        let w1 = r.window_field();
        // 1000 bytes unconfirmed: the window shrinks by what arrived, the edge stays.
        assert_eq!((u64::from(w0) << 3) - (u64::from(w1) << 3), 1000);
        let mut budget = BufferBudget::new(0);
        let rtt = Duration::from_millis(1);
        assert!(r.on_written(t0(), 1000, 1000, rtt, &mut budget) || r.edge() == 256 * 1024 + 1000);
    }

    /// A receiver whose window starts at 64 KiB and may grow to 1 MiB (shift 7).
    fn growing() -> Receiver {
        let mut r = Receiver::new(1000, 64 * 1024, 1024 * 1024, 7, true);
        r.open();
        r
    }

    /// Feeds `bytes` in order and confirms them written, one 16 KiB chunk every `every`,
    /// over `for_` of virtual time; returns the window field's last value (scaled).
    fn drain(r: &mut Receiver, budget: &mut BufferBudget, every: Duration, for_: Duration) -> u64 {
        let start = t0();
        let mut now = start;
        let mut got = Vec::new();
        while now - start < for_ {
            let at = r.nxt();
            let payload = vec![0u8; 16 * 1024];
            r.on_segment(now, at, &payload, false, 1460, |d| got.extend_from_slice(d));
            r.on_written(now, 16 * 1024, 1460, Duration::from_millis(1), budget);
            now += every;
        }
        u64::from(r.window_field()) << 7
    }

    #[test]
    fn a_window_the_shell_keeps_draining_grows_to_twice_a_round_trip_of_it() {
        let mut r = growing();
        let mut budget = BufferBudget::new(64 * 1024 * 1024);
        // 16 KiB every 50 µs: 320 KiB per 1 ms round trip, five times the window.
        let wnd = drain(
            &mut r,
            &mut budget,
            Duration::from_micros(50),
            Duration::from_millis(20),
        );
        assert_eq!(r.grown(), 640 * 1024 - 64 * 1024);
        assert!(wnd > 600 * 1024, "{wnd}");
        assert_eq!(budget.granted(), r.grown());
    }

    #[test]
    fn growth_stops_at_the_largest_buffer() {
        let mut r = growing();
        let mut budget = BufferBudget::new(64 * 1024 * 1024);
        // 1.6 MiB per round trip would want 3.2 MiB of window.
        drain(
            &mut r,
            &mut budget,
            Duration::from_micros(10),
            Duration::from_millis(20),
        );
        assert_eq!(r.grown(), 1024 * 1024 - 64 * 1024);
    }

    #[test]
    fn a_slow_uplink_keeps_the_window_where_it_started() {
        let mut r = growing();
        let mut budget = BufferBudget::new(64 * 1024 * 1024);
        // 16 KiB every 2 ms: 8 KiB per round trip, an eighth of the window.
        drain(
            &mut r,
            &mut budget,
            Duration::from_millis(2),
            Duration::from_millis(100),
        );
        assert_eq!(r.grown(), 0);
    }

    #[test]
    fn growth_stops_where_the_budget_ends() {
        let mut r = growing();
        let mut budget = BufferBudget::new(100 * 1024);
        drain(
            &mut r,
            &mut budget,
            Duration::from_micros(50),
            Duration::from_millis(20),
        );
        assert_eq!(r.grown(), 100 * 1024);
        assert_eq!(budget.granted(), 100 * 1024);
    }
}
