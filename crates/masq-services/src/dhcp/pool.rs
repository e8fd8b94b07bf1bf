//! The range of addresses the DHCP server hands out, derived from the LAN prefix.
//!
//! Invariant: every address a [`Pool`] yields is a host address of the LAN prefix and never
//! the gateway's own, whatever the settings said (the gateway is skipped, not rejected, so a
//! gateway inside a user's range still works).

use std::net::Ipv4Addr;

use masq_control::LanCidr;
use thiserror::Error;

/// Offset of the default first pool address from the network address (192.168.137.10), as
/// Windows ICS users know it; the low addresses stay free for static hosts.
const DEFAULT_START_OFFSET: u32 = 10;

/// The dynamic range on one LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    lan: LanCidr,
    start: Ipv4Addr,
    end: Ipv4Addr,
    /// Addresses inside the range that masq itself holds (besides the gateway's).
    in_use: Vec<Ipv4Addr>,
}

/// Why the configured range cannot be used on this LAN.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PoolError {
    /// An end of the range lies outside the LAN prefix.
    #[error(
        "DHCP pool address {addr} is not a host address of the LAN {lan}: set dhcp.pool_start and dhcp.pool_end inside it"
    )]
    OutsideLan {
        /// The offending address.
        addr: Ipv4Addr,
        /// The LAN prefix.
        lan: String,
    },
    /// Start above end.
    #[error("DHCP pool starts at {start}, after its end {end}")]
    Reversed {
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
    },
}

impl Pool {
    /// The pool for `lan`: `start`/`end` as configured, or host 10 to the last host address.
    pub fn new(
        lan: LanCidr,
        start: Option<Ipv4Addr>,
        end: Option<Ipv4Addr>,
    ) -> Result<Pool, PoolError> {
        let first_host = u32::from(lan.network()) + 1;
        let last_host = u32::from(lan.broadcast()) - 1;
        // Prefixes too small for the offset use every host address.
        let offset_start = u32::from(lan.network()) + DEFAULT_START_OFFSET;
        let default_start = if offset_start > last_host {
            first_host
        } else {
            offset_start
        };
        let start = start.unwrap_or(Ipv4Addr::from(default_start));
        let end = end.unwrap_or(Ipv4Addr::from(last_host));
        for addr in [start, end] {
            if !lan.is_host(addr) {
                return Err(PoolError::OutsideLan {
                    addr,
                    lan: format!("{}/{}", lan.network(), lan.prefix_len()),
                });
            }
        }
        if start > end {
            return Err(PoolError::Reversed { start, end });
        }
        Ok(Pool {
            lan,
            start,
            end,
            in_use: Vec::new(),
        })
    }

    /// Keeps `addrs` out of the pool: addresses masq's own adapter holds on the LAN
    /// (`masq_platform::lan_addresses_in_use`), which a host must never be offered.
    pub fn without(mut self, addrs: &[Ipv4Addr]) -> Pool {
        self.in_use.extend_from_slice(addrs);
        self
    }

    /// The LAN the pool belongs to.
    pub fn lan(&self) -> LanCidr {
        self.lan
    }

    /// The gateway's own address.
    pub fn gateway(&self) -> Ipv4Addr {
        self.lan.addr()
    }

    /// Whether the server may hand out `ip` dynamically.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (self.start..=self.end).contains(&ip) && self.is_free(ip)
    }

    fn is_free(&self, ip: Ipv4Addr) -> bool {
        ip != self.gateway() && !self.in_use.contains(&ip)
    }

    /// Every dynamic address, lowest first.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        (u32::from(self.start)..=u32::from(self.end))
            .map(Ipv4Addr::from)
            .filter(|ip| self.is_free(*ip))
    }

    /// First and last address, for messages.
    pub fn range(&self) -> (Ipv4Addr, Ipv4Addr) {
        (self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lan(s: &str) -> LanCidr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_masq_holds_are_never_offered() {
        let adapter = Ipv4Addr::new(192, 168, 137, 254);
        let p = Pool::new(lan("192.168.137.1/24"), None, None)
            .unwrap()
            .without(&[adapter]);
        assert!(!p.contains(adapter));
        assert!(p.addresses().all(|a| a != adapter));
        assert_eq!(
            p.addresses().last(),
            Some(Ipv4Addr::new(192, 168, 137, 253))
        );
    }

    #[test]
    fn default_range_is_ten_to_last_host() {
        let p = Pool::new(lan("192.168.137.1/24"), None, None).unwrap();
        assert_eq!(
            p.range(),
            (
                Ipv4Addr::new(192, 168, 137, 10),
                Ipv4Addr::new(192, 168, 137, 254)
            )
        );
        assert_eq!(p.addresses().count(), 245);
        assert!(!p.contains(Ipv4Addr::new(192, 168, 137, 1)));
    }

    #[test]
    fn small_prefixes_still_get_a_pool_without_the_gateway() {
        let p = Pool::new(lan("10.0.0.1/30"), None, None).unwrap();
        assert_eq!(
            p.addresses().collect::<Vec<_>>(),
            vec![Ipv4Addr::new(10, 0, 0, 2)]
        );
        let p = Pool::new(lan("10.0.0.5/29"), None, None).unwrap();
        assert_eq!(p.addresses().count(), 5, "{p:?}");
        assert!(p.addresses().all(|ip| ip != Ipv4Addr::new(10, 0, 0, 5)));
    }

    #[test]
    fn configured_range_is_checked() {
        let l = lan("192.168.137.1/24");
        let e = Pool::new(l, Some(Ipv4Addr::new(10, 0, 0, 1)), None).unwrap_err();
        assert!(e.to_string().contains("dhcp.pool_start"), "{e}");
        let e = Pool::new(
            l,
            Some(Ipv4Addr::new(192, 168, 137, 9)),
            Some(Ipv4Addr::new(192, 168, 137, 8)),
        )
        .unwrap_err();
        assert!(matches!(e, PoolError::Reversed { .. }));
        let p = Pool::new(
            l,
            Some(Ipv4Addr::new(192, 168, 137, 1)),
            Some(Ipv4Addr::new(192, 168, 137, 3)),
        )
        .unwrap();
        assert_eq!(p.addresses().count(), 2, "gateway skipped");
    }
}
