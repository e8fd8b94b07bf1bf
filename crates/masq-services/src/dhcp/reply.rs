//! Building the server's answers: the BOOTREPLY header and the options RFC 2131 §4.3.1 and
//! Table 3 require (message type, server identifier, lease times, and for OFFER/ACK the
//! subnet mask, router, DNS server, domain and broadcast address).

use std::net::Ipv4Addr;

use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode};

/// What every answer of this server carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// The gateway's LAN address: server identifier, router and DNS server.
    pub address: Ipv4Addr,
    /// The LAN netmask (option 1).
    pub netmask: Ipv4Addr,
    /// The LAN broadcast address (option 28).
    pub broadcast: Ipv4Addr,
    /// Domain for LAN names (option 15), when the DNS forwarder serves one.
    pub domain: Option<String>,
    /// Whether the DNS forwarder runs (else the option 6 is left out: the client keeps its own).
    pub dns: bool,
}

/// An answer to `request` of type `kind`, with the header fields copied as §4.3.1 requires.
pub fn answer(request: &Message, kind: MessageType, id: &ServerIdentity) -> Message {
    let mut m = Message::default();
    m.set_opcode(Opcode::BootReply)
        .set_htype(request.htype())
        .set_xid(request.xid())
        .set_flags(if request.flags().broadcast() {
            Flags::default().set_broadcast()
        } else {
            Flags::default()
        })
        .set_giaddr(request.giaddr())
        .set_chaddr(request.chaddr());
    let opts = m.opts_mut();
    opts.insert(DhcpOption::MessageType(kind));
    opts.insert(DhcpOption::ServerIdentifier(id.address));
    m
}

/// Adds the network configuration a client needs (OFFER, ACK, and ACK to INFORM).
pub fn add_config(m: &mut Message, id: &ServerIdentity) {
    let opts = m.opts_mut();
    opts.insert(DhcpOption::SubnetMask(id.netmask));
    opts.insert(DhcpOption::Router(vec![id.address]));
    opts.insert(DhcpOption::BroadcastAddr(id.broadcast));
    if id.dns {
        opts.insert(DhcpOption::DomainNameServer(vec![id.address]));
        if let Some(domain) = &id.domain {
            opts.insert(DhcpOption::DomainName(domain.clone()));
        }
    }
}

/// Adds lease time and the renewal (T1 = ½) and rebinding (T2 = ⅞) times of §4.4.5.
pub fn add_lease_times(m: &mut Message, lease_secs: u32) {
    let opts = m.opts_mut();
    opts.insert(DhcpOption::AddressLeaseTime(lease_secs));
    opts.insert(DhcpOption::Renewal(lease_secs / 2));
    opts.insert(DhcpOption::Rebinding(lease_secs / 8 * 7));
}
