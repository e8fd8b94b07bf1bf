//! The 4-byte address-family header a utun puts before every packet.
//!
//! A utun is a `PF_SYSTEM` datagram socket; each datagram is `[family: u32 big-endian][IP
//! packet]`, where family is Darwin's `AF_INET` (2) or `AF_INET6` (30). Reading strips it,
//! writing adds it, and the family written must match the packet's IP version or the kernel
//! hands it to the wrong protocol. The numbers are Darwin's, spelled out here because this
//! file is also compiled and tested on Linux, where `libc::AF_INET6` is 10.

/// Length of the header.
pub(crate) const LEN: usize = 4;

/// Darwin's `AF_INET`.
const AF_INET: u32 = 2;
/// Darwin's `AF_INET6`.
const AF_INET6: u32 = 30;

/// The header for `packet`, chosen from its IP version nibble; `None` for anything that is
/// neither IPv4 nor IPv6 (masq never writes such a packet, so it is refused, not guessed).
pub(crate) fn for_packet(packet: &[u8]) -> Option<[u8; LEN]> {
    let family = match packet.first()? >> 4 {
        4 => AF_INET,
        6 => AF_INET6,
        _ => return None,
    };
    Some(family.to_be_bytes())
}

/// Whether a received header announces a packet masq handles (IPv4 or IPv6); other families
/// (none are expected on a utun) are dropped by the reader.
pub(crate) fn is_ip(header: [u8; LEN]) -> bool {
    matches!(u32::from_be_bytes(header), AF_INET | AF_INET6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_follows_the_ip_version() {
        let v4 = [0x45, 0, 0, 20];
        let v6 = [0x60, 0, 0, 0];
        assert_eq!(for_packet(&v4), Some([0, 0, 0, 2]));
        assert_eq!(for_packet(&v6), Some([0, 0, 0, 30]));
        assert_eq!(for_packet(&[0x50]), None);
        assert_eq!(for_packet(&[]), None);
    }

    #[test]
    fn only_ip_families_are_accepted() {
        assert!(is_ip([0, 0, 0, 2]));
        assert!(is_ip([0, 0, 0, 30]));
        assert!(!is_ip([0, 0, 0, 10]), "Linux's AF_INET6 is not Darwin's");
        assert!(!is_ip([2, 0, 0, 0]), "the header is big-endian");
    }
}
