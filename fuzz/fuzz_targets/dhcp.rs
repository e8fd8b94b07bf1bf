//! Fuzz target: DHCP from the LAN. Each input is a sequence of datagrams (two-byte length
//! each) decoded as DHCPv4 and handed to the server's protocol logic against one lease table,
//! so later messages meet the state earlier ones made (offers, leases, declines, releases).
//! Checked: no panic, and every answer encodes.

#![no_main]

use dhcproto::v4::Encodable;
use libfuzzer_sys::fuzz_target;
use masq_services::dhcp::decode;
use masq_services::dhcp::leases::LeaseTable;
use masq_services::dhcp::pool::Pool;
use masq_services::dhcp::protocol::{Outcome, handle};
use masq_services::dhcp::reply::ServerIdentity;
use std::net::Ipv4Addr;

fuzz_target!(init: {
    // libFuzzer's hook aborts at any panic, before `catch_unwind` in `decode::message` can
    // catch one inside dhcproto. Print instead: a panic in masq's own code still ends in
    // libfuzzer-sys's catch_unwind, which reports it as a crash.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
}, |data: &[u8]| {
    let lan = "192.168.137.1/28".parse().expect("a valid LAN");
    let Ok(pool) = Pool::new(lan, None, None) else {
        return;
    };
    let mut table = LeaseTable::new(pool, 3600, &[]);
    let id = ServerIdentity {
        address: Ipv4Addr::new(192, 168, 137, 1),
        netmask: Ipv4Addr::new(255, 255, 255, 240),
        broadcast: Ipv4Addr::new(192, 168, 137, 15),
        domain: Some("lan".into()),
        dns: true,
    };
    let mut rest = data;
    let mut now = 0u64;
    while rest.len() >= 2 {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (datagram, tail) = rest[2..].split_at(n);
        rest = tail;
        now += 7;
        // As the server decodes it: dhcproto's own panics on hostile lengths are caught
        // there (`decode.rs`), so they must not abort this run either.
        let Ok(msg) = decode::message(datagram) else {
            continue;
        };
        if let Outcome::Reply { message, .. } = handle(&msg, &mut table, &id, now) {
            message.to_vec().expect("an answer the server built encodes");
        }
    }
});
