//! What the hidden host told us it holds beyond the cumulative ACK (SACK, RFC 2018), so loss
//! recovery resends only the holes (RFC 6675) instead of everything after the first loss.

use std::collections::BTreeMap;

/// Most ranges kept; a host reports at most 3-4 per ACK, and older ones merge as holes fill.
const MAX_RANGES: usize = 64;

/// SACKed ranges of stream offsets above the cumulative ACK, merged and disjoint.
#[derive(Debug, Default)]
pub(crate) struct Scoreboard {
    ranges: BTreeMap<u64, u64>,
}

impl Scoreboard {
    /// Records that `[start, end)` arrived at the host.
    pub(crate) fn insert(&mut self, mut start: u64, mut end: u64) {
        if end <= start {
            return;
        }
        if let Some((&s, &e)) = self.ranges.range(..=start).next_back()
            && e >= start
        {
            start = s;
            end = end.max(e);
            self.ranges.remove(&s);
        }
        while let Some((&s, &e)) = self.ranges.range(start..=end).next() {
            end = end.max(e);
            self.ranges.remove(&s);
        }
        self.ranges.insert(start, end);
        while self.ranges.len() > MAX_RANGES {
            self.ranges.pop_last();
        }
    }

    /// Forgets everything at or below the cumulative ACK.
    pub(crate) fn advance(&mut self, una: u64) {
        while let Some((&s, &e)) = self.ranges.first_key_value() {
            if e <= una {
                self.ranges.remove(&s);
            } else {
                if s < una {
                    self.ranges.remove(&s);
                    self.ranges.insert(una, e);
                }
                break;
            }
        }
    }

    /// Bytes the host holds above the cumulative ACK.
    pub(crate) fn sacked_bytes(&self) -> u64 {
        self.ranges.iter().map(|(s, e)| e - s).sum()
    }

    /// The end of the SACKed range containing `offset`, if it is SACKed.
    pub(crate) fn covering(&self, offset: u64) -> Option<u64> {
        let (_, &e) = self.ranges.range(..=offset).next_back()?;
        (e > offset).then_some(e)
    }

    /// The first hole at or after `from` that lies below the highest SACKed byte: data
    /// presumed lost (RFC 6675 IsLost, simplified to "a later byte arrived").
    pub(crate) fn next_hole(&self, from: u64) -> Option<(u64, u64)> {
        let mut at = from;
        if let Some(end) = self.covering(at) {
            at = end;
        }
        let (&next_start, _) = self.ranges.range(at..).next()?;
        Some((at, next_start))
    }

    /// Forgets everything (the connection is reset).
    pub(crate) fn clear(&mut self) {
        self.ranges.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_finds_holes() {
        let mut s = Scoreboard::default();
        s.insert(3000, 4000);
        s.insert(5000, 6000);
        s.insert(3500, 4500);
        assert_eq!(s.sacked_bytes(), 1500 + 1000);
        assert_eq!(s.next_hole(1000), Some((1000, 3000)));
        assert_eq!(s.next_hole(3200), Some((4500, 5000)));
        assert_eq!(s.next_hole(5000), None);
        assert_eq!(s.covering(3999), Some(4500));
        assert_eq!(s.covering(4500), None);
    }

    #[test]
    fn advance_trims_and_drops() {
        let mut s = Scoreboard::default();
        s.insert(100, 200);
        s.insert(300, 400);
        s.advance(150);
        assert_eq!(s.next_hole(150), Some((200, 300)));
        s.advance(400);
        assert!(s.is_empty());
    }

    #[test]
    fn adjacent_ranges_merge() {
        let mut s = Scoreboard::default();
        s.insert(100, 200);
        s.insert(200, 300);
        assert_eq!(s.covering(100), Some(300));
        assert_eq!(s.ranges.len(), 1);
    }
}
