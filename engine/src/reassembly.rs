//! IPv4 datagrams from the LAN that arrive in fragments, put back together.
//!
//! A LAN host fragments a UDP datagram larger than its link MTU (IKE with certificates, some
//! games and VPNs, a DNS server's large answers), and a NAT must pass those on (RFC 4787
//! REQ-14); the engine relays whole datagrams through its sockets, so it reassembles them
//! first. Every LAN host can send fragments that never complete, so the work is bounded:
//! at most [`MAX_DATAGRAMS`] datagrams and [`MAX_BYTES`] of payload in progress, each for at
//! most [`TIMEOUT`] (Linux's `ipfrag_time`), after which it is dropped and counted.
//! Overlapping fragments drop the whole datagram (RFC 5722's rule, which Linux applies to
//! IPv4 as well: overlaps exist to slip past filters), as do fragments that contradict the
//! datagram's end or would make it longer than 65 535 bytes.
//!
//! Written here rather than with etherparse's `IpDefragBuf`: that one merges overlapping
//! fragments silently (last write wins), grows its buffer over uninitialized memory, and its
//! pool says itself that it is not safe against memory exhaustion.
//!
//! IPv6 fragments are not reassembled yet; they are dropped as [`DropReason::Fragment`].

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::stats::DropReason;
use crate::wire::checksum;

/// How long the fragments of one datagram are kept waiting for the rest.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);
/// Datagrams being reassembled at once.
pub(crate) const MAX_DATAGRAMS: usize = 64;
/// Payload bytes held across all datagrams being reassembled.
pub(crate) const MAX_BYTES: usize = 1 << 20;
/// Longest IPv4 datagram, header included.
const MAX_DATAGRAM: usize = 65_535;
/// Longest IPv4 header (options included): the first fragment's header, unknown until it
/// arrives, may be this long.
const MAX_HEADER: usize = 60;
/// Fragments one datagram may arrive in: 64 KiB in 576-byte fragments is 117; more is an
/// attack on the overlap check's cost.
const MAX_FRAGMENTS: usize = 128;
/// Datagrams one source may have in progress, so one host cannot take every slot.
const MAX_PER_SOURCE: usize = 16;

/// What identifies the fragments of one datagram (RFC 791).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    id: u16,
}

/// One datagram's fragments so far.
#[derive(Debug)]
struct Partial {
    /// The IP header of the first fragment (offset 0), once it arrived.
    header: Option<Vec<u8>>,
    /// Payload received, at its offsets (gaps are zero until filled).
    data: Vec<u8>,
    /// Byte ranges filled, disjoint.
    ranges: Vec<(usize, usize)>,
    /// The payload's length, known from the last fragment (MF clear).
    end: Option<usize>,
    deadline: Instant,
}

impl Partial {
    fn received(&self) -> usize {
        self.ranges.iter().map(|(s, e)| e - s).sum()
    }

    fn is_complete(&self) -> bool {
        self.header.is_some() && self.end.is_some_and(|end| self.received() == end)
    }
}

