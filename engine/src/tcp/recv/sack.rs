//! The SACK blocks we report to the host (RFC 2018 4, RFC 2883), which its loss recovery
//! runs on: the first block holds the segment that triggered the ACK, the rest follow in
//! the order they were last reported, so that every range is repeated in several ACKs and
//! one lost ACK erases nothing. A duplicate segment is reported once, first, as a DSACK.

/// Blocks that fit the options of an ACK without timestamps: 2 + 4 × 8 = 34 of 40 bytes.
pub(crate) const MAX_BLOCKS: usize = 4;

/// Ranges held out of order, most recently reported first, plus a pending DSACK.
#[derive(Debug, Clone, Default)]
pub(crate) struct SackList {
    blocks: [Option<(u64, u64)>; MAX_BLOCKS],
    dsack: Option<(u64, u64)>,
}

impl SackList {
    /// Data arrived out of order and is now part of the held range `range`: it goes first,
    /// replacing the blocks it swallowed (RFC 2018 4, Linux `tcp_sack_new_ofo_skb`).
    pub(crate) fn on_out_of_order(&mut self, range: (u64, u64)) {
        let (s, e) = range;
        let mut next = [None; MAX_BLOCKS];
        next[0] = Some(range);
        let rest = self
            .blocks
            .iter()
            .flatten()
            .filter(|&&(bs, be)| be < s || bs > e);
        for (slot, &b) in next[1..].iter_mut().zip(rest) {
            *slot = Some(b);
        }
        self.blocks = next;
    }

    /// The stream reached `nxt`: blocks it covers go, a block it entered is trimmed.
    pub(crate) fn on_advance(&mut self, nxt: u64) {
        let mut next = [None; MAX_BLOCKS];
        let kept = self
            .blocks
            .iter()
            .flatten()
            .filter_map(|&(s, e)| (e > nxt).then_some((s.max(nxt), e)));
        for (slot, b) in next.iter_mut().zip(kept) {
            *slot = Some(b);
        }
        self.blocks = next;
    }

    /// A segment duplicated data already received: report `range` once, as the first block
    /// of the next ACK (RFC 2883 4).
    pub(crate) fn on_duplicate(&mut self, range: (u64, u64)) {
        self.dsack = Some(range);
    }

    /// Whether a DSACK waits (the next ACK should go at once).
    pub(crate) fn dsack_pending(&self) -> bool {
        self.dsack.is_some()
    }

    /// The blocks of the next ACK, DSACK first; the DSACK is reported only once.
    pub(crate) fn take_blocks(&mut self) -> [Option<(u64, u64)>; MAX_BLOCKS] {
        let mut out = [None; MAX_BLOCKS];
        let all = self
            .dsack
            .take()
            .into_iter()
            .chain(self.blocks.iter().flatten().copied());
        for (slot, b) in out.iter_mut().zip(all) {
            *slot = Some(b);
        }
        out
    }

    /// Nothing to report: no block and no DSACK.
    pub(crate) fn is_empty(&self) -> bool {
        self.dsack.is_none() && self.blocks.iter().all(Option::is_none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(l: &mut SackList) -> Vec<(u64, u64)> {
        l.take_blocks().into_iter().flatten().collect()
    }

    #[test]
    fn the_newest_range_goes_first_and_older_ones_follow() {
        let mut l = SackList::default();
        l.on_out_of_order((100, 200));
        l.on_out_of_order((300, 400));
        l.on_out_of_order((500, 600));
        assert_eq!(blocks(&mut l), vec![(500, 600), (300, 400), (100, 200)]);
        // A segment extends the oldest range: it moves to the front.
        l.on_out_of_order((100, 250));
        assert_eq!(blocks(&mut l), vec![(100, 250), (500, 600), (300, 400)]);
    }

    #[test]
    fn at_most_four_blocks_and_the_oldest_drop_out() {
        let mut l = SackList::default();
        for i in 0..6u64 {
            l.on_out_of_order((i * 100, i * 100 + 50));
        }
        assert_eq!(
            blocks(&mut l),
            vec![(500, 550), (400, 450), (300, 350), (200, 250)]
        );
    }

    #[test]
    fn merged_ranges_replace_their_parts() {
        let mut l = SackList::default();
        l.on_out_of_order((100, 200));
        l.on_out_of_order((300, 400));
        // The hole between them filled: one range now.
        l.on_out_of_order((100, 400));
        assert_eq!(blocks(&mut l), vec![(100, 400)]);
    }

    #[test]
    fn dsack_goes_first_once() {
        let mut l = SackList::default();
        l.on_out_of_order((300, 400));
        l.on_duplicate((50, 100));
        assert!(l.dsack_pending());
        assert_eq!(blocks(&mut l), vec![(50, 100), (300, 400)]);
        assert_eq!(blocks(&mut l), vec![(300, 400)]);
    }

    #[test]
    fn advancing_drops_and_trims() {
        let mut l = SackList::default();
        l.on_out_of_order((100, 200));
        l.on_out_of_order((300, 400));
        l.on_advance(350);
        assert_eq!(blocks(&mut l), vec![(350, 400)]);
    }
}
