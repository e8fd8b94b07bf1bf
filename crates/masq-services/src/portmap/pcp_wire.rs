//! PCP (RFC 6887) messages: parsing requests with their options, writing responses.
//!
//! PCP is version 2 on the same port as NAT-PMP. A request is a 24-byte header (version,
//! opcode, lifetime, the client's address as an IPv4-mapped IPv6 address), an opcode body
//! (MAP: 36 bytes; ANNOUNCE: none) and options (code, length, data padded to 4 bytes).
//! Parsing either yields a [`Request`] or says how to refuse it: dropped silently, or an
//! error response that echoes the request (RFC 6887 §7.2 and §8.3) — never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The protocol version this server speaks.
pub const VERSION: u8 = 2;
/// Longest PCP message (RFC 6887 §7).
pub const MAX_MESSAGE: usize = 1100;
/// Length of the common request and response header.
pub const HEADER_LEN: usize = 24;
/// Length of the MAP opcode body.
pub const MAP_LEN: usize = 36;
/// Set in the opcode byte of every response.
const RESPONSE_BIT: u8 = 0x80;
/// Opcode ANNOUNCE.
pub const OP_ANNOUNCE: u8 = 0;
/// Opcode MAP.
pub const OP_MAP: u8 = 1;
/// Option THIRD_PARTY: a mapping for another host.
const OPT_THIRD_PARTY: u8 = 1;
/// Option PREFER_FAILURE: fail rather than give another port.
const OPT_PREFER_FAILURE: u8 = 2;
/// Option FILTER: accept only some remote peers.
const OPT_FILTER: u8 = 3;
/// Option codes from here up may be ignored when unknown (RFC 6887 §7.3).
const FIRST_OPTIONAL_OPTION: u8 = 128;
/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// PCP result codes (RFC 6887 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ResultCode {
    /// Done.
    Success = 0,
    /// Not version 2.
    UnsuppVersion = 1,
    /// Against policy, or port mapping is off.
    NotAuthorized = 2,
    /// The request cannot be parsed.
    MalformedRequest = 3,
    /// Opcode other than ANNOUNCE or MAP.
    UnsuppOpcode = 4,
    /// A mandatory option the server does not do.
    UnsuppOption = 5,
    /// An option that cannot be parsed, or repeated.
    MalformedOption = 6,
    /// The gateway has no external address right now.
    NetworkFailure = 7,
    /// No free port or the table is full.
    NoResources = 8,
    /// Protocol other than TCP or UDP.
    UnsuppProtocol = 9,
    /// The client holds as many mappings as it may.
    UserExQuota = 10,
    /// PREFER_FAILURE and the exact port or address cannot be given.
    CannotProvideExternal = 11,
    /// The client address field is not the packet's source.
    AddressMismatch = 12,
    /// Only for PEER, which this server does not do.
    ExcessiveRemotePeers = 13,
}

impl ResultCode {
    /// How long the client should consider an error final (RFC 6887 §7.4: long-lifetime
    /// errors are about policy and last; short-lifetime ones may clear soon).
    pub fn error_lifetime(self) -> u32 {
        match self {
            ResultCode::Success => 0,
            ResultCode::NetworkFailure | ResultCode::NoResources | ResultCode::UserExQuota => 30,
            _ => 1800,
        }
    }

    fn from_u8(v: u8) -> Option<ResultCode> {
        use ResultCode::*;
        Some(match v {
            0 => Success,
            1 => UnsuppVersion,
            2 => NotAuthorized,
            3 => MalformedRequest,
            4 => UnsuppOpcode,
            5 => UnsuppOption,
            6 => MalformedOption,
            7 => NetworkFailure,
            8 => NoResources,
            9 => UnsuppProtocol,
            10 => UserExQuota,
            11 => CannotProvideExternal,
            12 => AddressMismatch,
            13 => ExcessiveRemotePeers,
            _ => return None,
        })
    }
}

/// A parsed PCP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Requested lifetime in seconds (0 deletes a MAP).
    pub lifetime: u32,
    /// The client's address as it wrote it.
    pub client: Ipv6Addr,
    /// The operation.
    pub op: Op,
    /// The options it carried.
    pub options: Options,
}

/// A PCP operation this server understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// "Are you there, what is your epoch?"
    Announce,
    /// Create, renew or delete a mapping.
    Map(MapBody),
}

