//! Out-of-order data from the LAN, held until the gap before it is filled.
//!
//! Offsets are stream offsets (u64, never wrap). Overlapping segments are merged so every
//! byte is stored once; the total held is bounded by the receive window the caller enforces
//! before inserting, and the number of separate ranges by [`MAX_RANGES`].

use std::collections::BTreeMap;

/// Separate holes we are willing to track; beyond this a new out-of-order segment that does
/// not touch an existing range is dropped (the LAN host retransmits it). smoltcp and
/// consomme use 4; a few more helps under the 5 % loss the tests apply.
pub(crate) const MAX_RANGES: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct Assembler {
    ranges: BTreeMap<u64, Vec<u8>>,
}

impl Assembler {
    /// Stores `data` at `offset`; returns false if it was dropped for lack of range slots.
    pub(crate) fn insert(&mut self, offset: u64, data: &[u8]) -> bool {
        if data.is_empty() {
            return true;
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
        let adds_range = !self.ranges.contains_key(&start);
        self.ranges.insert(start, bytes);
        if adds_range && self.ranges.len() > MAX_RANGES {
            // Keep the ranges nearest the hole: drop the furthest one.
            let last = *self.ranges.keys().next_back().unwrap_or(&start);
            self.ranges.remove(&last);
            return last != start;
        }
        true
    }

    /// Removes and returns the data that now continues the stream at `next`, if any.
    pub(crate) fn take_contiguous(&mut self, next: u64) -> Option<Vec<u8>> {
        let (&s, data) = self.ranges.range(..=next).next_back()?;
        let end = s + data.len() as u64;
        if end <= next {
            // Entirely old: discard it.
            self.ranges.remove(&s);
            return self.take_contiguous(next);
        }
        let data = self.ranges.remove(&s)?;
        Some(data[(next - s) as usize..].to_vec())
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ranges.values().map(Vec::len).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The held ranges as (start, end) offsets, nearest the hole first (for SACK blocks).
    pub(crate) fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(&s, d)| (s, s + d.len() as u64))
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
    fn range_slots_are_bounded() {
        let mut a = Assembler::default();
        for i in 0..MAX_RANGES as u64 {
            assert!(a.insert(100 + i * 10, b"x"));
        }
        // Further away than all others: refused.
        assert!(!a.insert(1000, b"y"));
        // Nearer the hole: kept, the furthest is dropped.
        assert!(a.insert(50, b"z"));
        assert_eq!(a.ranges.len(), MAX_RANGES);
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
