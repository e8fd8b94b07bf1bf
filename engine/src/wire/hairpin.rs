//! LAN packets addressed to the gateway's own public address, made ordinary again.
//!
//! For hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8) the shell steers a LAN host's packets for
//! the gateway's public address into the adapter; since the host's kernel would deliver such
//! packets locally, the steering rewrites their destination to an alias address on the way
//! (on Linux, masq's nftables table). Here the alias becomes the public address again, so the
//! engine relays the packet like any other: its socket connects or sends to the public
//! address, where the host's kernel delivers it to masq's own socket of that port (a forward's
//! listener, or another host's mapping), which is hairpinning with RFC 4787's source rule:
//! the target sees the sender's public mapping. Replies carry the public address as source,
//! as the hidden host expects.

use std::net::Ipv4Addr;

use super::checksum;

/// `packet` with its IPv4 destination `alias` replaced by `public`, or `None` when it is not
/// addressed to `alias`. The IP header checksum is recomputed; the TCP or UDP checksum is
/// updated for the new pseudo header unless `l4_unchecked` (the OS vouched for it, and a
/// partial offload checksum must not be touched).
pub(crate) fn restore_destination(
    packet: &[u8],
    alias: Ipv4Addr,
    public: Ipv4Addr,
    l4_unchecked: bool,
) -> Option<Vec<u8>> {
    if packet.len() < 20 || packet[0] >> 4 != 4 || packet[16..20] != alias.octets() {
        return None;
    }
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    if header_len < 20 || packet.len() < header_len {
        return None;
    }
    let mut out = packet.to_vec();
    out[16..20].copy_from_slice(&public.octets());
    out[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum::fold(checksum::sum(&out[..header_len]));
    out[10..12].copy_from_slice(&sum.to_be_bytes());
    let first_fragment = out[6] & 0x1f == 0 && out[7] == 0;
    if l4_unchecked || !first_fragment {
        return Some(out);
    }
    let at = match out[9] {
        6 => header_len + 16,
        17 => header_len + 6,
        _ => return Some(out),
    };
    let Some(field) = out.get(at..at + 2) else {
        return Some(out);
    };
    let old_sum = u16::from_be_bytes([field[0], field[1]]);
    if out[9] == 17 && old_sum == 0 {
        return Some(out); // UDP without a checksum stays without one.
    }
    let mut sum = old_sum;
    for (old, new) in words(alias).into_iter().zip(words(public)) {
        sum = replace_word(sum, old, new);
    }
    if out[9] == 17 && sum == 0 {
        sum = 0xffff;
    }
    out[at..at + 2].copy_from_slice(&sum.to_be_bytes());
    Some(out)
}

fn words(a: Ipv4Addr) -> [u16; 2] {
    let o = a.octets();
    [
        u16::from_be_bytes([o[0], o[1]]),
        u16::from_be_bytes([o[2], o[3]]),
    ]
}

/// RFC 1624 eqn. 3: the checksum after one 16-bit word of the summed data changed.
fn replace_word(checksum: u16, old: u16, new: u16) -> u16 {
    let mut sum = u32::from(!checksum) + u32::from(!old) + u32::from(new);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use etherparse::PacketBuilder;

    use super::*;
    use crate::wire::parse;

    const ALIAS: Ipv4Addr = Ipv4Addr::new(192, 0, 0, 8);
    const PUBLIC: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

    fn build(dst: Ipv4Addr, tcp: bool) -> Vec<u8> {
        let b = PacketBuilder::ipv4([192, 168, 137, 10], dst.octets(), 64);
        let mut out = Vec::new();
        if tcp {
            b.tcp(40000, 8080, 1, 65535)
                .syn()
                .write(&mut out, b"hello")
                .unwrap();
        } else {
            b.udp(40000, 3478).write(&mut out, b"hello").unwrap();
        }
        out
    }

    #[test]
    fn the_alias_becomes_the_public_address_with_valid_checksums() {
        for tcp in [true, false] {
            let restored = restore_destination(&build(ALIAS, tcp), ALIAS, PUBLIC, false)
                .expect("addressed to the alias");
            assert_eq!(restored, build(PUBLIC, tcp), "tcp={tcp}");
            let p = parse(&restored).expect("checksums verify");
            assert_eq!(p.dst, std::net::IpAddr::V4(PUBLIC));
        }
    }

    #[test]
    fn other_packets_are_left_alone() {
        assert!(restore_destination(&build(PUBLIC, true), ALIAS, PUBLIC, false).is_none());
        assert!(restore_destination(&[0x45, 0], ALIAS, PUBLIC, false).is_none());
    }
}
