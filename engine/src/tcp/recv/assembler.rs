//! Out-of-order data from the LAN, held until the gap before it is filled.
//!
//! Offsets are stream offsets (u64, never wrap). Overlapping segments are merged so every
//! byte is stored once; the total held is bounded by the receive window the caller enforces
//! before inserting, and the number of separate ranges by [`MAX_RANGES`].
//!
//! What is held is never dropped to make room: the host was told about it in SACK blocks,
//! and a receiver that discards SACKed data (reneging) forces the sender into a
//! retransmission timeout (RFC 2018 8). When the slots are full, a segment that would need a
//! new range is refused instead; it was never SACKed, so the host's loss recovery resends it.

use std::collections::BTreeMap;

/// Separate ranges held at most. A window of 256 KiB holds about 180 full segments, so this
/// covers a hole in every third one (far beyond what random loss of a few percent makes)
/// while bounding what a hostile host can make the engine track with tiny segments.
pub(crate) const MAX_RANGES: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Assembler {
    ranges: BTreeMap<u64, Vec<u8>>,
}

impl Assembler {
    /// Stores `data` at `offset`; returns false if it was refused for lack of range slots
    /// (it touches no range held and all slots are taken).
    pub(crate) fn insert(&mut self, offset: u64, data: &[u8]) -> bool {
        if data.is_empty() {
            return true;
        }
        if self.ranges.len() >= MAX_RANGES && !self.touches(offset, offset + data.len() as u64) {
            return false;
        }
        let mut start = offset;
        let mut bytes = data.to_vec();
        // Merge with a range that starts before and reaches into or touches us.
        if let Some((&s, prev)) = self.ranges.range(..=start).next_back() {
            let prev_end = s + prev.len() as u64;
            if prev_end >= start {
                let mut merged = self.ranges.remove(&s).unwrap_or_default();
                let keep_from = (prev_end - start) as usize;
                if keep_from < bytes.len() {
                    merged.extend_from_slice(&bytes[keep_from..]);
                }
                start = s;
                bytes = merged;
            }
        }
        // Absorb ranges that start inside or right after us.
        loop {
            let end = start + bytes.len() as u64;
            let Some((&s, _)) = self.ranges.range(start..=end).next() else {
                break;
            };
            let next = self.ranges.remove(&s).unwrap_or_default();
            let next_end = s + next.len() as u64;
            if next_end > end {
                bytes.extend_from_slice(&next[(end - s) as usize..]);
            }
        }
        self.ranges.insert(start, bytes);
        true
    }

    /// Whether `[start, end)` overlaps or touches a range held.
    fn touches(&self, start: u64, end: u64) -> bool {
        let before = self
            .ranges
            .range(..=start)
            .next_back()
            .is_some_and(|(&s, d)| s + d.len() as u64 >= start);
        before || self.ranges.range(start..=end).next().is_some()
    }

    /// Whether every byte of `[start, end)` is already held (a duplicate, for DSACK).
    pub(crate) fn holds(&self, start: u64, end: u64) -> bool {
        self.ranges
            .range(..=start)
            .next_back()
            .is_some_and(|(&s, d)| s + d.len() as u64 >= end)
    }

    /// The held range containing `offset`, as (start, end).
    pub(crate) fn range_containing(&self, offset: u64) -> Option<(u64, u64)> {
        let (&s, d) = self.ranges.range(..=offset).next_back()?;
        let e = s + d.len() as u64;
        (e > offset).then_some((s, e))
    }

    /// Removes and returns the data that now continues the stream at `next`, if any.
    pub(crate) fn take_contiguous(&mut self, next: u64) -> Option<Vec<u8>> {
        loop {
            let (&s, data) = self.ranges.range(..=next).next_back()?;
            let end = s + data.len() as u64;
            let mut data = self.ranges.remove(&s)?;
            if end > next {
                data.drain(..(next - s) as usize);
                return Some(data);
            }
            // Entirely old: discard it and look again.
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ranges.values().map(Vec::len).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Forgets everything (connection aborted).
    pub(crate) fn clear(&mut self) {
        self.ranges.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fills_a_hole() {
        let mut a = Assembler::default();
        assert!(a.insert(10, b"klm"));
        assert!(a.take_contiguous(0).is_none());
        assert!(a.insert(5, b"fghij"));
        assert_eq!(a.take_contiguous(5).unwrap(), b"fghijklm");
        assert!(a.is_empty());
    }

    #[test]
    fn overlaps_are_stored_once() {
        let mut a = Assembler::default();
        a.insert(10, b"abcdef");
        a.insert(12, b"cdefgh");
        a.insert(8, b"xyab");
        assert_eq!(a.len(), 10);
        assert_eq!(a.take_contiguous(8).unwrap(), b"xyabcdefgh");
    }

    #[test]
    fn range_slots_are_bounded_and_nothing_held_is_dropped() {
        let mut a = Assembler::default();
        for i in 0..MAX_RANGES as u64 {
            assert!(a.insert(100 + i * 10, b"x"));
        }
        // A new range, near or far: refused, and every range held stays (no reneging).
        assert!(!a.insert(10_000, b"y"));
        assert!(!a.insert(50, b"z"));
        assert_eq!(a.ranges.len(), MAX_RANGES);
        // Data touching a held range still joins it.
        assert!(a.insert(101, b"w"));
        assert_eq!(a.range_containing(100), Some((100, 102)));
        assert!(a.holds(100, 102));
        assert!(!a.holds(100, 103));
    }

    proptest! {
        /// Whatever the order and overlap of segments, the stream comes out byte-exact.
        #[test]
        fn reassembles_any_order(cuts in proptest::collection::vec((0usize..200, 1usize..40), 1..30)) {
            let stream: Vec<u8> = (0..240u32).map(|i| (i * 7 % 251) as u8).collect();
            let mut a = Assembler::default();
            let mut next = 0u64;
            let mut out = Vec::new();
            for (start, len) in cuts.iter().copied().chain(std::iter::once((0, 240))) {
                let end = (start + len).min(stream.len());
                let s = start as u64;
                if s <= next {
                    let from = next as usize;
                    if end > from { out.extend_from_slice(&stream[from..end]); next = end as u64; }
                } else {
                    a.insert(s, &stream[start..end]);
                }
                while let Some(d) = a.take_contiguous(next) {
                    next += d.len() as u64;
                    out.extend_from_slice(&d);
                }
            }
            prop_assert_eq!(&out[..], &stream[..]);
        }
    }
}
