//! What became of every segment in flight toward the LAN host: sent, SACKed, presumed lost,
//! retransmitted. One record per segment in sequence order (RFC 6675's scoreboard, kept the
//! way Linux keeps its retransmission queue), with running byte totals so that the amount in
//! flight is known without a walk on every ACK.
//!
//! In flight = outstanding − SACKed − lost + retransmitted-and-unacknowledged (Linux
//! `tcp_packets_in_flight`, in bytes): a SACK frees room for new data at once, a segment
//! marked lost stops counting until its retransmission goes out.
//!
//! SACK marks are kept across an RTO (the host rarely drops what it SACKed); a SACKed segment
//! at the head of the queue is the sign that it did, and then every mark is cleared so that
//! nothing the host no longer holds is skipped forever (RFC 2018 8, Linux
//! `tcp_timeout_mark_lost`).

use std::collections::VecDeque;
use std::time::Instant;

use super::rate::TxStamp;

/// The host holds this segment (a SACK block covered it).
const SACKED: u8 = 1;
/// Presumed lost: to be retransmitted (or its retransmission is in flight, see `RETRANS`).
const LOST: u8 = 1 << 1;
/// A retransmission of it is in flight.
const RETRANS: u8 = 1 << 2;
/// It was retransmitted at least once: its ACK says nothing about the RTT (Karn).
const EVER_RETRANS: u8 = 1 << 3;
/// The segment is our FIN (one sequence number, no payload).
const FIN: u8 = 1 << 4;

/// One transmitted segment. Offsets are stream offsets of the down direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: u64,
    pub end: u64,
    /// When it was last (re)transmitted.
    pub sent: Instant,
    /// The connection's delivery state at that moment (for rate samples).
    pub stamp: TxStamp,
    flags: u8,
}

impl Segment {
    pub(crate) fn len(&self) -> u64 {
        self.end - self.start
    }
    pub(crate) fn is_sacked(&self) -> bool {
        self.flags & SACKED != 0
    }
    pub(crate) fn is_lost(&self) -> bool {
        self.flags & LOST != 0
    }
    pub(crate) fn is_retrans_in_flight(&self) -> bool {
        self.flags & RETRANS != 0
    }
    pub(crate) fn ever_retransmitted(&self) -> bool {
        self.flags & EVER_RETRANS != 0
    }
    pub(crate) fn is_fin(&self) -> bool {
        self.flags & FIN != 0
    }
    /// Lost and not yet sent again: the next thing to retransmit.
    fn awaits_retransmission(&self) -> bool {
        self.flags & (SACKED | LOST | RETRANS) == LOST
    }
}

/// What RACK decides about one segment while walking the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Lost: mark it.
    Lost,
    /// Not overdue yet; look again after this long.
    Wait(std::time::Duration),
    /// Not something to judge (sent after the newest delivered segment, a retransmission).
    Skip,
    /// Nothing further can be judged (every later segment was sent later still).
    Stop,
}

/// Entries an empty scoreboard may keep allocated: an interactive flow's few segments in
/// flight, without a reallocation per keystroke.
const IDLE_SEGMENTS: usize = 8;

/// The segments in flight and the totals over them.
#[derive(Debug, Default)]
pub(crate) struct Scoreboard {
    segs: VecDeque<Segment>,
    sacked: u64,
    lost: u64,
    retrans: u64,
    /// Segments marked lost and not yet retransmitted (a count, not bytes): 0 spares the walk
    /// in [`Scoreboard::next_lost`].
    awaiting: usize,
    /// End of the highest SACKed segment (RFC 6675's "highest SACKed", Linux's fack).
    fack: u64,
    /// Bytes ever marked lost (a running count: what one ACK marked is the difference).
    marked_lost: u64,
}

impl Scoreboard {
    /// Nothing is in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Bytes sent and not cumulatively acknowledged.
    pub(crate) fn outstanding(&self) -> u64 {
        match (self.segs.front(), self.segs.back()) {
            (Some(f), Some(b)) => b.end - f.start,
            _ => 0,
        }
    }

    /// Bytes the network holds (RFC 6675 "pipe").
    pub(crate) fn in_flight(&self) -> u64 {
        (self.outstanding() + self.retrans).saturating_sub(self.sacked + self.lost)
    }

    pub(crate) fn sacked_bytes(&self) -> u64 {
        self.sacked
    }

