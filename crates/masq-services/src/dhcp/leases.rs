//! The lease table: which LAN address belongs to which device, until when.
//!
//! Pure state: every method takes `now` as Unix seconds (leases outlive the process, so they
//! are kept in wall-clock time) and nothing here touches the network or the disk.
//!
//! Allocation order for a device (RFC 2131 §4.3.1): its reservation; else the address it
//! last had, if still free; else the address it asks for, if free; else the lowest free pool
//! address; else the address of the lease that expired longest ago. Addresses reserved for
//! other devices, declined addresses (for [`DECLINE_HOLD_SECS`]) and the gateway are never
//! handed out. Expired leases are kept until their address is needed, so a device that comes
//! back after a week still gets its old address when the pool is not full.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use masq_control::{MacAddr, Reservation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::pool::Pool;

/// How long an OFFER holds its address for the client's REQUEST.
pub const OFFER_HOLD_SECS: u64 = 60;
/// How long a DECLINEd address (in use by someone else, RFC 2131 §3.1.5) stays out of the pool.
pub const DECLINE_HOLD_SECS: u64 = 600;

/// One address given to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The address.
    pub ip: Ipv4Addr,
    /// The device.
    pub mac: MacAddr,
    /// The name it sent (option 12), or its reservation's.
    pub hostname: Option<String>,
    /// Offered (waiting for REQUEST) or bound.
    pub state: LeaseState,
    /// Unix seconds when it ends.
    pub expires: u64,
    /// Unix seconds of the device's first message.
    pub first_seen: u64,
    /// Unix seconds of its latest message.
    pub last_seen: u64,
}

/// Where a lease is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseState {
    /// Offered; becomes bound on REQUEST or is dropped after [`OFFER_HOLD_SECS`].
    Offered,
    /// Acknowledged; the device uses the address until `expires`.
    Bound,
}

impl Lease {
    /// Whether the device may use the address at `now`.
    pub fn is_active(&self, now: u64) -> bool {
        self.state == LeaseState::Bound && self.expires > now
    }
}

/// Why a REQUEST cannot be acknowledged (the server answers NAK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The address is not on this LAN or not in the pool.
    #[error("address not on this LAN or outside the pool")]
    NotOurs,
    /// Another device holds it, or it is reserved for another device.
    #[error("address in use by another device")]
    Taken,
    /// The device has a reservation for a different address.
    #[error("device has a reservation for another address")]
    Reserved,
}

/// No address left to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the DHCP pool is exhausted: every address is leased, reserved or declined")]
pub struct Exhausted;

/// All leases of one LAN, with its pool and reservations.
#[derive(Debug, Clone)]
pub struct LeaseTable {
    pool: Pool,
    lease_secs: u64,
    reservations: BTreeMap<MacAddr, Reservation>,
    leases: BTreeMap<Ipv4Addr, Lease>,
    declined: BTreeMap<Ipv4Addr, u64>,
}

impl LeaseTable {
    /// An empty table; reservations outside the LAN or on the gateway are left out (settings
    /// validation reports them when `lan_addr` is set).
    pub fn new(pool: Pool, lease_secs: u32, reservations: &[Reservation]) -> LeaseTable {
        let reservations = reservations
            .iter()
            .filter(|r| pool.lan().is_host(r.ip) && r.ip != pool.gateway())
            .map(|r| (r.mac, r.clone()))
            .collect();
        LeaseTable {
            pool,
            lease_secs: u64::from(lease_secs),
            reservations,
            leases: BTreeMap::new(),
            declined: BTreeMap::new(),
        }
    }

    /// Adds leases read back from disk, dropping those this LAN and pool no longer allow.
    pub fn restore(&mut self, leases: Vec<Lease>, now: u64) {
        for lease in leases {
            if lease.state == LeaseState::Bound && self.may_hold(lease.mac, lease.ip, now) {
                self.leases.insert(lease.ip, lease);
            }
        }
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Lease length in seconds.
    pub fn lease_secs(&self) -> u64 {
        self.lease_secs
    }

    /// Every lease, by address (including expired ones kept for their devices).
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.leases.values()
    }

    /// The lease of `mac`, if any.
    pub fn lease_of(&self, mac: MacAddr) -> Option<&Lease> {
        self.leases.values().find(|l| l.mac == mac)
    }

