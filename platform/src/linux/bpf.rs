//! The classic BPF program that keeps the inbound observer's packet socket quiet: only IPv4
//! packets to the uplink's address that are a TCP SYN (without ACK) or a UDP datagram are
//! copied to user space, truncated to their headers.
//!
//! The socket is `SOCK_DGRAM` ("cooked"), so offset 0 is the first byte of the IP header and
//! no link-layer header needs skipping. A load beyond the end of the packet makes classic BPF
//! return 0 (drop), so short packets are dropped by construction.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// Bytes copied per accepted packet: the longest IPv4 header (60) plus the TCP header up to
/// and including the flags byte (14), rounded up; the parser needs nothing beyond that.
pub(crate) const SNAPLEN: u32 = 96;

/// One classic BPF instruction (`struct sock_filter`), kept readable for the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Insn {
    pub(crate) code: u16,
    pub(crate) jt: u8,
    pub(crate) jf: u8,
    pub(crate) k: u32,
}

// Opcode parts from <linux/bpf_common.h>.
pub(crate) const LD: u16 = 0x00;
pub(crate) const LDX: u16 = 0x01;
pub(crate) const ALU: u16 = 0x04;
pub(crate) const JMP: u16 = 0x05;
pub(crate) const RET: u16 = 0x06;
pub(crate) const W: u16 = 0x00;
pub(crate) const H: u16 = 0x08;
pub(crate) const B: u16 = 0x10;
pub(crate) const ABS: u16 = 0x20;
pub(crate) const IND: u16 = 0x40;
pub(crate) const MSH: u16 = 0xa0;
pub(crate) const AND: u16 = 0x50;
pub(crate) const JEQ: u16 = 0x10;
pub(crate) const JSET: u16 = 0x40;
pub(crate) const K: u16 = 0x00;

const fn stmt(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
    Insn { code, jt, jf, k }
}

