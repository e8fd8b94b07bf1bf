//! Which interface is the uplink: the one holding the best IPv4 default route, never masq's
//! own adapter (whose /1 routes are not defaults, but a stale `0.0.0.0/0` someone added to it
//! must not make masq pick itself).
//!
//! Windows ranks routes by route metric + interface metric; ties go to the lower interface
//! index, which is stable across calls, so the answer does not flap.

/// One row of the IPv4 forwarding table, reduced to what the choice needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouteRow {
    /// The interface's LUID as a number.
    pub luid: u64,
    /// Its interface index.
    pub index: u32,
    /// Destination prefix length (0 for a default route).
    pub prefix_len: u8,
    /// Route metric plus the interface's metric.
    pub metric: u32,
}

/// The LUID of the interface with the best default route, ignoring `exclude`.
pub(crate) fn best_default_route(rows: &[RouteRow], exclude: &[u64]) -> Option<u64> {
    rows.iter()
        .filter(|r| r.prefix_len == 0 && !exclude.contains(&r.luid))
        .min_by_key(|r| (r.metric, r.index))
        .map(|r| r.luid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(luid: u64, index: u32, prefix_len: u8, metric: u32) -> RouteRow {
        RouteRow {
            luid,
            index,
            prefix_len,
            metric,
        }
    }

    #[test]
    fn lowest_metric_default_wins() {
        let rows = [
            row(1, 10, 0, 50),
            row(2, 11, 0, 25),
            row(3, 12, 1, 0),
            row(4, 13, 24, 0),
        ];
        assert_eq!(best_default_route(&rows, &[]), Some(2));
    }

    #[test]
    fn excluded_interfaces_and_ties() {
        let rows = [row(7, 5, 0, 10), row(8, 3, 0, 10), row(9, 1, 0, 1)];
        assert_eq!(
            best_default_route(&rows, &[9]),
            Some(8),
            "tie → lower index"
        );
        assert_eq!(best_default_route(&rows, &[7, 8, 9]), None);
        assert_eq!(best_default_route(&[], &[]), None);
    }
}