    /// Picks an address for a DISCOVER and holds it for [`OFFER_HOLD_SECS`].
    pub fn offer(
        &mut self,
        mac: MacAddr,
        requested: Option<Ipv4Addr>,
        hostname: Option<String>,
        now: u64,
    ) -> Result<Ipv4Addr, Exhausted> {
        let ip = self.choose(mac, requested, now).ok_or(Exhausted)?;
        let hold = now + OFFER_HOLD_SECS;
        let previous = self.take_lease_of(mac);
        let (state, expires) = match &previous {
            // Re-offering a device its still-bound address must not shorten its lease.
            Some(p) if p.ip == ip && p.is_active(now) => (LeaseState::Bound, p.expires),
            _ => (LeaseState::Offered, hold),
        };
        let first_seen = previous.as_ref().map_or(now, |p| p.first_seen);
        let hostname = self.name_for(mac, hostname.or(previous.and_then(|p| p.hostname)));
        self.leases.remove(&ip);
        self.leases.insert(
            ip,
            Lease {
                ip,
                mac,
                hostname,
                state,
                expires,
                first_seen,
                last_seen: now,
            },
        );
        Ok(ip)
    }

    /// Binds `ip` to `mac` for a full lease (REQUEST → ACK).
    pub fn commit(
        &mut self,
        mac: MacAddr,
        ip: Ipv4Addr,
        hostname: Option<String>,
        now: u64,
    ) -> Result<Lease, Refusal> {
        if let Some(r) = self.reservations.get(&mac) {
            if r.ip != ip {
                return Err(Refusal::Reserved);
            }
        } else if !self.pool.contains(ip) {
            return Err(Refusal::NotOurs);
        }
        if !self.may_hold(mac, ip, now) {
            return Err(Refusal::Taken);
        }
        let previous = self.take_lease_of(mac);
        let first_seen = previous.as_ref().map_or(now, |p| p.first_seen);
        let hostname = self.name_for(mac, hostname.or(previous.and_then(|p| p.hostname)));
        self.leases.remove(&ip);
        let lease = Lease {
            ip,
            mac,
            hostname,
            state: LeaseState::Bound,
            expires: now + self.lease_secs,
            first_seen,
            last_seen: now,
        };
        self.leases.insert(ip, lease.clone());
        Ok(lease)
    }

    /// The device gave the address back (RELEASE): it returns to the pool at once, but stays
    /// remembered for the device so it gets the same address next time.
    pub fn release(&mut self, mac: MacAddr, ip: Ipv4Addr, now: u64) -> bool {
        match self.leases.get_mut(&ip) {
            Some(l) if l.mac == mac => {
                l.expires = now.min(l.expires);
                l.last_seen = now;
                true
            }
            _ => false,
        }
    }

    /// The device found the address in use (DECLINE): keep it out of the pool for a while.
    pub fn decline(&mut self, mac: MacAddr, ip: Ipv4Addr, now: u64) -> bool {
        match self.leases.get(&ip) {
            Some(l) if l.mac == mac => {
                self.leases.remove(&ip);
                self.declined.insert(ip, now + DECLINE_HOLD_SECS);
                true
            }
            _ => false,
        }
    }

    /// Drops offers nobody took and declines that ran out; true when anything changed.
    pub fn expire(&mut self, now: u64) -> bool {
        let before = self.leases.len() + self.declined.len();
        self.leases
            .retain(|_, l| l.state == LeaseState::Bound || l.expires > now);
        self.declined.retain(|_, until| *until > now);
        before != self.leases.len() + self.declined.len()
    }

    /// Notes a message from `mac` (for the client view's "last seen").
    pub fn touch(&mut self, mac: MacAddr, now: u64) {
        if let Some(l) = self.leases.values_mut().find(|l| l.mac == mac) {
            l.last_seen = now;
        }
    }

    fn choose(&self, mac: MacAddr, requested: Option<Ipv4Addr>, now: u64) -> Option<Ipv4Addr> {
        if let Some(r) = self.reservations.get(&mac) {
            return self.may_hold(mac, r.ip, now).then_some(r.ip);
        }
        let usable = |ip: Ipv4Addr| self.pool.contains(ip) && self.may_hold(mac, ip, now);
        if let Some(l) = self.lease_of(mac) {
            if usable(l.ip) {
                return Some(l.ip);
            }
        }
        if let Some(ip) = requested.filter(|ip| usable(*ip)) {
            return Some(ip);
        }
        if let Some(ip) = self
            .pool
            .addresses()
            .find(|ip| !self.leases.contains_key(ip) && usable(*ip))
        {
            return Some(ip);
        }
        self.leases
            .values()
            .filter(|l| usable(l.ip))
            .min_by_key(|l| l.expires)
            .map(|l| l.ip)
    }

