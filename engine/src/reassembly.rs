//! Datagrams from the LAN that arrive in fragments (IPv4, and IPv6 with a Fragment header),
//! put back together.
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
//! IPv6 (RFC 8200 section 4.5) is reassembled when the Fragment header follows the fixed
//! header directly, which is how hosts fragment their own UDP; the rare fragment behind other
//! extension headers (hop-by-hop, routing) is left to the parser, which drops it as
//! [`DropReason::Fragment`]. The whole datagram keeps the first fragment's fixed header and
//! its Fragment header made atomic (offset 0, no more to come; RFC 6946): the parser reads
//! past it, and it tells the relay that the host let this datagram be fragmented, so the
//! uplink socket may fragment it again (a whole IPv6 datagram is sent with "don't fragment",
//! as a router must not fragment it). Atomic fragments from hosts are not held either.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
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
/// Longest IPv6 payload (the payload length field; no jumbograms); after reassembly it holds
/// the atomic Fragment header and the fragmentable part.
const MAX_V6_PAYLOAD: usize = 65_535;
/// The IPv6 fixed header.
const V6_HEADER: usize = 40;
/// The IPv6 Fragment extension header.
const V6_FRAGMENT_HEADER: usize = 8;
/// Next Header value of the IPv6 Fragment header.
const V6_NEXT_FRAGMENT: u8 = 44;
/// Longest IPv4 header (options included): the first fragment's header, unknown until it
/// arrives, may be this long.
const MAX_HEADER: usize = 60;
/// Fragments one datagram may arrive in: 64 KiB in 576-byte fragments is 117; more is an
/// attack on the overlap check's cost.
const MAX_FRAGMENTS: usize = 128;
/// Datagrams one source may have in progress, so one host cannot take every slot.
const MAX_PER_SOURCE: usize = 16;