/// The MAP opcode's fields (RFC 6887 §11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapBody {
    /// Identifies the client's mapping; renewals and deletions must repeat it.
    pub nonce: [u8; 12],
    /// IP protocol number (0: all protocols).
    pub protocol: u8,
    /// The client's port (0: all ports).
    pub internal_port: u16,
    /// Port the client would like, or 0.
    pub external_port: u16,
    /// Address the client would like, or all-zeros.
    pub external_address: Ipv6Addr,
}

/// The options of a request that the server acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// THIRD_PARTY's internal address, if present.
    pub third_party: Option<Ipv6Addr>,
    /// PREFER_FAILURE was present.
    pub prefer_failure: bool,
    /// At least one FILTER option was present.
    pub filter: bool,
}

/// Why a PCP datagram is not a request the server can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not answered (RFC 6887 §8.3: too short to answer, or a response).
    Drop(&'static str),
    /// Answered with this result code, echoing the request.
    Error(ResultCode),
}

/// Reads a version-2 request.
pub fn parse_request(bytes: &[u8]) -> Result<Request, Rejection> {
    if bytes.len() < 2 {
        return Err(Rejection::Drop("shorter than 2 bytes"));
    }
    if bytes[1] & RESPONSE_BIT != 0 {
        return Err(Rejection::Drop("a response, not a request"));
    }
    if bytes[0] != VERSION {
        return Err(Rejection::Error(ResultCode::UnsuppVersion));
    }
    if bytes.len() < HEADER_LEN || bytes.len() > MAX_MESSAGE || !bytes.len().is_multiple_of(4) {
        return Err(Rejection::Error(ResultCode::MalformedRequest));
    }
    let lifetime = be32(bytes, 4);
    let client = ipv6_at(bytes, 8);
    let (op, options_at) = match bytes[1] {
        OP_ANNOUNCE => (Op::Announce, HEADER_LEN),
        OP_MAP => {
            if bytes.len() < HEADER_LEN + MAP_LEN {
                return Err(Rejection::Error(ResultCode::MalformedRequest));
            }
            let b = &bytes[HEADER_LEN..];
            let mut nonce = [0; 12];
            nonce.copy_from_slice(&b[..12]);
            let body = MapBody {
                nonce,
                protocol: b[12],
                internal_port: be16(b, 16),
                external_port: be16(b, 18),
                external_address: ipv6_at(b, 20),
            };
            (Op::Map(body), HEADER_LEN + MAP_LEN)
        }
        _ => return Err(Rejection::Error(ResultCode::UnsuppOpcode)),
    };
    let options = parse_options(&bytes[options_at..], bytes[1])?;
    Ok(Request {
        lifetime,
        client,
        op,
        options,
    })
}

fn parse_options(mut rest: &[u8], opcode: u8) -> Result<Options, Rejection> {
    let malformed = Err(Rejection::Error(ResultCode::MalformedOption));
    let mut options = Options::default();
    while !rest.is_empty() {
        if rest.len() < 4 {
            return malformed;
        }
        let code = rest[0];
        let len = usize::from(be16(rest, 2));
        let padded = len.div_ceil(4) * 4;
        if rest.len() < 4 + padded {
            return malformed;
        }
        let data = &rest[4..4 + len];
        let for_map = opcode == OP_MAP;
        match code {
            OPT_THIRD_PARTY if for_map => {
                if len != 16 || options.third_party.is_some() {
                    return malformed;
                }
                options.third_party = Some(ipv6_at(data, 0));
            }
            OPT_PREFER_FAILURE if for_map => {
                if len != 0 || options.prefer_failure {
                    return malformed;
                }
                options.prefer_failure = true;
            }
            OPT_FILTER if for_map => {
                if len != 20 {
                    return malformed;
                }
                options.filter = true;
            }
            c if c >= FIRST_OPTIONAL_OPTION => {}
            _ => return Err(Rejection::Error(ResultCode::UnsuppOption)),
        }
        rest = &rest[4 + padded..];
    }
    Ok(options)
}