    /// Whether `mac` may get `ip` now: not the gateway, not reserved for another device, not
    /// declined, and not leased (or offered) to another device.
    fn may_hold(&self, mac: MacAddr, ip: Ipv4Addr, now: u64) -> bool {
        if ip == self.pool.gateway() || !self.pool.lan().is_host(ip) {
            return false;
        }
        if self
            .reservations
            .values()
            .any(|r| r.ip == ip && r.mac != mac)
        {
            return false;
        }
        if self.declined.get(&ip).is_some_and(|until| *until > now) {
            return false;
        }
        match self.leases.get(&ip) {
            Some(l) if l.mac != mac => l.expires <= now,
            _ => true,
        }
    }

    fn take_lease_of(&mut self, mac: MacAddr) -> Option<Lease> {
        let ip = self.lease_of(mac)?.ip;
        self.leases.remove(&ip)
    }

    fn name_for(&self, mac: MacAddr, sent: Option<String>) -> Option<String> {
        self.reservations
            .get(&mac)
            .and_then(|r| r.hostname.clone())
            .or(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(n: u8) -> MacAddr {
        MacAddr([2, 0, 0, 0, 0, n])
    }

    fn ip(n: u8) -> Ipv4Addr {
        Ipv4Addr::new(192, 168, 137, n)
    }

    fn table(start: u8, end: u8, reservations: &[Reservation]) -> LeaseTable {
        let lan = "192.168.137.1/24".parse().unwrap();
        let pool = Pool::new(lan, Some(ip(start)), Some(ip(end))).unwrap();
        LeaseTable::new(pool, 3600, reservations)
    }

    #[test]
    fn offer_then_commit_binds_for_a_lease_time() {
        let mut t = table(10, 20, &[]);
        let a = t.offer(mac(1), None, Some("laptop".into()), 100).unwrap();
        assert_eq!(a, ip(10));
        assert_eq!(t.lease_of(mac(1)).unwrap().state, LeaseState::Offered);
        let l = t.commit(mac(1), a, None, 101).unwrap();
        assert_eq!(l.expires, 101 + 3600);
        assert_eq!(l.hostname.as_deref(), Some("laptop"), "kept from the offer");
        assert!(l.is_active(200));
        let b = t.offer(mac(2), None, None, 102).unwrap();
        assert_eq!(b, ip(11));
    }

    #[test]
    fn requested_address_is_honoured_when_free() {
        let mut t = table(10, 20, &[]);
        assert_eq!(t.offer(mac(1), Some(ip(15)), None, 0).unwrap(), ip(15));
        assert_eq!(
            t.offer(mac(2), Some(ip(15)), None, 0).unwrap(),
            ip(10),
            "held by mac 1"
        );
        assert_eq!(
            t.offer(mac(3), Some(ip(99)), None, 0).unwrap(),
            ip(11),
            "outside the pool"
        );
    }

    #[test]
    fn exhaustion_then_unclaimed_offers_expire() {
        let mut t = table(10, 11, &[]);
        t.offer(mac(1), None, None, 0).unwrap();
        t.offer(mac(2), None, None, 0).unwrap();
        assert_eq!(t.offer(mac(3), None, None, 1), Err(Exhausted));
        assert!(t.expire(OFFER_HOLD_SECS + 1));
        assert!(t.offer(mac(3), None, None, OFFER_HOLD_SECS + 1).is_ok());
    }

    #[test]
    fn expired_leases_are_reused_oldest_first_but_kept_for_their_device() {
        let mut t = table(10, 11, &[]);
        t.commit(mac(1), ip(10), None, 0).unwrap();
        t.commit(mac(2), ip(11), None, 10).unwrap();
        assert_eq!(t.offer(mac(3), None, None, 100), Err(Exhausted));
        assert!(!t.expire(5000), "bound leases stay, expired or not");
        assert_eq!(
            t.offer(mac(1), None, None, 5000).unwrap(),
            ip(10),
            "its old address"
        );
        let mut t2 = table(10, 11, &[]);
        t2.commit(mac(1), ip(10), None, 0).unwrap();
        t2.commit(mac(2), ip(11), None, 10).unwrap();
        assert_eq!(
            t2.offer(mac(3), None, None, 5000).unwrap(),
            ip(10),
            "expired longest ago"
        );
        assert!(t2.lease_of(mac(1)).is_none());
    }

    #[test]
    fn renewal_of_a_bound_lease_keeps_address_and_extends() {
        let mut t = table(10, 20, &[]);
        t.commit(mac(1), ip(12), None, 0).unwrap();
        assert_eq!(t.offer(mac(1), None, None, 100).unwrap(), ip(12));
        assert_eq!(
            t.lease_of(mac(1)).unwrap().state,
            LeaseState::Bound,
            "re-offer keeps binding"
        );
        let l = t.commit(mac(1), ip(12), None, 1800).unwrap();
        assert_eq!(l.expires, 1800 + 3600);
        assert_eq!(l.first_seen, 0);
    }

    #[test]
    fn commit_refusals() {
        let res = Reservation {
            mac: mac(9),
            ip: ip(50),
            hostname: Some("printer".into()),
        };
        let mut t = table(10, 20, &[res]);
        t.commit(mac(1), ip(10), None, 0).unwrap();
        assert_eq!(t.commit(mac(2), ip(10), None, 1), Err(Refusal::Taken));
        assert_eq!(t.commit(mac(2), ip(30), None, 1), Err(Refusal::NotOurs));
        assert_eq!(t.commit(mac(2), ip(1), None, 1), Err(Refusal::NotOurs));
        assert_eq!(t.commit(mac(9), ip(11), None, 1), Err(Refusal::Reserved));
        assert_eq!(
            t.commit(mac(2), ip(50), None, 1),
            Err(Refusal::NotOurs),
            "reserved, outside pool"
        );
    }

    #[test]
    fn reservations_win_and_name_the_device() {
        let res = Reservation {
            mac: mac(9),
            ip: ip(15),
            hostname: Some("printer".into()),
        };
        let mut t = table(10, 20, &[res]);
        for n in 1..=5 {
            t.offer(mac(n), None, None, 0).unwrap();
        }
        assert!(
            t.leases().all(|l| l.ip != ip(15)),
            "never offered to others"
        );
        assert_eq!(t.offer(mac(9), None, Some("hp".into()), 0).unwrap(), ip(15));
        let l = t.commit(mac(9), ip(15), Some("hp".into()), 0).unwrap();
        assert_eq!(l.hostname.as_deref(), Some("printer"));
        assert_eq!(
            t.offer(mac(2), Some(ip(15)), None, 0).unwrap(),
            ip(11),
            "its own offer"
        );
    }

    #[test]
    fn release_frees_and_decline_holds_back() {
        let mut t = table(10, 11, &[]);
        t.commit(mac(1), ip(10), None, 0).unwrap();
        assert!(t.release(mac(1), ip(10), 50));
        assert!(!t.release(mac(2), ip(11), 50), "not its lease");
        assert_eq!(
            t.offer(mac(2), None, None, 60).unwrap(),
            ip(11),
            "lowest free first"
        );
        assert_eq!(
            t.offer(mac(3), None, None, 60).unwrap(),
            ip(10),
            "released is free"
        );
        assert!(t.decline(mac(3), ip(10), 70));
        assert_eq!(
            t.offer(mac(4), None, None, 71),
            Err(Exhausted),
            "10 declined, 11 offered"
        );
        t.expire(70 + DECLINE_HOLD_SECS + 1);
        assert!(
            t.offer(mac(4), None, None, 70 + DECLINE_HOLD_SECS + 1)
                .is_ok()
        );
    }

    #[test]
    fn restore_drops_what_no_longer_fits() {
        let mut t = table(10, 20, &[]);
        let lease = |n: u8, m: u8| Lease {
            ip: ip(n),
            mac: mac(m),
            hostname: None,
            state: LeaseState::Bound,
            expires: 9999,
            first_seen: 0,
            last_seen: 0,
        };
        let outside = Lease {
            ip: Ipv4Addr::new(10, 0, 0, 5),
            ..lease(0, 3)
        };
        t.restore(vec![lease(12, 1), lease(1, 2), outside], 100);
        assert_eq!(t.leases().map(|l| l.ip).collect::<Vec<_>>(), vec![ip(12)]);
    }
}
