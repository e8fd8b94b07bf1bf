//! The DHCPv4 server's decisions: one client message in, at most one answer out, as a
//! function of (message, lease table, now). RFC 2131 §4.3 is the reference throughout.
//!
//! * DISCOVER → OFFER of the address [`LeaseTable::offer`] picks (silence when exhausted).
//! * REQUEST in SELECTING state (server identifier present): ours → ACK/NAK; another
//!   server's → the client chose it: our offer is withdrawn, no answer.
//! * REQUEST in INIT-REBOOT (requested address, no ciaddr): ACK if the address can be the
//!   client's, NAK if it is on another network or taken — masq is the authoritative server
//!   of its LAN, so stale addresses from other networks are refused at once.
//! * REQUEST in RENEWING/REBINDING (ciaddr set): ACK, or NAK if the address is not its.
//! * DECLINE → the address is held back; RELEASE → freed; INFORM → ACK with configuration
//!   but no lease. Neither DECLINE nor RELEASE is answered.
//!
//! Where answers go (§4.1): to ciaddr when the client has one (renewals, INFORM), else by
//! broadcast — the client has no address to unicast to, and the RFC allows broadcast when the
//! server does not add ARP entries by hand. NAKs are always broadcast. Relayed messages
//! (giaddr set) are not served: masq only serves its directly attached LAN.

use std::net::Ipv4Addr;

use dhcproto::v4::{DhcpOption, Message, MessageType, Opcode, OptionCode};
use masq_control::MacAddr;

use super::leases::LeaseTable;
use super::reply::{self, ServerIdentity};

/// Chaddr of the conflict probe (a locally administered address spelling "mq"): the server
/// ignores it, so only other servers answer the probe.
pub const PROBE_MAC: MacAddr = MacAddr([0x02, 0x6d, 0x71, 0x00, 0x00, 0x01]);

/// What to do after one client message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Send `message` to `to`.
    Reply {
        /// The answer.
        message: Box<Message>,
        /// Where it goes.
        to: Destination,
    },
    /// Nothing to send; the lease table may have changed.
    Silent(Silence),
}

/// Where an answer is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// 255.255.255.255:68 on the LAN interface.
    Broadcast,
    /// The client's own address, port 68.
    Unicast(Ipv4Addr),
}

/// Why no answer was sent (for the debug log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {
    /// Not a client message this server answers (BOOTREPLY, unknown type, relayed, probe).
    NotForUs,
    /// No hardware address of six bytes.
    NoMac,
    /// The pool has no address for a DISCOVER.
    Exhausted,
    /// The client chose another server's offer.
    OtherServerChosen,
    /// DECLINE handled.
    Declined,
    /// RELEASE handled.
    Released,
    /// A REQUEST that names no address.
    Malformed,
}