/// An error response: the request (cut to [`MAX_MESSAGE`], padded to a multiple of 4, at
/// least a header) with the response header written over its first 24 bytes.
pub fn error_response(request: &[u8], result: ResultCode, epoch: u32) -> Vec<u8> {
    let mut out = request[..request.len().min(MAX_MESSAGE)].to_vec();
    let padded = out.len().div_ceil(4) * 4;
    out.resize(padded.max(HEADER_LEN), 0);
    let opcode = request.get(1).copied().unwrap_or(0);
    write_header(
        &mut out[..HEADER_LEN],
        opcode,
        result,
        result.error_lifetime(),
        epoch,
    );
    out
}

/// A successful ANNOUNCE answer; unsolicited, the restart announcement (RFC 6887 §14.1.3).
pub fn announce_response(epoch: u32) -> Vec<u8> {
    let mut out = vec![0; HEADER_LEN];
    write_header(&mut out, OP_ANNOUNCE, ResultCode::Success, 0, epoch);
    out
}

/// What a MAP answer carries besides the request's nonce, protocol and internal port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapGrant {
    /// Outcome.
    pub result: ResultCode,
    /// Lifetime granted (0 after a deletion).
    pub lifetime: u32,
    /// Seconds since the mapping table started.
    pub epoch: u32,
    /// The external port (0 after a deletion).
    pub external_port: u16,
    /// The gateway's external address.
    pub external_address: Ipv4Addr,
    /// Echo PREFER_FAILURE, which the server honoured.
    pub prefer_failure: bool,
}

/// A MAP answer for `body`.
pub fn map_response(body: &MapBody, grant: &MapGrant) -> Vec<u8> {
    let mut out = vec![0; HEADER_LEN];
    write_header(&mut out, OP_MAP, grant.result, grant.lifetime, grant.epoch);
    out.extend_from_slice(&body.nonce);
    out.extend_from_slice(&[body.protocol, 0, 0, 0]);
    out.extend_from_slice(&body.internal_port.to_be_bytes());
    out.extend_from_slice(&grant.external_port.to_be_bytes());
    out.extend_from_slice(&grant.external_address.to_ipv6_mapped().octets());
    if grant.prefer_failure {
        out.extend_from_slice(&[OPT_PREFER_FAILURE, 0, 0, 0]);
    }
    out
}

fn write_header(out: &mut [u8], opcode: u8, result: ResultCode, lifetime: u32, epoch: u32) {
    out[0] = VERSION;
    out[1] = opcode | RESPONSE_BIT;
    out[2] = 0;
    out[3] = result as u8;
    out[4..8].copy_from_slice(&lifetime.to_be_bytes());
    out[8..12].copy_from_slice(&epoch.to_be_bytes());
    out[12..HEADER_LEN].fill(0);
}

/// A response as a client reads it (for tests and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseView {
    /// Opcode, without the response bit.
    pub opcode: u8,
    /// Outcome.
    pub result: ResultCode,
    /// Lifetime granted, or how long an error holds.
    pub lifetime: u32,
    /// Server epoch.
    pub epoch: u32,
    /// The MAP fields, for a MAP response with a complete body.
    pub map: Option<MapBody>,
}

/// Reads a response header and, for MAP, its body.
pub fn parse_response(bytes: &[u8]) -> Option<ResponseView> {
    if bytes.len() < HEADER_LEN || bytes[0] != VERSION || bytes[1] & RESPONSE_BIT == 0 {
        return None;
    }
    let opcode = bytes[1] & !RESPONSE_BIT;
    let map = (opcode == OP_MAP && bytes.len() >= HEADER_LEN + MAP_LEN).then(|| {
        let b = &bytes[HEADER_LEN..];
        let mut nonce = [0; 12];
        nonce.copy_from_slice(&b[..12]);
        MapBody {
            nonce,
            protocol: b[12],
            internal_port: be16(b, 16),
            external_port: be16(b, 18),
            external_address: ipv6_at(b, 20),
        }
    });
    Some(ResponseView {
        opcode,
        result: ResultCode::from_u8(bytes[3])?,
        lifetime: be32(bytes, 4),
        epoch: be32(bytes, 8),
        map,
    })
}