/// What identifies the fragments of one datagram: source, destination, protocol and
/// identification for IPv4 (RFC 791); source, destination and identification for IPv6
/// (RFC 8200), whose protocol is 0 here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
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
    /// The fragment's IP header: IPv4 with its options; IPv6 the fixed header and the
    /// Fragment header.
    pub(crate) header: &'a [u8],
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    /// The transport protocol (IPv6: the Fragment header's Next Header).
    pub(crate) protocol: u8,
    pub(crate) id: u32,
    /// Where the payload goes, in bytes.
    pub(crate) offset: usize,
    /// More fragments follow (MF).
    pub(crate) more: bool,
    pub(crate) payload: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// The fragment in `raw`, or `None` when `raw` is not a fragment this module takes (a
    /// whole datagram, an atomic or otherwise placed IPv6 fragment, or too short to tell: the
    /// parser then decides).
    pub(crate) fn of(raw: &'a [u8]) -> Option<Fragment<'a>> {
        match raw.first().map(|b| b >> 4) {
            Some(4) => Self::of_v4(raw),
            Some(6) => Self::of_v6(raw),
            _ => None,
        }
    }

    fn of_v4(raw: &'a [u8]) -> Option<Fragment<'a>> {
        if raw.len() < 20 {
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
            src: IpAddr::V4(Ipv4Addr::new(raw[12], raw[13], raw[14], raw[15])),
            dst: IpAddr::V4(Ipv4Addr::new(raw[16], raw[17], raw[18], raw[19])),
            protocol: raw[9],
            id: u32::from(u16::from_be_bytes([raw[4], raw[5]])),
            offset,
            more,
            payload: &raw[header_len..total],
        })
    }

    /// An IPv6 packet whose fixed header is followed by a Fragment header (RFC 8200 4.5).
    fn of_v6(raw: &'a [u8]) -> Option<Fragment<'a>> {
        let start = V6_HEADER + V6_FRAGMENT_HEADER;
        if raw.len() < start || raw[6] != V6_NEXT_FRAGMENT {
            return None;
        }
        let payload_len = usize::from(u16::from_be_bytes([raw[4], raw[5]]));
        let end = V6_HEADER + payload_len;
        if payload_len < V6_FRAGMENT_HEADER || end > raw.len() {
            return None;
        }
        let frag = &raw[V6_HEADER..start];
        let field = u16::from_be_bytes([frag[2], frag[3]]);
        let offset = usize::from(field >> 3) * 8;
        let more = field & 1 != 0;
        if !more && offset == 0 {
            return None;
        }
        let addr = |at: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&raw[at..at + 16]);
            IpAddr::V6(Ipv6Addr::from(b))
        };
        Some(Fragment {
            header: &raw[..start],
            src: addr(8),
            dst: addr(24),
            protocol: frag[0],
            id: u32::from_be_bytes([frag[4], frag[5], frag[6], frag[7]]),
            offset,
            more,
            payload: &raw[start..end],
        })
    }

    /// Whether its header checksum holds (IPv6 has none).
    pub(crate) fn header_checksum_ok(&self) -> bool {
        self.src.is_ipv6() || checksum::fold(checksum::sum(self.header)) == 0
    }

    /// The fragment's key: the transport protocol is part of it for IPv4 only.
    fn key(&self) -> Key {
        Key {
            src: self.src,
            dst: self.dst,
            protocol: if self.src.is_ipv4() { self.protocol } else { 0 },
            id: self.id,
        }
    }

    /// Where the payload of a whole datagram must end at the latest: IPv4's 65 535 bytes
    /// include the first fragment's header (up to 60 bytes until it arrives); IPv6's payload
    /// length counts the payload alone.
    fn max_end(&self) -> usize {
        if self.src.is_ipv6() {
            MAX_V6_PAYLOAD - V6_FRAGMENT_HEADER
        } else if self.offset == 0 {
            MAX_DATAGRAM - self.header.len()
        } else {
            MAX_DATAGRAM - MAX_HEADER
        }
    }

    /// The header the whole datagram starts with, as kept from the first fragment: IPv4's
    /// as it came (fixed up when complete); IPv6's fixed header and its Fragment header made
    /// atomic.
    fn first_header(&self) -> Vec<u8> {
        let mut h = self.header.to_vec();
        if self.src.is_ipv6() {
            h[V6_HEADER + 2] = 0;
            h[V6_HEADER + 3] = 0;
        }
        h
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
        let key = f.key();
        let start = f.offset;
        let end = start + f.payload.len();
        // The whole datagram must fit its length field with any first header; an empty
        // fragment adds nothing but work (and would never count against the byte budget).
        if end > f.max_end() || f.payload.is_empty() || (f.more && f.payload.len() % 8 != 0) {
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
            p.header = Some(f.first_header());
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

/// The first fragment's header, made a whole datagram's, followed by the payload; `None` when
/// it would not fit the length field. IPv4: no MF, offset 0, the full length, a new checksum
/// (DF kept). IPv6: the payload length (atomic Fragment header and data).
fn whole_packet(p: &Partial) -> Option<Vec<u8>> {
    let header = p.header.as_deref()?;
    if header.first().map(|b| b >> 4) == Some(6) {
        let len = u16::try_from(V6_FRAGMENT_HEADER + p.data.len()).ok()?;
        let mut packet = Vec::with_capacity(header.len() + p.data.len());
        packet.extend_from_slice(header);
        packet.extend_from_slice(&p.data);
        packet[4..6].copy_from_slice(&len.to_be_bytes());
        return Some(packet);
    }
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

    /// An IPv6 fragment (Fragment header right after the fixed header) of a UDP datagram
    /// `payload` from fd00:6d71::10 to a remote.
    fn fragment6(id: u32, offset: usize, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; V6_HEADER + V6_FRAGMENT_HEADER];
        p[0] = 0x60;
        let len = u16::try_from(V6_FRAGMENT_HEADER + payload.len()).unwrap();
        p[4..6].copy_from_slice(&len.to_be_bytes());
        p[6] = V6_NEXT_FRAGMENT;
        p[7] = 64;
        p[8..24].copy_from_slice(&"fd00:6d71::10".parse::<Ipv6Addr>().unwrap().octets());
        p[24..40].copy_from_slice(&"2001:db8::10".parse::<Ipv6Addr>().unwrap().octets());
        p[40] = 17;
        let field = u16::try_from(offset / 8).unwrap() << 3 | u16::from(more);
        p[42..44].copy_from_slice(&field.to_be_bytes());
        p[44..48].copy_from_slice(&id.to_be_bytes());
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

    #[test]
    fn ipv6_fragments_in_any_order_make_the_datagram_with_the_fragment_header_gone() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
        let parts = [
            fragment6(0xdead_beef, 2896, false, &data[2896..]),
            fragment6(0xdead_beef, 0, true, &data[..1448]),
            fragment6(0xdead_beef, 1448, true, &data[1448..2896]),
        ];
        let mut r = Reassembler::default();
        assert_eq!(add(&mut r, t0(), &parts[0]), Ok(None));
        assert_eq!(add(&mut r, t0(), &parts[1]), Ok(None));
        let whole = add(&mut r, t0(), &parts[2]).unwrap().expect("complete");
        let start = V6_HEADER + V6_FRAGMENT_HEADER;
        assert_eq!(whole.len(), start + 3000);
        assert_eq!(&whole[..4], &parts[1][..4], "version, class and flow label");
        assert_eq!(u16::from_be_bytes([whole[4], whole[5]]), 3008);
        assert_eq!(
            &whole[6..40],
            &parts[1][6..40],
            "next header 44, hops, addresses"
        );
        assert_eq!(whole[40], 17, "the transport protocol");
        assert_eq!(&whole[42..44], &[0, 0], "atomic: offset 0, no more");
        assert_eq!(&whole[44..48], &0xdead_beef_u32.to_be_bytes());
        assert_eq!(&whole[start..], &data[..]);
        assert!(
            Fragment::of(&whole).is_none(),
            "an atomic fragment is not held again"
        );
        assert_eq!((r.in_progress(), r.held), (0, 0));
    }

    #[test]
    fn ipv6_fragments_obey_the_same_rules() {
        let data = [3u8; 2000];
        let mut r = Reassembler::default();
        add(&mut r, t0(), &fragment6(1, 0, true, &data[..1000])).unwrap();
        assert_eq!(
            add(&mut r, t0(), &fragment6(1, 992, false, &data[992..])),
            Err(DropReason::FragmentInvalid),
            "overlap (RFC 5722)"
        );
        assert_eq!(
            add(&mut r, t0(), &fragment6(2, 65_520, false, &[0; 16])),
            Err(DropReason::FragmentInvalid),
            "past the 65 535-byte payload length"
        );
        // The same id from IPv4 and IPv6 are different datagrams.
        add(&mut r, t0(), &fragment6(9, 0, true, &[1; 8])).unwrap();
        add(&mut r, t0(), &fragment(9, 0, true, &[2; 8])).unwrap();
        assert_eq!(r.in_progress(), 2);
        assert_eq!(r.expire(t0() + TIMEOUT), 2);
    }

    #[test]
    fn atomic_and_otherwise_placed_ipv6_fragments_are_left_to_the_parser() {
        assert!(
            Fragment::of(&fragment6(1, 0, false, &[0; 8])).is_none(),
            "atomic"
        );
        let mut behind_hop_by_hop = fragment6(1, 0, true, &[0; 8]);
        behind_hop_by_hop[6] = 0;
        assert!(Fragment::of(&behind_hop_by_hop).is_none());
        let mut short = fragment6(1, 8, true, &[0; 8]);
        short.truncate(V6_HEADER + 4);
        assert!(Fragment::of(&short).is_none());
        let mut lying = fragment6(1, 8, true, &[0; 8]);
        lying[4..6].copy_from_slice(&4000u16.to_be_bytes());
        assert!(
            Fragment::of(&lying).is_none(),
            "payload length past the packet"
        );
    }
}