/// Handles one message from the LAN at Unix time `now`.
pub fn handle(msg: &Message, table: &mut LeaseTable, id: &ServerIdentity, now: u64) -> Outcome {
    if msg.opcode() != Opcode::BootRequest || !msg.giaddr().is_unspecified() {
        return Outcome::Silent(Silence::NotForUs);
    }
    // The length first: dhcproto's `chaddr()` slices the 16-byte field by `hlen` and panics
    // on a larger one (found by fuzz/fuzz_targets/dhcp.rs: any LAN host could stop DHCP).
    if msg.hlen() != 6 {
        return Outcome::Silent(Silence::NoMac);
    }
    let Some(mac) = MacAddr::from_slice(msg.chaddr()) else {
        return Outcome::Silent(Silence::NoMac);
    };
    if mac == PROBE_MAC {
        return Outcome::Silent(Silence::NotForUs);
    }
    let hostname = hostname(msg);
    let requested = match msg.opts().get(OptionCode::RequestedIpAddress) {
        Some(DhcpOption::RequestedIpAddress(ip)) => Some(*ip),
        _ => None,
    };
    let server_id = match msg.opts().get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(ip)) => Some(*ip),
        _ => None,
    };
    let lease_secs = u32::try_from(table.lease_secs()).unwrap_or(u32::MAX);
    match msg.opts().msg_type() {
        Some(MessageType::Discover) => match table.offer(mac, requested, hostname, now) {
            Ok(ip) => {
                let mut m = reply::answer(msg, MessageType::Offer, id);
                m.set_yiaddr(ip);
                reply::add_config(&mut m, id);
                reply::add_lease_times(&mut m, lease_secs);
                Outcome::Reply {
                    message: Box::new(m),
                    to: Destination::Broadcast,
                }
            }
            Err(_) => Outcome::Silent(Silence::Exhausted),
        },
        Some(MessageType::Request) => {
            if let Some(sid) = server_id {
                if sid != id.address {
                    if let Some(l) = table.lease_of(mac) {
                        let ip = l.ip;
                        if !l.is_active(now) {
                            table.release(mac, ip, now);
                            table.expire(now);
                        }
                    }
                    return Outcome::Silent(Silence::OtherServerChosen);
                }
            }
            let ciaddr = msg.ciaddr();
            let Some(ip) = requested.or((!ciaddr.is_unspecified()).then_some(ciaddr)) else {
                return Outcome::Silent(Silence::Malformed);
            };
            let to = if ciaddr.is_unspecified() {
                Destination::Broadcast
            } else {
                Destination::Unicast(ciaddr)
            };
            match table.commit(mac, ip, hostname, now) {
                Ok(lease) => {
                    let mut m = reply::answer(msg, MessageType::Ack, id);
                    m.set_yiaddr(lease.ip).set_ciaddr(ciaddr);
                    reply::add_config(&mut m, id);
                    reply::add_lease_times(&mut m, lease_secs);
                    Outcome::Reply {
                        message: Box::new(m),
                        to,
                    }
                }
                Err(refusal) => {
                    let mut m = reply::answer(msg, MessageType::Nak, id);
                    m.opts_mut()
                        .insert(DhcpOption::Message(refusal.to_string()));
                    Outcome::Reply {
                        message: Box::new(m),
                        to: Destination::Broadcast,
                    }
                }
            }
        }
        Some(MessageType::Decline) => {
            if server_id == Some(id.address) {
                if let Some(ip) = requested {
                    table.decline(mac, ip, now);
                }
            }
            Outcome::Silent(Silence::Declined)
        }
        Some(MessageType::Release) => {
            table.release(mac, msg.ciaddr(), now);
            Outcome::Silent(Silence::Released)
        }
        Some(MessageType::Inform) => {
            table.touch(mac, now);
            let ciaddr = msg.ciaddr();
            let mut m = reply::answer(msg, MessageType::Ack, id);
            m.set_ciaddr(ciaddr);
            reply::add_config(&mut m, id);
            let to = if ciaddr.is_unspecified() {
                Destination::Broadcast
            } else {
                Destination::Unicast(ciaddr)
            };
            Outcome::Reply {
                message: Box::new(m),
                to,
            }
        }
        _ => Outcome::Silent(Silence::NotForUs),
    }
}