/// The datagram a client sends (for tests and the e2e client); options as (code, data).
pub fn request_bytes(lifetime: u32, client: Ipv4Addr, op: &Op, options: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = vec![VERSION, 0, 0, 0];
    out.extend_from_slice(&lifetime.to_be_bytes());
    out.extend_from_slice(&client.to_ipv6_mapped().octets());
    match op {
        Op::Announce => out[1] = OP_ANNOUNCE,
        Op::Map(m) => {
            out[1] = OP_MAP;
            out.extend_from_slice(&m.nonce);
            out.extend_from_slice(&[m.protocol, 0, 0, 0]);
            out.extend_from_slice(&m.internal_port.to_be_bytes());
            out.extend_from_slice(&m.external_port.to_be_bytes());
            out.extend_from_slice(&m.external_address.octets());
        }
    }
    for (code, data) in options {
        out.extend_from_slice(&[*code, 0]);
        out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    out
}

/// The IPv4 address inside an IPv4-mapped IPv6 address (all 96 prefix bits checked).
pub fn mapped_v4(addr: Ipv6Addr) -> Option<Ipv4Addr> {
    addr.to_ipv4_mapped()
}

/// Whether a suggested external address means "no preference" (:: or ::ffff:0.0.0.0).
pub fn is_unspecified(addr: Ipv6Addr) -> bool {
    addr.is_unspecified() || addr.to_ipv4_mapped() == Some(Ipv4Addr::UNSPECIFIED)
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn ipv6_at(b: &[u8], at: usize) -> Ipv6Addr {
    let mut o = [0; 16];
    o.copy_from_slice(&b[at..at + 16]);
    Ipv6Addr::from(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 10);

    fn body() -> MapBody {
        MapBody {
            nonce: [7; 12],
            protocol: IPPROTO_TCP,
            internal_port: 8080,
            external_port: 18080,
            external_address: Ipv6Addr::UNSPECIFIED,
        }
    }

    #[test]
    fn map_request_round_trips_with_options() {
        let third = Ipv4Addr::new(192, 168, 137, 20).to_ipv6_mapped().octets();
        let bytes = request_bytes(
            3600,
            CLIENT,
            &Op::Map(body()),
            &[
                (OPT_PREFER_FAILURE, &[]),
                (OPT_THIRD_PARTY, &third),
                (200, &[1, 2, 3]),
            ],
        );
        assert_eq!(bytes.len() % 4, 0);
        let r = parse_request(&bytes).unwrap();
        assert_eq!(r.lifetime, 3600);
        assert_eq!(mapped_v4(r.client), Some(CLIENT));
        assert_eq!(r.op, Op::Map(body()));
        assert!(r.options.prefer_failure);
        assert_eq!(r.options.third_party, Some(Ipv6Addr::from(third)));
        assert!(!r.options.filter);
    }

    #[test]
    fn announce_round_trips() {
        let r = parse_request(&request_bytes(0, CLIENT, &Op::Announce, &[])).unwrap();
        assert_eq!(r.op, Op::Announce);
        let a = parse_response(&announce_response(77)).unwrap();
        assert_eq!(
            (a.opcode, a.result, a.lifetime, a.epoch),
            (OP_ANNOUNCE, ResultCode::Success, 0, 77)
        );
    }

    #[test]
    fn map_response_round_trips() {
        let grant = MapGrant {
            result: ResultCode::Success,
            lifetime: 120,
            epoch: 5,
            external_port: 40000,
            external_address: Ipv4Addr::new(203, 0, 113, 9),
            prefer_failure: true,
        };
        let bytes = map_response(&body(), &grant);
        assert_eq!(bytes.len(), HEADER_LEN + MAP_LEN + 4);
        let v = parse_response(&bytes).unwrap();
        assert_eq!(
            (v.opcode, v.result, v.lifetime, v.epoch),
            (OP_MAP, ResultCode::Success, 120, 5)
        );
        let m = v.map.unwrap();
        assert_eq!(m.nonce, [7; 12]);
        assert_eq!(m.internal_port, 8080);
        assert_eq!(m.external_port, 40000);
        assert_eq!(
            mapped_v4(m.external_address),
            Some(Ipv4Addr::new(203, 0, 113, 9))
        );
    }

    #[test]
    fn header_problems_are_dropped_or_answered() {
        let good = request_bytes(60, CLIENT, &Op::Map(body()), &[]);
        assert_eq!(
            parse_request(&[2]),
            Err(Rejection::Drop("shorter than 2 bytes"))
        );
        let mut response = good.clone();
        response[1] |= RESPONSE_BIT;
        assert!(matches!(parse_request(&response), Err(Rejection::Drop(_))));
        let mut v1 = good.clone();
        v1[0] = 1;
        assert_eq!(
            parse_request(&v1),
            Err(Rejection::Error(ResultCode::UnsuppVersion))
        );
        let malformed = Err(Rejection::Error(ResultCode::MalformedRequest));
        assert_eq!(parse_request(&good[..20]), malformed, "short header");
        assert_eq!(
            parse_request(&good[..HEADER_LEN + 32]),
            malformed,
            "short MAP body"
        );
        assert_eq!(
            parse_request(&good[..good.len() - 1]),
            malformed,
            "not a multiple of 4"
        );
        assert_eq!(
            parse_request(&[good.clone(), vec![0x80; 1100]].concat()),
            malformed,
            "too long"
        );
        let mut peer = good.clone();
        peer[1] = 2;
        assert_eq!(
            parse_request(&peer),
            Err(Rejection::Error(ResultCode::UnsuppOpcode))
        );
    }

    #[test]
    fn option_problems_are_answered() {
        let with = |options: &[(u8, &[u8])]| {
            parse_request(&request_bytes(60, CLIENT, &Op::Map(body()), options))
        };
        let malformed = Err(Rejection::Error(ResultCode::MalformedOption));
        assert_eq!(
            with(&[(OPT_THIRD_PARTY, &[0; 4])]),
            malformed,
            "THIRD_PARTY of 4 bytes"
        );
        assert_eq!(
            with(&[(OPT_PREFER_FAILURE, &[1])]),
            malformed,
            "PREFER_FAILURE with data"
        );
        assert_eq!(
            with(&[(OPT_PREFER_FAILURE, &[]), (OPT_PREFER_FAILURE, &[])]),
            malformed,
            "twice"
        );
        assert_eq!(
            with(&[(OPT_FILTER, &[0; 8])]),
            malformed,
            "FILTER of 8 bytes"
        );
        assert_eq!(
            with(&[(9, &[])]),
            Err(Rejection::Error(ResultCode::UnsuppOption)),
            "unknown mandatory option"
        );
        assert!(with(&[(OPT_FILTER, &[0; 20])]).unwrap().options.filter);
        let mut truncated =
            request_bytes(60, CLIENT, &Op::Map(body()), &[(OPT_THIRD_PARTY, &[0; 16])]);
        truncated.truncate(truncated.len() - 8);
        assert_eq!(
            parse_request(&truncated),
            malformed,
            "option longer than the message"
        );
        let announce_with_map_option =
            request_bytes(0, CLIENT, &Op::Announce, &[(OPT_PREFER_FAILURE, &[])]);
        assert_eq!(
            parse_request(&announce_with_map_option),
            Err(Rejection::Error(ResultCode::UnsuppOption))
        );
    }

    #[test]
    fn error_response_echoes_the_request_under_a_response_header() {
        let req = request_bytes(60, CLIENT, &Op::Map(body()), &[]);
        let out = error_response(&req, ResultCode::NotAuthorized, 9);
        assert_eq!(out.len(), req.len());
        assert_eq!(&out[HEADER_LEN..], &req[HEADER_LEN..]);
        let v = parse_response(&out).unwrap();
        assert_eq!(
            (v.opcode, v.result, v.lifetime, v.epoch),
            (OP_MAP, ResultCode::NotAuthorized, 1800, 9)
        );
        assert!(out[12..HEADER_LEN].iter().all(|&b| b == 0));
        assert_eq!(
            error_response(&[2, 1, 0], ResultCode::MalformedRequest, 0).len(),
            HEADER_LEN
        );
        assert_eq!(
            error_response(&vec![2; 5000], ResultCode::MalformedRequest, 0).len(),
            MAX_MESSAGE
        );
        assert_eq!(
            error_response(&[2; 27], ResultCode::MalformedRequest, 0).len(),
            28
        );
    }

    #[test]
    fn unspecified_suggestions_are_recognised() {
        assert!(is_unspecified(Ipv6Addr::UNSPECIFIED));
        assert!(is_unspecified(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped()));
        assert!(!is_unspecified(CLIENT.to_ipv6_mapped()));
        assert_eq!(
            mapped_v4("::1.2.3.4".parse().unwrap()),
            None,
            "IPv4-compatible is not mapped"
        );
    }
}
