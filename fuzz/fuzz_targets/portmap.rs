//! Fuzz target: NAT-PMP and PCP requests from LAN hosts, through the server's whole decision
//! (parsing, policy, mapping table) against an in-memory table, several requests per input
//! from a few clients so that renewals, deletions and quota limits are reached.
//! Checked: no panic; the table never holds more mappings per client than the policy allows.

#![no_main]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use masq_control::PortMappingSettings;
use masq_services::portmap::policy::Policy;
use masq_services::portmap::server::Server;
use masq_services::portmap::table::{ClientMapping, MapProtocol, MapRefusal, MappingTable};

#[derive(Default)]
struct Table(BTreeMap<(MapProtocol, u16), ClientMapping>);

impl MappingTable for Table {
    fn mappings_of(&self, client: Ipv4Addr) -> Vec<ClientMapping> {
        self.0
            .values()
            .filter(|m| m.client == client)
            .copied()
            .collect()
    }
    fn port_taken(&self, protocol: MapProtocol, port: u16) -> bool {
        self.0.contains_key(&(protocol, port))
    }
    fn open(&mut self, m: &ClientMapping, _: Duration) -> Result<(), MapRefusal> {
        self.0.insert((m.protocol, m.external_port), *m);
        Ok(())
    }
    fn renew(&mut self, m: &ClientMapping, _: Duration) -> Result<(), MapRefusal> {
        self.0.insert((m.protocol, m.external_port), *m);
        Ok(())
    }
    fn close(&mut self, m: &ClientMapping) {
        self.0.remove(&(m.protocol, m.external_port));
    }
}

fuzz_target!(|data: &[u8]| {
    let settings = PortMappingSettings {
        enabled: true,
        max_per_client: 4,
        ..PortMappingSettings::default()
    };
    let lan = "192.168.137.1/24".parse().expect("a valid LAN");
    let start = Instant::now();
    let mut server = Server::new(Policy::new(&settings, lan), start);
    server.set_external_address(Some(Ipv4Addr::new(198, 51, 100, 2)));
    let mut table = Table::default();
    let mut rest = data;
    let mut now = start;
    while let Some((&head, tail)) = rest.split_first() {
        let n = usize::from(head).min(tail.len());
        let (request, tail) = tail.split_at(n);
        rest = tail;
        now += Duration::from_secs(u64::from(head % 16));
        let client = SocketAddrV4::new(Ipv4Addr::new(192, 168, 137, 10 + head % 3), 5350);
        let _ = server.handle(now, client, request, &mut table);
        for c in 10..13 {
            let held = table.mappings_of(Ipv4Addr::new(192, 168, 137, c)).len();
            assert!(
                held <= 4,
                "client .{c} holds {held} mappings, above its quota of 4"
            );
        }
    }
});