/// Option 12, if it is a usable DNS label (anything else is not recorded).
fn hostname(msg: &Message) -> Option<String> {
    match msg.opts().get(OptionCode::Hostname) {
        Some(DhcpOption::Hostname(name)) => {
            let name = name.trim_end_matches('\0').to_ascii_lowercase();
            masq_control::is_dns_label(&name).then_some(name)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use dhcproto::v4::{Decodable, Encodable, Flags};

    use super::super::leases::{DECLINE_HOLD_SECS, LeaseState};
    use super::super::pool::Pool;
    use super::*;

    const GW: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 1);

    fn id() -> ServerIdentity {
        ServerIdentity {
            address: GW,
            netmask: Ipv4Addr::new(255, 255, 255, 0),
            broadcast: Ipv4Addr::new(192, 168, 137, 255),
            domain: Some("lan".into()),
            dns: true,
        }
    }

    fn table() -> LeaseTable {
        let pool = Pool::new("192.168.137.1/24".parse().unwrap(), None, None).unwrap();
        LeaseTable::new(pool, 3600, &[])
    }

    fn mac(n: u8) -> [u8; 6] {
        [2, 0, 0, 0, 0, n]
    }

    fn client(kind: MessageType, n: u8) -> Message {
        let mut m = Message::new_with_id(
            0x1000 + u32::from(n),
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            &mac(n),
        );
        m.opts_mut().insert(DhcpOption::MessageType(kind));
        m
    }

    /// Passes through the wire format both ways, as the socket shell does.
    fn run(msg: &Message, t: &mut LeaseTable, now: u64) -> Outcome {
        let wire = Message::from_bytes(&msg.to_vec().unwrap()).unwrap();
        let out = handle(&wire, t, &id(), now);
        if let Outcome::Reply { message, .. } = &out {
            let back = Message::from_bytes(&message.to_vec().unwrap()).unwrap();
            assert_eq!(&back, message.as_ref());
        }
        out
    }

    fn reply(out: Outcome) -> (Message, Destination) {
        match out {
            Outcome::Reply { message, to } => (*message, to),
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    fn kind(m: &Message) -> Option<MessageType> {
        m.opts().msg_type()
    }

    #[test]
    fn discover_gets_an_offer_with_full_configuration() {
        let mut t = table();
        let mut d = client(MessageType::Discover, 1);
        d.opts_mut().insert(DhcpOption::Hostname("Laptop".into()));
        let (offer, to) = reply(run(&d, &mut t, 0));
        assert_eq!(to, Destination::Broadcast);
        assert_eq!(kind(&offer), Some(MessageType::Offer));
        assert_eq!(offer.opcode(), Opcode::BootReply);
        assert_eq!(offer.xid(), d.xid());
        assert_eq!(offer.chaddr(), &mac(1));
        assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 168, 137, 10));
        let o = offer.opts();
        assert_eq!(
            o.get(OptionCode::ServerIdentifier),
            Some(&DhcpOption::ServerIdentifier(GW))
        );
        assert_eq!(
            o.get(OptionCode::Router),
            Some(&DhcpOption::Router(vec![GW]))
        );
        assert_eq!(
            o.get(OptionCode::DomainNameServer),
            Some(&DhcpOption::DomainNameServer(vec![GW]))
        );
        assert_eq!(
            o.get(OptionCode::SubnetMask),
            Some(&DhcpOption::SubnetMask([255, 255, 255, 0].into()))
        );
        assert_eq!(
            o.get(OptionCode::AddressLeaseTime),
            Some(&DhcpOption::AddressLeaseTime(3600))
        );
        assert_eq!(o.get(OptionCode::Renewal), Some(&DhcpOption::Renewal(1800)));
        assert_eq!(
            o.get(OptionCode::Rebinding),
            Some(&DhcpOption::Rebinding(3150))
        );
        assert_eq!(
            o.get(OptionCode::DomainName),
            Some(&DhcpOption::DomainName("lan".into()))
        );
        assert_eq!(
            t.lease_of(MacAddr(mac(1))).unwrap().hostname.as_deref(),
            Some("laptop")
        );
    }

    #[test]
    fn selecting_request_is_acked_and_broadcast_flag_echoed() {
        let mut t = table();
        let (offer, _) = reply(run(&client(MessageType::Discover, 1), &mut t, 0));
        let mut r = client(MessageType::Request, 1);
        r.set_flags(Flags::default().set_broadcast());
        r.opts_mut().insert(DhcpOption::ServerIdentifier(GW));
        r.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
        let (ack, to) = reply(run(&r, &mut t, 1));
        assert_eq!(kind(&ack), Some(MessageType::Ack));
        assert_eq!(to, Destination::Broadcast);
        assert!(ack.flags().broadcast());
        assert_eq!(ack.yiaddr(), offer.yiaddr());
        assert_eq!(
            t.lease_of(MacAddr(mac(1))).unwrap().state,
            LeaseState::Bound
        );
    }

    #[test]
    fn request_for_another_server_withdraws_our_offer() {
        let mut t = table();
        run(&client(MessageType::Discover, 1), &mut t, 0);
        let mut r = client(MessageType::Request, 1);
        r.opts_mut()
            .insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(
                192, 168, 137, 2,
            )));
        r.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
                192, 168, 137, 99,
            )));
        assert_eq!(
            run(&r, &mut t, 1),
            Outcome::Silent(Silence::OtherServerChosen)
        );
        assert!(t.lease_of(MacAddr(mac(1))).is_none());
    }

    #[test]
    fn init_reboot_for_foreign_or_taken_address_is_naked() {
        let mut t = table();
        let mut r = client(MessageType::Request, 1);
        r.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(10, 1, 1, 50)));
        let (nak, to) = reply(run(&r, &mut t, 0));
        assert_eq!(kind(&nak), Some(MessageType::Nak));
        assert_eq!(to, Destination::Broadcast);
        assert_eq!(nak.yiaddr(), Ipv4Addr::UNSPECIFIED);
        assert!(nak.opts().get(OptionCode::AddressLeaseTime).is_none());

        let mut r2 = client(MessageType::Request, 2);
        r2.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
                192, 168, 137, 40,
            )));
        let (ack, _) = reply(run(&r2, &mut t, 0));
        assert_eq!(
            kind(&ack),
            Some(MessageType::Ack),
            "free address: the client may keep it"
        );
        let mut r3 = client(MessageType::Request, 3);
        r3.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
                192, 168, 137, 40,
            )));
        assert_eq!(kind(&reply(run(&r3, &mut t, 0)).0), Some(MessageType::Nak));
    }

    #[test]
    fn renewal_is_unicast_to_ciaddr() {
        let mut t = table();
        let ip = Ipv4Addr::new(192, 168, 137, 10);
        t.commit(MacAddr(mac(1)), ip, None, 0).unwrap();
        let mut r = client(MessageType::Request, 1);
        r.set_ciaddr(ip);
        let (ack, to) = reply(run(&r, &mut t, 1800));
        assert_eq!(to, Destination::Unicast(ip));
        assert_eq!(ack.ciaddr(), ip);
        assert_eq!(t.lease_of(MacAddr(mac(1))).unwrap().expires, 1800 + 3600);
    }

    #[test]
    fn decline_and_release() {
        let mut t = table();
        let (offer, _) = reply(run(&client(MessageType::Discover, 1), &mut t, 0));
        let mut d = client(MessageType::Decline, 1);
        d.opts_mut().insert(DhcpOption::ServerIdentifier(GW));
        d.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
        assert_eq!(run(&d, &mut t, 1), Outcome::Silent(Silence::Declined));
        let (again, _) = reply(run(&client(MessageType::Discover, 1), &mut t, 2));
        assert_ne!(again.yiaddr(), offer.yiaddr(), "declined address held back");
        let (later, _) = reply(run(
            &client(MessageType::Discover, 2),
            &mut t,
            DECLINE_HOLD_SECS + 100,
        ));
        assert_ne!(later.yiaddr(), again.yiaddr());

        let ip = Ipv4Addr::new(192, 168, 137, 77);
        t.commit(MacAddr(mac(3)), ip, None, 0).unwrap();
        let mut rel = client(MessageType::Release, 3);
        rel.set_ciaddr(ip);
        rel.opts_mut().insert(DhcpOption::ServerIdentifier(GW));
        assert_eq!(run(&rel, &mut t, 10), Outcome::Silent(Silence::Released));
        assert!(!t.lease_of(MacAddr(mac(3))).unwrap().is_active(10));
    }

    #[test]
    fn inform_gets_configuration_without_a_lease() {
        let mut t = table();
        let mut i = client(MessageType::Inform, 5);
        i.set_ciaddr(Ipv4Addr::new(192, 168, 137, 5));
        let (ack, to) = reply(run(&i, &mut t, 0));
        assert_eq!(kind(&ack), Some(MessageType::Ack));
        assert_eq!(to, Destination::Unicast(Ipv4Addr::new(192, 168, 137, 5)));
        assert_eq!(ack.yiaddr(), Ipv4Addr::UNSPECIFIED);
        assert!(ack.opts().get(OptionCode::AddressLeaseTime).is_none());
        assert!(ack.opts().get(OptionCode::Router).is_some());
        assert_eq!(t.leases().count(), 0);
    }

    #[test]
    fn ignores_replies_relays_probes_and_bad_hardware() {
        let mut t = table();
        let mut offer = client(MessageType::Offer, 1);
        offer.set_opcode(Opcode::BootReply);
        assert_eq!(run(&offer, &mut t, 0), Outcome::Silent(Silence::NotForUs));
        let mut relayed = client(MessageType::Discover, 1);
        relayed.set_giaddr(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(run(&relayed, &mut t, 0), Outcome::Silent(Silence::NotForUs));
        let mut probe = client(MessageType::Discover, 1);
        probe.set_chaddr(&PROBE_MAC.octets());
        assert_eq!(run(&probe, &mut t, 0), Outcome::Silent(Silence::NotForUs));
        let mut short = client(MessageType::Discover, 1);
        short.set_chaddr(&[1, 2, 3]);
        assert_eq!(run(&short, &mut t, 0), Outcome::Silent(Silence::NoMac));
        let mut no_addr = client(MessageType::Request, 1);
        no_addr.opts_mut().insert(DhcpOption::ServerIdentifier(GW));
        assert_eq!(
            run(&no_addr, &mut t, 0),
            Outcome::Silent(Silence::Malformed)
        );
        assert_eq!(t.leases().count(), 0);
    }

    #[test]
    fn exhausted_pool_is_silent() {
        let pool = Pool::new(
            "192.168.137.1/24".parse().unwrap(),
            Some(Ipv4Addr::new(192, 168, 137, 10)),
            Some(Ipv4Addr::new(192, 168, 137, 10)),
        )
        .unwrap();
        let mut t = LeaseTable::new(pool, 3600, &[]);
        reply(run(&client(MessageType::Discover, 1), &mut t, 0));
        assert_eq!(
            run(&client(MessageType::Discover, 2), &mut t, 0),
            Outcome::Silent(Silence::Exhausted)
        );
    }

    #[test]
    fn a_hardware_address_length_beyond_the_field_is_dropped_not_a_panic() {
        let mut bytes = client(MessageType::Discover, 1).to_vec().unwrap();
        bytes[2] = 200;
        let msg = Message::from_bytes(&bytes).unwrap();
        assert_eq!(run(&msg, &mut table(), 0), Outcome::Silent(Silence::NoMac));
    }
}