    pub(crate) fn lost_bytes(&self) -> u64 {
        self.lost
    }

    /// Bytes ever marked lost (compare two readings for what happened in between).
    pub(crate) fn marked_lost(&self) -> u64 {
        self.marked_lost
    }

    /// Segments presumed lost whose retransmission has not gone out yet.
    pub(crate) fn awaiting_retransmission(&self) -> bool {
        self.awaiting > 0
    }

    /// The highest SACKed offset (0 before any SACK).
    pub(crate) fn fack(&self) -> u64 {
        self.fack
    }

    /// The oldest segment in flight.
    pub(crate) fn head(&self) -> Option<&Segment> {
        self.segs.front()
    }

    /// The highest segment the host does not hold (a tail loss probe resends it when there
    /// is nothing new to send).
    pub(crate) fn last_unsacked(&self) -> Option<&Segment> {
        self.segs.iter().rev().find(|s| !s.is_sacked())
    }

    /// Records a first transmission of `[start, end)` (`fin`: the FIN's one sequence number).
    /// Must continue the last segment: new data is always sent in order.
    pub(crate) fn push(&mut self, start: u64, end: u64, now: Instant, fin: bool, stamp: TxStamp) {
        debug_assert!(end > start);
        debug_assert!(self.segs.back().is_none_or(|b| b.end == start));
        self.segs.push_back(Segment {
            start,
            end,
            sent: now,
            stamp,
            flags: if fin { FIN } else { 0 },
        });
    }

    /// Removes what the cumulative ACK `to` covers. `delivered` sees each segment that
    /// arrived and had not been SACKed (what this ACK newly delivered); a segment the ACK
    /// covers only partly is trimmed. Returns the bytes newly delivered.
    pub(crate) fn ack(&mut self, to: u64, mut delivered: impl FnMut(&Segment)) -> u64 {
        let mut bytes = 0;
        while let Some(head) = self.segs.front().copied() {
            if head.end <= to {
                self.segs.pop_front();
                self.forget(&head);
                if !head.is_sacked() {
                    bytes += head.len();
                    delivered(&head);
                }
            } else {
                if head.start < to {
                    // Partly acknowledged (a host that trimmed our segment, or a smaller MSS
                    // after a retransmission): keep the rest, with the totals adjusted.
                    let cut = to - head.start;
                    let h = &mut self.segs[0];
                    if head.is_sacked() {
                        self.sacked -= cut;
                    } else {
                        bytes += cut;
                    }
                    if head.is_lost() {
                        self.lost -= cut;
                    }
                    if head.is_retrans_in_flight() {
                        self.retrans -= cut;
                    }
                    h.start = to;
                }
                break;
            }
        }
        if self.segs.is_empty() && self.segs.capacity() > IDLE_SEGMENTS {
            // A window's worth of entries is kilobytes that an idle connection (a browser's
            // kept-alive one after a download) would otherwise hold for hours.
            self.segs = VecDeque::new();
        }
        bytes
    }

