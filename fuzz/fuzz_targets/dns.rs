//! Fuzz target: a DNS query from the LAN, through everything the forwarder does before it
//! asks upstream: the FORMERR path for undecodable bytes, the query checks, the LAN zone's
//! answers (names from DHCP leases, reverse names of the LAN) and the UDP size limit.
//! Checked: no panic, and every answer encodes.

#![no_main]

use hickory_proto::op::Message;
use libfuzzer_sys::fuzz_target;
use masq_control::MacAddr;
use masq_services::dhcp::leases::{Lease, LeaseState};
use masq_services::dns::local::LocalZone;
use masq_services::dns::wire;
use std::net::Ipv4Addr;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = Message::from_vec(data) else {
        let _ = wire::formerr_for_bytes(data);
        return;
    };
    let leases = [
        lease(10, "laptop"),
        lease(11, "wpad"),
        lease(12, "Printer-2"),
    ];
    let lan = "192.168.137.1/24".parse().expect("a valid LAN");
    let Some(zone) = LocalZone::new("lan", lan, &leases, 100) else {
        return;
    };
    let _ = wire::is_plain_query(&query);
    let limit = wire::udp_limit(&query);
    if let Some(answer) = zone.answer(&query) {
        answer.to_vec().expect("a local answer encodes");
        let _ = wire::encode_for_udp(&answer, limit);
    }
});

fn lease(n: u8, name: &str) -> Lease {
    Lease {
        ip: Ipv4Addr::new(192, 168, 137, n),
        mac: MacAddr([2, 0, 0, 0, 0, n]),
        hostname: Some(name.into()),
        state: LeaseState::Bound,
        expires: 1000,
        first_seen: 0,
        last_seen: 0,
    }
}