/// One fragment as the engine's parser sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fragment<'a> {
    /// The fragment's IP header (options included).
    pub(crate) header: &'a [u8],
    pub(crate) src: Ipv4Addr,
    pub(crate) dst: Ipv4Addr,
    pub(crate) protocol: u8,
    pub(crate) id: u16,
    /// Where the payload goes, in bytes.
    pub(crate) offset: usize,
    /// More fragments follow (MF).
    pub(crate) more: bool,
    pub(crate) payload: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// The fragment in `raw`, or `None` when `raw` is not an IPv4 fragment (a whole datagram,
    /// IPv6, or too short to tell: the parser then decides).
    pub(crate) fn of(raw: &'a [u8]) -> Option<Fragment<'a>> {
        if raw.len() < 20 || raw[0] >> 4 != 4 {
            return None;
        }
        let more = raw[6] & 0x20 != 0;
        let offset = usize::from(u16::from_be_bytes([raw[6] & 0x1f, raw[7]])) * 8;
        if !more && offset == 0 {
            return None;
        }
        let header_len = usize::from(raw[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([raw[2], raw[3]]));
        if header_len < 20 || total < header_len || total > raw.len() {
            return None;
        }
        Some(Fragment {
            header: &raw[..header_len],
            src: Ipv4Addr::new(raw[12], raw[13], raw[14], raw[15]),
            dst: Ipv4Addr::new(raw[16], raw[17], raw[18], raw[19]),
            protocol: raw[9],
            id: u16::from_be_bytes([raw[4], raw[5]]),
            offset,
            more,
            payload: &raw[header_len..total],
        })
    }

    /// Whether its header checksum holds.
    pub(crate) fn header_checksum_ok(&self) -> bool {
        checksum::fold(checksum::sum(self.header)) == 0
    }
}

/// The datagrams in progress.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    partials: HashMap<Key, Partial>,
    /// Payload bytes held (capacity of every partial's buffer).
    held: usize,
}

impl Reassembler {
    /// Adds a fragment; the whole datagram (a complete IPv4 packet) when this one completed
    /// it, `Ok(None)` while parts are missing, or why the fragment (and with it, for
    /// overlaps and contradictions, its whole datagram) was dropped.
    pub(crate) fn add(
        &mut self,
        now: Instant,
        f: &Fragment<'_>,
    ) -> Result<Option<Vec<u8>>, DropReason> {
        let key = Key {
            src: f.src,
            dst: f.dst,
            protocol: f.protocol,
            id: f.id,
        };
        let start = f.offset;
        let end = start + f.payload.len();
        // The whole datagram must fit 65 535 bytes with any first header; an empty fragment
        // adds nothing but work (and would never count against the byte budget).
        let header_room = if start == 0 {
            f.header.len()
        } else {
            MAX_HEADER
        };
        if end + header_room > MAX_DATAGRAM
            || f.payload.is_empty()
            || (f.more && f.payload.len() % 8 != 0)
        {
            self.forget(&key);
            return Err(DropReason::FragmentInvalid);
        }
        let (known, grow) = match self.partials.get(&key) {
            Some(p) => (true, end.saturating_sub(p.data.len())),
            None => (false, end),
        };
        if !known {
            let from_source = self.partials.keys().filter(|k| k.src == f.src).count();
            if self.partials.len() >= MAX_DATAGRAMS || from_source >= MAX_PER_SOURCE {
                return Err(DropReason::FragmentLimit);
            }
        }
        if self.held + grow > MAX_BYTES {
            return Err(DropReason::FragmentLimit);
        }
        let p = self.partials.entry(key).or_insert_with(|| Partial {
            header: None,
            data: Vec::new(),
            ranges: Vec::new(),
            end: None,
            deadline: now + TIMEOUT,
        });
        if p.ranges.len() >= MAX_FRAGMENTS {
            self.forget(&key);
            return Err(DropReason::FragmentInvalid);
        }
        let overlaps = p.ranges.iter().any(|&(s, e)| start < e && s < end);
        let contradicts = match (p.end, f.more) {
            (Some(known), true) => end > known,
            (Some(known), false) => end != known,
            (None, false) => p.ranges.iter().any(|&(_, e)| e > end),
            (None, true) => false,
        };
        if overlaps || contradicts {
            self.forget(&key);
            return Err(DropReason::FragmentInvalid);
        }
        if p.data.len() < end {
            p.data.resize(end, 0);
            self.held += grow;
        }
        p.data[start..end].copy_from_slice(f.payload);
        p.ranges.push((start, end));
        if !f.more {
            p.end = Some(end);
        }
        if start == 0 {
            p.header = Some(f.header.to_vec());
        }
        if !p.is_complete() {
            return Ok(None);
        }
        let p = self.partials.remove(&key).expect("present");
        self.held -= p.data.len();
        whole_packet(&p)
            .map(Some)
            .ok_or(DropReason::FragmentInvalid)
    }

