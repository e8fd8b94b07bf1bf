//! How far TCP flows' buffers may grow beyond `tcp.buffer_bytes`, all flows together.
//!
//! A flow starts with `buffer_bytes` per direction, which covers a wired LAN's round trip at
//! gigabit speed, but not a busy Wi-Fi's (500 Mbit/s over 5 ms is 300 KiB in flight) nor a
//! lossy one's, where the data held beyond a hole waits a few round trips. Like Linux
//! (`tcp_rcv_space_adjust`, `tcp_sndbuf_expand`), a flow that keeps its buffer full grows it,
//! up to `max_buffer_bytes`. What the growth may add up to across the engine is bounded here,
//! so a LAN host that opens many fast flows cannot make masq hold more than this budget on top
//! of the flows' starting buffers.

/// The engine-wide allowance for buffer growth.
#[derive(Debug)]
pub(crate) struct BufferBudget {
    limit: usize,
    granted: usize,
}

impl BufferBudget {
    pub(crate) fn new(limit: usize) -> BufferBudget {
        BufferBudget { limit, granted: 0 }
    }

    /// Up to `want` more bytes for one flow: what is left of the budget.
    pub(crate) fn grant(&mut self, want: usize) -> usize {
        let n = want.min(self.limit.saturating_sub(self.granted));
        self.granted += n;
        n
    }

    /// A flow gives back `n` bytes of growth (it ended).
    pub(crate) fn release(&mut self, n: usize) {
        debug_assert!(
            n <= self.granted,
            "released {n} of {} granted",
            self.granted
        );
        self.granted = self.granted.saturating_sub(n);
    }

    /// Bytes of growth held by flows now.
    pub(crate) fn granted(&self) -> usize {
        self.granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_stop_at_the_limit_and_resume_as_flows_give_back() {
        let mut b = BufferBudget::new(1000);
        assert_eq!(b.grant(600), 600);
        assert_eq!(b.grant(600), 400, "only what is left");
        assert_eq!(b.grant(1), 0);
        b.release(600);
        assert_eq!(b.granted(), 400);
        assert_eq!(b.grant(700), 600);
    }
}