/// The filter for an uplink with IPv4 address `uplink`, also accepting packets addressed to
/// the hidden LAN `hidden` (someone on the uplink side trying to reach a hidden host directly).
/// Jump offsets count instructions skipped after the jump; `ACCEPT` is instruction 16 and
/// `DROP` is 17.
pub(crate) fn inbound_filter(uplink: Ipv4Addr, hidden: Ipv4Net) -> [Insn; 18] {
    let mask = u32::from(hidden.netmask());
    let net = u32::from(hidden.network());
    [
        /* 0 */ stmt(LD | B | ABS, 0), //                   A = version/IHL byte
        /* 1 */ stmt(ALU | AND | K, 0xf0), //               A = version << 4
        /* 2 */ jump(JMP | JEQ | K, 0x40, 0, 14), //        IPv4? else DROP
        /* 3 */ stmt(LD | W | ABS, 16), //                  A = destination address
        /* 4 */
        jump(JMP | JEQ | K, u32::from(uplink), 2, 0), // to the uplink? go to 7
        /* 5 */ stmt(ALU | AND | K, mask), //               A = destination network
        /* 6 */ jump(JMP | JEQ | K, net, 0, 10), //         to the hidden LAN? else DROP
        /* 7 */ stmt(LD | H | ABS, 6), //                   A = flags + fragment offset
        /* 8 */
        jump(JMP | JSET | K, 0x1fff, 8, 0), //      later fragment (no ports)? DROP
        /* 9 */ stmt(LD | B | ABS, 9), //                   A = protocol
        /* 10 */ jump(JMP | JEQ | K, 17, 5, 0), //          UDP? ACCEPT
        /* 11 */ jump(JMP | JEQ | K, 6, 0, 5), //           TCP? else DROP
        /* 12 */
        stmt(LDX | B | MSH, 0), //                 X = IP header length (4 * IHL)
        /* 13 */ stmt(LD | B | IND, 13), //                 A = TCP flags byte
        /* 14 */ stmt(ALU | AND | K, 0x12), //              A = SYN | ACK bits
        /* 15 */
        jump(JMP | JEQ | K, 0x02, 0, 1), //        SYN without ACK? ACCEPT else DROP
        /* 16 */ stmt(RET | K, SNAPLEN), //                 ACCEPT: copy the headers
        /* 17 */ stmt(RET | K, 0), //                       DROP
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A classic BPF interpreter for the opcodes the filter uses, with the kernel's rule that
    /// an out-of-bounds load drops the packet.
    fn run(program: &[Insn], packet: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let load = |offset: usize, size: usize| -> Option<u32> {
            let bytes = packet.get(offset..offset.checked_add(size)?)?;
            Some(bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
        };
        loop {
            let insn = program[pc];
            pc += 1;
            let size = match insn.code & 0x18 {
                W => 4,
                H => 2,
                _ => 1,
            };
            match insn.code {
                c if c == LD | W | ABS || c == LD | H | ABS || c == LD | B | ABS => {
                    match load(insn.k as usize, size) {
                        Some(v) => a = v,
                        None => return 0,
                    }
                }
                c if c == LD | B | IND => match load(x as usize + insn.k as usize, 1) {
                    Some(v) => a = v,
                    None => return 0,
                },
                c if c == LDX | B | MSH => match load(insn.k as usize, 1) {
                    Some(v) => x = 4 * (v & 0x0f),
                    None => return 0,
                },
                c if c == ALU | AND | K => a &= insn.k,
                c if c == JMP | JEQ | K => {
                    pc += usize::from(if a == insn.k { insn.jt } else { insn.jf })
                }
                c if c == JMP | JSET | K => {
                    pc += usize::from(if a & insn.k != 0 { insn.jt } else { insn.jf })
                }
                c if c == RET | K => return insn.k,
                other => panic!("opcode {other:#x} not modelled"),
            }
        }
    }

    const UPLINK: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
    const HIDDEN: Ipv4Net = match Ipv4Net::new(Ipv4Addr::new(192, 168, 137, 0), 24) {
        Ok(n) => n,
        Err(_) => panic!("valid prefix"),
    };

    #[test]
    fn accepts_attempts_on_hidden_hosts_only_inside_the_lan() {
        let filter = inbound_filter(UPLINK, HIDDEN);
        let syn = |dst| packet(6, dst, 5, 0x02);
        assert_eq!(
            run(&filter, &syn(Ipv4Addr::new(192, 168, 137, 10))),
            SNAPLEN
        );
        assert_eq!(
            run(&filter, &packet(17, Ipv4Addr::new(192, 168, 137, 99), 5, 0)),
            SNAPLEN
        );
        assert_eq!(run(&filter, &syn(Ipv4Addr::new(192, 168, 138, 10))), 0);
        assert_eq!(run(&filter, &syn(UPLINK)), SNAPLEN);
    }

    fn packet(protocol: u8, dst: Ipv4Addr, ihl_words: u8, tcp_flags: u8) -> Vec<u8> {
        let header_len = usize::from(ihl_words) * 4;
        let mut p = vec![0u8; header_len + 20];
        p[0] = 0x40 | ihl_words;
        p[9] = protocol;
        p[12..16].copy_from_slice(&[203, 0, 113, 7]);
        p[16..20].copy_from_slice(&dst.octets());
        p[header_len..header_len + 4].copy_from_slice(&[0x9c, 0x40, 0x00, 0x16]);
        p[header_len + 13] = tcp_flags;
        p
    }

    #[test]
    fn accepts_syn_and_udp_to_the_uplink() {
        let filter = inbound_filter(UPLINK, HIDDEN);
        assert_eq!(run(&filter, &packet(6, UPLINK, 5, 0x02)), SNAPLEN);
        assert_eq!(
            run(&filter, &packet(6, UPLINK, 15, 0x02)),
            SNAPLEN,
            "longest IP header"
        );
        assert_eq!(
            run(&filter, &packet(6, UPLINK, 5, 0x02 | 0x08)),
            SNAPLEN,
            "SYN with PSH"
        );
        assert_eq!(run(&filter, &packet(17, UPLINK, 5, 0)), SNAPLEN);
    }

    #[test]
    fn drops_everything_else() {
        let filter = inbound_filter(UPLINK, HIDDEN);
        assert_eq!(run(&filter, &packet(6, UPLINK, 5, 0x12)), 0, "SYN-ACK");
        assert_eq!(run(&filter, &packet(6, UPLINK, 5, 0x10)), 0, "ACK");
        assert_eq!(
            run(&filter, &packet(6, UPLINK, 6, 0x11)),
            0,
            "FIN-ACK after options"
        );
        assert_eq!(run(&filter, &packet(1, UPLINK, 5, 0)), 0, "ICMP");
        assert_eq!(
            run(&filter, &packet(6, Ipv4Addr::new(192, 0, 2, 11), 5, 0x02)),
            0,
            "other address"
        );
        assert_eq!(
            run(&filter, &packet(17, Ipv4Addr::BROADCAST, 5, 0)),
            0,
            "broadcast"
        );

        let mut fragment = packet(17, UPLINK, 5, 0);
        fragment[7] = 0x01;
        assert_eq!(run(&filter, &fragment), 0, "later fragment");
        let mut first_fragment = packet(6, UPLINK, 5, 0x02);
        first_fragment[6] = 0x20;
        assert_eq!(
            run(&filter, &first_fragment),
            SNAPLEN,
            "first fragment has the ports"
        );

        let mut v6 = packet(6, UPLINK, 5, 0x02);
        v6[0] = 0x65;
        assert_eq!(run(&filter, &v6), 0, "not IPv4");
    }

    #[test]
    fn truncated_tcp_header_is_dropped() {
        let filter = inbound_filter(UPLINK, HIDDEN);
        let full = packet(6, UPLINK, 5, 0x02);
        assert_eq!(run(&filter, &full[..33]), 0);
        assert_eq!(run(&filter, &full[..34]), SNAPLEN);
        assert_eq!(run(&filter, &full[..10]), 0);
    }

    #[test]
    fn jumps_land_on_accept_or_drop() {
        let filter = inbound_filter(UPLINK, HIDDEN);
        for (pc, insn) in filter.iter().enumerate() {
            if insn.code & 0x07 == JMP {
                for offset in [insn.jt, insn.jf] {
                    assert!(
                        pc + 1 + usize::from(offset) < filter.len(),
                        "jump out of program at {pc}"
                    );
                }
            }
        }
        assert_eq!(filter[16], stmt(RET | K, SNAPLEN));
        assert_eq!(filter[17], stmt(RET | K, 0));
    }
}
