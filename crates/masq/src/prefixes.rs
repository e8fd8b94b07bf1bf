//! Address arithmetic the daemon and its checks (`doctor`, the first-run `setup_check`) share.

use masq_platform::Ipv4Net;

/// Whether two prefixes share any address: a LAN may not overlap the uplink's network, or
/// replies to the uplink's neighbours would be taken for the LAN's.
pub(crate) fn overlap(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_overlap_when_either_holds_the_others_network() {
        let net = |s: &str| s.parse::<Ipv4Net>().expect("prefix");
        assert!(overlap(net("192.168.0.0/16"), net("192.168.137.0/24")));
        assert!(overlap(net("192.168.137.0/24"), net("192.168.0.0/16")));
        assert!(overlap(net("10.0.0.0/24"), net("10.0.0.0/24")));
        assert!(!overlap(net("10.0.0.0/24"), net("10.0.1.0/24")));
    }
}