    /// Heap bytes held (what an idle flow costs beyond its fixed size).
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.segs.capacity() * std::mem::size_of::<Segment>()
    }

    /// Marks `[start, end)` as held by the host. `delivered` sees each segment newly SACKed.
    /// Returns the bytes newly SACKed.
    pub(crate) fn sack(
        &mut self,
        start: u64,
        end: u64,
        mut delivered: impl FnMut(&Segment),
    ) -> u64 {
        let Some(first) = self.segs.front() else {
            return 0;
        };
        let start = start.max(first.start);
        if end <= start {
            return 0;
        }
        // Cut records at the block's edges so that marks are exact.
        self.split_at(start);
        self.split_at(end);
        let mut bytes = 0;
        let mut i = self.index_of(start);
        while let Some(seg) = self.segs.get(i).copied() {
            if seg.start >= end {
                break;
            }
            if !seg.is_sacked() {
                self.forget(&seg);
                let s = &mut self.segs[i];
                s.flags = (s.flags & (EVER_RETRANS | FIN)) | SACKED;
                self.sacked += seg.len();
                bytes += seg.len();
                self.fack = self.fack.max(seg.end);
                delivered(&seg);
            }
            i += 1;
        }
        bytes
    }

    /// RACK's walk (RFC 8985 6.2): `judge` sees every segment that is neither SACKed nor
    /// waiting for its retransmission, oldest sequence first, and the ones it calls lost are
    /// marked. Returns the longest wait among the ones not overdue yet.
    pub(crate) fn detect_loss(
        &mut self,
        mut judge: impl FnMut(&Segment) -> Verdict,
    ) -> Option<std::time::Duration> {
        let mut wait = None;
        for i in 0..self.segs.len() {
            let seg = self.segs[i];
            if seg.is_sacked() || seg.awaits_retransmission() {
                continue;
            }
            match judge(&seg) {
                Verdict::Lost => self.mark_lost(i),
                Verdict::Wait(d) => wait = wait.max(Some(d)),
                Verdict::Skip => {}
                Verdict::Stop => break,
            }
        }
        wait
    }

    /// An RTO (RFC 6298 5.4, Linux `tcp_timeout_mark_lost`): every segment the host does not
    /// hold is presumed lost, the head always, the others unless `recent` says they were sent
    /// too recently to judge. If the head was SACKed the host reneged: every SACK mark goes.
    /// Returns whether it reneged.
    pub(crate) fn on_timeout(&mut self, mut recent: impl FnMut(&Segment) -> bool) -> bool {
        let reneged = self.segs.front().is_some_and(Segment::is_sacked);
        if reneged {
            for s in self.segs.iter_mut() {
                s.flags &= !SACKED;
            }
            self.sacked = 0;
            self.fack = 0;
        }
        for i in 0..self.segs.len() {
            let seg = self.segs[i];
            if seg.is_sacked() || (i > 0 && recent(&seg)) {
                continue;
            }
            self.mark_lost(i);
        }
        reneged
    }

    /// Marks the head lost (a non-SACK host's third duplicate ACK or a partial ACK in NewReno
    /// recovery, RFC 6582).
    pub(crate) fn mark_head_lost(&mut self) {
        if !self.segs.is_empty() && !self.segs[0].is_sacked() {
            self.mark_lost(0);
        }
    }

    /// Marks every segment longer than `max` lost (the host's path got a smaller MTU: none of
    /// them can arrive, Linux `tcp_simple_retransmit`).
    pub(crate) fn mark_oversized_lost(&mut self, max: u64) {
        for i in 0..self.segs.len() {
            let seg = self.segs[i];
            if !seg.is_sacked() && seg.len() > max {
                self.mark_lost(i);
            }
        }
    }

    /// Marks `[start, end)` lost (its write to the adapter failed, so it never left).
    pub(crate) fn mark_range_lost(&mut self, start: u64, end: u64) {
        for i in 0..self.segs.len() {
            let seg = self.segs[i];
            if seg.end > start && seg.start < end && !seg.is_sacked() {
                self.mark_lost(i);
            }
        }
    }

    /// The oldest segment presumed lost and not yet resent, cut to at most `max` bytes (the
    /// rest stays lost for the next call).
    pub(crate) fn next_lost(&mut self, max: u64) -> Option<Segment> {
        if self.awaiting == 0 {
            return None;
        }
        let i = self.segs.iter().position(Segment::awaits_retransmission)?;
        if self.segs[i].len() > max && !self.segs[i].is_fin() {
            let at = self.segs[i].start + max;
            self.split_at(at);
        }
        Some(self.segs[i])
    }

    /// The retransmission of the segment starting at `start` went out now.
    pub(crate) fn on_retransmitted(&mut self, start: u64, now: Instant, stamp: TxStamp) {
        let i = self.index_of(start);
        let Some(seg) = self.segs.get(i).copied() else {
            return;
        };
        if seg.start != start || seg.is_sacked() {
            return;
        }
        if seg.awaits_retransmission() {
            self.awaiting -= 1;
        }
        if !seg.is_retrans_in_flight() {
            self.retrans += seg.len();
        }
        let s = &mut self.segs[i];
        s.flags |= RETRANS | EVER_RETRANS;
        s.sent = now;
        s.stamp = stamp;
    }

    /// A tail loss probe resent the segment at `start`: it is retransmitted without having
    /// been judged lost, so only its send time and Karn's mark change.
    pub(crate) fn on_probe_retransmitted(&mut self, start: u64, now: Instant, stamp: TxStamp) {
        let i = self.index_of(start);
        if let Some(s) = self.segs.get_mut(i)
            && s.start == start
        {
            s.flags |= EVER_RETRANS;
            s.sent = now;
            s.stamp = stamp;
        }
    }

    /// The head was resent as a window probe: a new send time, Karn's mark, nothing judged.
    pub(crate) fn on_head_probed(&mut self, now: Instant, stamp: TxStamp) {
        if let Some(s) = self.segs.front_mut() {
            s.flags |= EVER_RETRANS;
            s.sent = now;
            s.stamp = stamp;
        }
    }

    /// Forgets everything (the connection is gone).
    pub(crate) fn clear(&mut self) {
        *self = Scoreboard::default();
    }

    /// The totals recomputed from the records, for the consistency checks in tests.
    #[cfg(test)]
    pub(crate) fn check(&self) {
        let mut sacked = 0;
        let mut lost = 0;
        let mut retrans = 0;
        let mut awaiting = 0;
        let mut at = self.segs.front().map(|s| s.start);
        for s in &self.segs {
            assert_eq!(Some(s.start), at, "records are contiguous");
            assert!(s.end > s.start);
            at = Some(s.end);
            if s.is_sacked() {
                sacked += s.len();
                assert!(!s.is_lost() && !s.is_retrans_in_flight());
            }
            if s.is_lost() {
                lost += s.len();
            }
            if s.is_retrans_in_flight() {
                retrans += s.len();
            }
            if s.awaits_retransmission() {
                awaiting += 1;
            }
        }
        assert_eq!(
            (sacked, lost, retrans, awaiting),
            (self.sacked, self.lost, self.retrans, self.awaiting),
            "running totals match the records"
        );
    }

    fn mark_lost(&mut self, i: usize) {
        let seg = self.segs[i];
        if seg.is_sacked() || seg.awaits_retransmission() {
            return;
        }
        if seg.is_retrans_in_flight() {
            // Its retransmission is lost too (RACK judged it): send it again.
            self.retrans -= seg.len();
        }
        if !seg.is_lost() {
            self.lost += seg.len();
        }
        self.marked_lost += seg.len();
        let s = &mut self.segs[i];
        s.flags = (s.flags & !RETRANS) | LOST;
        self.awaiting += 1;
    }

    /// Takes a segment's marks out of the totals (it is leaving the queue or changing state).
    fn forget(&mut self, seg: &Segment) {
        if seg.is_sacked() {
            self.sacked -= seg.len();
        }
        if seg.is_lost() {
            self.lost -= seg.len();
        }
        if seg.is_retrans_in_flight() {
            self.retrans -= seg.len();
        }
        if seg.awaits_retransmission() {
            self.awaiting -= 1;
        }
    }

    /// Index of the record containing `offset` (records are contiguous and sorted), or the
    /// queue's length if it is beyond the last.
    fn index_of(&self, offset: u64) -> usize {
        self.segs.partition_point(|s| s.end <= offset)
    }

    /// Cuts the record containing `at` into two so that one ends there; both halves keep
    /// the marks, and the totals (in bytes) do not change.
    fn split_at(&mut self, at: u64) {
        let i = self.index_of(at);
        let Some(seg) = self.segs.get(i).copied() else {
            return;
        };
        if seg.start >= at || seg.is_fin() {
            return;
        }
        self.segs[i].end = at;
        self.segs.insert(
            i + 1,
            Segment {
                start: at,
                end: seg.end,
                ..seg
            },
        );
        if seg.awaits_retransmission() {
            self.awaiting += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stamp(t: Instant) -> TxStamp {
        TxStamp {
            delivered: 0,
            delivered_time: t,
            first_sent_time: t,
            app_limited: false,
        }
    }

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    /// Ten segments of 100 bytes sent 1 ms apart.
    fn ten(t: Instant) -> Scoreboard {
        let mut s = Scoreboard::default();
        for i in 0..10u64 {
            s.push(
                i * 100,
                i * 100 + 100,
                t + Duration::from_millis(i),
                false,
                stamp(t),
            );
        }
        s
    }

    #[test]
    fn sack_frees_room_and_ack_removes() {
        let t = t0();
        let mut s = ten(t);
        assert_eq!(s.in_flight(), 1000);
        let mut seen = Vec::new();
        assert_eq!(s.sack(300, 500, |g| seen.push(g.start)), 200);
        assert_eq!(seen, vec![300, 400]);
        assert_eq!(s.in_flight(), 800);
        assert_eq!(s.fack(), 500);
        // The cumulative ACK covers 0..500: 300 bytes newly delivered (the SACKed 200 were
        // delivered before).
        assert_eq!(s.ack(500, |_| {}), 300);
        assert_eq!(s.outstanding(), 500);
        assert_eq!(s.sacked_bytes(), 0);
        s.check();
    }

    #[test]
    fn blocks_inside_a_segment_split_it() {
        let t = t0();
        let mut s = ten(t);
        assert_eq!(s.sack(150, 250, |_| {}), 100);
        s.check();
        assert_eq!(s.in_flight(), 900);
        // A repeated block delivers nothing new.
        assert_eq!(s.sack(150, 250, |_| {}), 0);
        s.check();
    }

    #[test]
    fn lost_segments_stop_counting_until_resent() {
        let t = t0();
        let mut s = ten(t);
        s.sack(200, 1000, |_| {});
        let wait = s.detect_loss(|g| {
            if g.start == 0 {
                Verdict::Lost
            } else {
                Verdict::Wait(Duration::from_millis(3))
            }
        });
        assert_eq!(wait, Some(Duration::from_millis(3)));
        assert_eq!(
            s.in_flight(),
            100,
            "segment 0 lost, 1 in flight, 2..10 held"
        );
        let next = s.next_lost(1460).unwrap();
        assert_eq!((next.start, next.end), (0, 100));
        s.on_retransmitted(0, t + Duration::from_millis(20), stamp(t));
        assert_eq!(s.in_flight(), 200);
        assert!(s.next_lost(1460).is_none());
        s.check();
        // RACK decides the retransmission is lost too: it is marked to be sent again.
        s.detect_loss(|g| {
            if g.start == 0 {
                Verdict::Lost
            } else {
                Verdict::Skip
            }
        });
        assert_eq!(s.in_flight(), 100);
        assert_eq!(s.next_lost(1460).map(|g| g.start), Some(0));
        s.check();
    }

    #[test]
    fn timeout_keeps_sacks_unless_the_head_was_sacked() {
        let t = t0();
        let mut s = ten(t);
        s.sack(500, 700, |_| {});
        assert!(!s.on_timeout(|_| false));
        assert_eq!(s.sacked_bytes(), 200);
        assert_eq!(s.lost_bytes(), 800);
        assert_eq!(s.in_flight(), 0);
        s.check();

        // The host SACKed 0..100, then the cumulative ACK never moved: it reneged.
        let mut s = ten(t);
        s.sack(0, 100, |_| {});
        s.sack(500, 700, |_| {});
        assert!(s.on_timeout(|_| false));
        assert_eq!(s.sacked_bytes(), 0);
        assert_eq!(s.lost_bytes(), 1000, "nothing skipped forever");
        s.check();
    }

    #[test]
    fn timeout_spares_recently_sent_segments_but_never_the_head() {
        let t = t0();
        let mut s = ten(t);
        s.on_timeout(|g| g.start >= 500);
        assert_eq!(s.lost_bytes(), 500);
        s.check();
    }

    #[test]
    fn retransmission_is_cut_to_the_segment_size() {
        let t = t0();
        let mut s = Scoreboard::default();
        s.push(0, 3000, t, false, stamp(t));
        s.mark_oversized_lost(1000);
        let a = s.next_lost(1000).unwrap();
        assert_eq!((a.start, a.end), (0, 1000));
        s.on_retransmitted(0, t, stamp(t));
        let b = s.next_lost(1000).unwrap();
        assert_eq!((b.start, b.end), (1000, 2000));
        s.check();
    }

    #[test]
    fn partial_ack_trims_the_head() {
        let t = t0();
        let mut s = ten(t);
        s.mark_head_lost();
        assert_eq!(s.ack(50, |_| {}), 50);
        assert_eq!(s.head().map(|h| h.start), Some(50));
        assert_eq!(s.lost_bytes(), 50);
        s.check();
    }

    #[test]
    fn fin_is_a_segment_of_its_own() {
        let t = t0();
        let mut s = ten(t);
        s.push(1000, 1001, t, true, stamp(t));
        s.on_timeout(|_| false);
        while let Some(g) = s.next_lost(100) {
            s.on_retransmitted(g.start, t, stamp(t));
            if g.start == 1000 {
                assert!(g.is_fin());
            }
        }
        assert_eq!(s.ack(1001, |_| {}), 1001);
        assert!(s.is_empty());
        s.check();
    }
}
