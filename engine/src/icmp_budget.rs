//! How many ICMP errors the gateway itself sends per second.
//!
//! The gateway answers some packets from the LAN with an error of its own: time exceeded
//! when the TTL runs out at this hop (traceroute), administratively prohibited when a packet
//! may not pass. Each costs a packet written toward the LAN, so a host that floods TTL-1 or
//! forbidden packets could make the gateway spend its time answering. As Linux does
//! (`net.ipv4.icmp_msgs_per_sec` = 1000 with a burst of 50, RFC 1812 4.3.2.8), a token bucket
//! bounds them; errors over the budget are not sent and are counted
//! (`Counters::icmp_errors_suppressed`). Errors that masq relays from the internet are not
//! the gateway's own and are not limited here.

use std::time::Instant;

/// Errors per second at most.
pub(crate) const RATE_PER_SEC: u32 = 1000;
/// Errors that may be sent at once after a quiet spell.
pub(crate) const BURST: u32 = 50;

/// A token bucket refilled by the injected clock.
#[derive(Debug)]
pub(crate) struct IcmpBudget {
    /// Tokens, in thousandths, so refills need no floats.
    milli_tokens: u64,
    last: Option<Instant>,
}

impl IcmpBudget {
    pub(crate) fn new() -> IcmpBudget {
        IcmpBudget {
            milli_tokens: u64::from(BURST) * 1000,
            last: None,
        }
    }

    /// Takes one token if there is one.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let elapsed_us = now.saturating_duration_since(last).as_micros();
            // RATE_PER_SEC per second is RATE_PER_SEC thousandths per millisecond.
            let refill = elapsed_us.saturating_mul(u128::from(RATE_PER_SEC)) / 1000;
            let cap = u64::from(BURST) * 1000;
            self.milli_tokens = u64::try_from(u128::from(self.milli_tokens) + refill)
                .unwrap_or(cap)
                .min(cap);
        }
        self.last = Some(now);
        if self.milli_tokens >= 1000 {
            self.milli_tokens -= 1000;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        let t0 = Instant::now();
        let mut b = IcmpBudget::new();
        let sent = (0..200).filter(|_| b.allow(t0)).count();
        assert_eq!(sent, BURST as usize);
        // One second later: a full second's refill, capped at the burst.
        let sent = (0..200)
            .filter(|_| b.allow(t0 + Duration::from_secs(1)))
            .count();
        assert_eq!(sent, BURST as usize);
        // At a steady 2 000 packets/s for a second, about RATE_PER_SEC get an answer.
        let mut answered = 0;
        for i in 1..=2000u64 {
            if b.allow(t0 + Duration::from_secs(1) + Duration::from_micros(i * 500)) {
                answered += 1;
            }
        }
        assert!((990..=1010).contains(&answered), "{answered}");
    }
}