    /// Drops datagrams whose time ran out; how many.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let before = self.partials.len();
        let mut freed = 0;
        self.partials.retain(|_, p| {
            let keep = p.deadline > now;
            if !keep {
                freed += p.data.len();
            }
            keep
        });
        self.held -= freed;
        before - self.partials.len()
    }

    /// When the oldest datagram in progress times out.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.partials.values().map(|p| p.deadline).min()
    }

    /// Datagrams in progress.
    #[cfg(test)]
    pub(crate) fn in_progress(&self) -> usize {
        self.partials.len()
    }

    fn forget(&mut self, key: &Key) {
        if let Some(p) = self.partials.remove(key) {
            self.held -= p.data.len();
        }
    }
}

/// The first fragment's header, made a whole datagram's (no MF, offset 0, the full length,
/// a new checksum; DF kept), followed by the payload; `None` when it would not fit 65 535
/// bytes.
fn whole_packet(p: &Partial) -> Option<Vec<u8>> {
    let header = p.header.as_deref()?;
    let total = u16::try_from(header.len() + p.data.len()).ok()?;
    let mut packet = Vec::with_capacity(header.len() + p.data.len());
    packet.extend_from_slice(header);
    packet.extend_from_slice(&p.data);
    packet[2..4].copy_from_slice(&total.to_be_bytes());
    packet[6] &= 0x40;
    packet[7] = 0;
    packet[10] = 0;
    packet[11] = 0;
    let sum = checksum::fold(checksum::sum(&packet[..header.len()]));
    packet[10..12].copy_from_slice(&sum.to_be_bytes());
    Some(packet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods, reason = "a base instant for virtual time")]
        Instant::now()
    }

    /// An IPv4 fragment of a UDP datagram `payload` (UDP header included) from .10 to a remote.
    fn fragment(id: u16, offset: usize, more: bool, payload: &[u8]) -> Vec<u8> {
        fragment_from(10, id, offset, more, payload)
    }

    /// As [`fragment`], from LAN host `.host`.
    fn fragment_from(host: u8, id: u16, offset: usize, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 20];
        p[0] = 0x45;
        let total = u16::try_from(20 + payload.len()).unwrap();
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[4..6].copy_from_slice(&id.to_be_bytes());
        let field = u16::try_from(offset / 8).unwrap() | if more { 0x2000 } else { 0 };
        p[6..8].copy_from_slice(&field.to_be_bytes());
        p[8] = 64;
        p[9] = 17;
        p[12..16].copy_from_slice(&[192, 168, 137, host]);
        p[16..20].copy_from_slice(&[203, 0, 113, 10]);
        let sum = checksum::fold(checksum::sum(&p));
        p[10..12].copy_from_slice(&sum.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn add(r: &mut Reassembler, now: Instant, raw: &[u8]) -> Result<Option<Vec<u8>>, DropReason> {
        let f = Fragment::of(raw).expect("a fragment");
        assert!(f.header_checksum_ok());
        r.add(now, &f)
    }

    #[test]
    fn fragments_in_any_order_make_the_datagram() {
        let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let parts = [
            fragment(7, 1480, true, &data[1480..2960]),
            fragment(7, 2960, false, &data[2960..]),
            fragment(7, 0, true, &data[..1480]),
        ];
        let mut r = Reassembler::default();
        assert_eq!(add(&mut r, t0(), &parts[0]), Ok(None));
        assert_eq!(add(&mut r, t0(), &parts[1]), Ok(None));
        let whole = add(&mut r, t0(), &parts[2]).unwrap().expect("complete");
        assert_eq!(whole.len(), 20 + 3000);
        assert_eq!(&whole[20..], &data[..]);
        assert_eq!(u16::from_be_bytes([whole[2], whole[3]]), 3020);
        assert_eq!(whole[6] & 0x3f, 0, "no MF, offset 0");
        assert_eq!(checksum::fold(checksum::sum(&whole[..20])), 0);
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.held, 0);
    }

    #[test]
    fn overlaps_and_contradictions_drop_the_datagram() {
        let data = [1u8; 2000];
        let mut r = Reassembler::default();
        add(&mut r, t0(), &fragment(1, 0, true, &data[..1000])).unwrap();
        assert_eq!(
            add(&mut r, t0(), &fragment(1, 992, false, &data[992..])),
            Err(DropReason::FragmentInvalid)
        );
        assert_eq!(r.in_progress(), 0);
        add(&mut r, t0(), &fragment(3, 1000, false, &data[1000..])).unwrap();
        assert_eq!(
            add(&mut r, t0(), &fragment(3, 1000, true, &data[1000..1008])),
            Err(DropReason::FragmentInvalid),
            "a second end that does not agree"
        );
        assert_eq!(
            add(&mut r, t0(), &fragment(4, 0, true, &data[..1001])),
            Err(DropReason::FragmentInvalid),
            "a middle fragment not a multiple of 8"
        );
    }

    #[test]
    fn unfinished_datagrams_expire_and_the_bounds_hold() {
        let now = t0();
        let mut r = Reassembler::default();
        let chunk = [0u8; 8];
        for id in 0..MAX_DATAGRAMS as u16 {
            let host = 10 + (id % 8) as u8;
            add(&mut r, now, &fragment_from(host, id, 0, true, &chunk)).unwrap();
        }
        assert_eq!(
            add(&mut r, now, &fragment_from(99, 9999, 0, true, &chunk)),
            Err(DropReason::FragmentLimit)
        );
        assert_eq!(r.next_deadline(), Some(now + TIMEOUT));
        assert_eq!(r.expire(now + TIMEOUT - Duration::from_millis(1)), 0);
        assert_eq!(r.expire(now + TIMEOUT), MAX_DATAGRAMS);
        assert_eq!(r.held, 0);
        // Bytes: a datagram that would push the total over the budget is refused.
        let big = vec![0u8; 60_000];
        let mut admitted = 0;
        for id in 0..40u16 {
            let host = 10 + (id % 8) as u8;
            if add(&mut r, now, &fragment_from(host, id, 0, true, &big)).is_ok() {
                admitted += 1;
            }
        }
        assert_eq!(admitted, MAX_BYTES / 60_000);
    }

    #[test]
    fn empty_fragments_and_one_source_flooding_are_refused() {
        let now = t0();
        let mut r = Reassembler::default();
        assert_eq!(
            add(&mut r, now, &fragment(1, 8, true, &[])),
            Err(DropReason::FragmentInvalid)
        );
        for id in 0..MAX_PER_SOURCE as u16 {
            add(&mut r, now, &fragment(id, 0, true, &[0; 8])).unwrap();
        }
        assert_eq!(
            add(&mut r, now, &fragment(999, 0, true, &[0; 8])),
            Err(DropReason::FragmentLimit),
            "one host may not take every slot"
        );
        assert_eq!(r.in_progress(), MAX_PER_SOURCE);
    }

    #[test]
    fn a_datagram_that_would_exceed_65535_bytes_is_refused_not_a_panic() {
        let now = t0();
        let mut r = Reassembler::default();
        // A last fragment ending at 65 512 + 3 fits a 20-byte header but not the 60-byte one
        // the first fragment may still bring.
        assert_eq!(
            add(&mut r, now, &fragment(5, 65_512, false, &[0; 3])),
            Err(DropReason::FragmentInvalid)
        );
    }

    #[test]
    fn whole_datagrams_and_ipv6_are_not_fragments() {
        let mut whole = fragment(1, 0, false, &[0; 8]);
        assert!(Fragment::of(&whole).is_none());
        whole[0] = 0x60;
        assert!(Fragment::of(&whole).is_none());
        assert!(Fragment::of(&[0x45, 0, 0]).is_none());
    }
}
