//! Detecting another DHCP server on the LAN: two servers hand out conflicting addresses and a
//! client that takes the other one's offer does not route through masq.
//!
//! The shell listens on the client port (68) and, at start and then every
//! [`PROBE_INTERVAL`], broadcasts a DISCOVER from [`PROBE_MAC`] (which masq's own server
//! ignores). Any OFFER or ACK whose server identifier is not the gateway's reveals another
//! server; so do their answers to real clients that asked for broadcast replies.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode, OptionCode};

use super::protocol::PROBE_MAC;

/// How often the probe is repeated while sharing.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(300);
/// How long a server stays listed after it was last seen.
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// A server other than masq answering on the LAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Foreign {
    /// Its server identifier.
    pub server_id: Ipv4Addr,
    /// The address it offered or acknowledged.
    pub offered: Ipv4Addr,
}

/// If `msg` is a server answer from someone other than `ours`, who it is.
pub fn foreign_server(msg: &Message, ours: Ipv4Addr) -> Option<Foreign> {
    if msg.opcode() != Opcode::BootReply {
        return None;
    }
    if !matches!(
        msg.opts().msg_type(),
        Some(MessageType::Offer | MessageType::Ack)
    ) {
        return None;
    }
    let Some(DhcpOption::ServerIdentifier(id)) = msg.opts().get(OptionCode::ServerIdentifier)
    else {
        return None;
    };
    (*id != ours).then_some(Foreign {
        server_id: *id,
        offered: msg.yiaddr(),
    })
}

/// The probe DISCOVER, asking for a broadcast answer so the listener sees it.
pub fn probe(xid: u32) -> Message {
    let mut m = Message::new_with_id(
        xid,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        &PROBE_MAC.octets(),
    );
    m.set_flags(Flags::default().set_broadcast());
    m.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Discover));
    m
}

/// Other servers seen recently, by server identifier.
#[derive(Debug, Default, Clone)]
pub struct ForeignServers {
    seen: BTreeMap<Ipv4Addr, (Foreign, Instant)>,
}

impl ForeignServers {
    /// Records a sighting; true when the server is new (worth a warning in the log).
    pub fn saw(&mut self, f: Foreign, now: Instant) -> bool {
        self.seen.insert(f.server_id, (f, now)).is_none()
    }

    /// The servers seen within [`FORGET_AFTER`], with seconds since each was seen.
    pub fn current(&mut self, now: Instant) -> Vec<(Foreign, f64)> {
        self.seen
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < FORGET_AFTER);
        self.seen
            .values()
            .map(|(f, at)| (*f, now.saturating_duration_since(*at).as_secs_f64()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use dhcproto::v4::{Decodable, Encodable};

    use super::*;

    const OURS: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 1);

    fn answer(kind: MessageType, server: Ipv4Addr) -> Message {
        let mut m = probe(7);
        m.set_opcode(Opcode::BootReply)
            .set_yiaddr(Ipv4Addr::new(192, 168, 137, 99));
        m.opts_mut().insert(DhcpOption::MessageType(kind));
        m.opts_mut().insert(DhcpOption::ServerIdentifier(server));
        Message::from_bytes(&m.to_vec().unwrap()).unwrap()
    }

    #[test]
    fn only_other_servers_answers_count() {
        let other = Ipv4Addr::new(192, 168, 137, 2);
        assert_eq!(
            foreign_server(&answer(MessageType::Offer, other), OURS),
            Some(Foreign {
                server_id: other,
                offered: Ipv4Addr::new(192, 168, 137, 99)
            })
        );
        assert!(foreign_server(&answer(MessageType::Ack, other), OURS).is_some());
        assert_eq!(
            foreign_server(&answer(MessageType::Offer, OURS), OURS),
            None
        );
        assert_eq!(foreign_server(&answer(MessageType::Nak, other), OURS), None);
        assert_eq!(foreign_server(&probe(1), OURS), None, "a request");
    }

    #[test]
    fn sightings_are_remembered_then_forgotten() {
        let mut s = ForeignServers::default();
        let t0 = Instant::now();
        let f = Foreign {
            server_id: Ipv4Addr::new(10, 0, 0, 1),
            offered: Ipv4Addr::new(10, 0, 0, 9),
        };
        assert!(s.saw(f, t0));
        assert!(!s.saw(f, t0 + Duration::from_secs(5)));
        assert_eq!(s.current(t0 + Duration::from_secs(6)), vec![(f, 1.0)]);
        assert!(
            s.current(t0 + FORGET_AFTER + Duration::from_secs(6))
                .is_empty()
        );
    }

    #[test]
    fn probe_is_a_broadcast_discover_from_the_probe_mac() {
        let p = probe(42);
        assert_eq!(p.opts().msg_type(), Some(MessageType::Discover));
        assert!(p.flags().broadcast());
        assert_eq!(p.chaddr(), &PROBE_MAC.octets());
    }
}
