//! NAT-PMP (RFC 6886) messages: parsing requests and writing responses.
//!
//! NAT-PMP is version 0 of the protocol PCP continues (both use UDP port 5351), so the
//! server looks at the first byte and hands version-0 datagrams here. Every field is
//! big-endian; requests are 2 bytes (external address) or 12 bytes (map UDP/TCP). Anything
//! else is either answered "unsupported opcode" (RFC 6886 §3.5) or dropped, never trusted.

use std::net::Ipv4Addr;

use super::table::MapProtocol;

/// The protocol version NAT-PMP messages carry.
pub const VERSION: u8 = 0;
/// Added to a request's opcode to form its response's.
const RESPONSE_BIT: u8 = 0x80;
/// Opcode asking for the gateway's external address.
const OP_EXTERNAL_ADDRESS: u8 = 0;
/// Opcode of a UDP mapping request.
const OP_MAP_UDP: u8 = 1;
/// Opcode of a TCP mapping request.
const OP_MAP_TCP: u8 = 2;
/// Length of an external-address request.
const ADDRESS_REQUEST_LEN: usize = 2;
/// Length of a mapping request.
const MAP_REQUEST_LEN: usize = 12;
/// Longest request copied back in an "unsupported opcode" answer (PCP's message limit).
const MAX_ECHO: usize = 1100;

/// A well-formed NAT-PMP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// "What is your external address?" (opcode 0).
    ExternalAddress,
    /// Create, renew or delete a mapping (opcodes 1 and 2).
    Map(MapRequest),
}

/// A mapping request: lifetime 0 deletes (RFC 6886 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapRequest {
    /// UDP (opcode 1) or TCP (opcode 2).
    pub protocol: MapProtocol,
    /// The client's port the mapping leads to; 0 with lifetime 0 deletes all of its mappings.
    pub internal_port: u16,
    /// The external port the client would like; 0 for no preference.
    pub suggested_external_port: u16,
    /// Requested lifetime in seconds.
    pub lifetime: u32,
}

/// Why a version-0 datagram is not a request the server can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not answered at all: a response, or a request of the wrong length.
    Drop(&'static str),
    /// Answered with result code 5, echoing the request (RFC 6886 §3.5).
    UnsupportedOpcode,
}

/// NAT-PMP result codes (RFC 6886 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum ResultCode {
    /// The request was carried out.
    Success = 0,
    /// The server does not speak this version.
    UnsupportedVersion = 1,
    /// Refused: port mapping is off, or the request is against policy.
    NotAuthorized = 2,
    /// The gateway has no external address right now.
    NetworkFailure = 3,
    /// No more mappings for this client or no free port.
    OutOfResources = 4,
    /// The opcode is not one the server knows.
    UnsupportedOpcode = 5,
}

impl ResultCode {
    fn from_u16(v: u16) -> Option<ResultCode> {
        Some(match v {
            0 => ResultCode::Success,
            1 => ResultCode::UnsupportedVersion,
            2 => ResultCode::NotAuthorized,
            3 => ResultCode::NetworkFailure,
            4 => ResultCode::OutOfResources,
            5 => ResultCode::UnsupportedOpcode,
            _ => return None,
        })
    }
}

/// A NAT-PMP response, as the server sends it and a client reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Answer to an external-address request; also the restart announcement (§3.2.1).
    ExternalAddress {
        /// Outcome.
        result: ResultCode,
        /// Seconds since the mapping table started.
        epoch: u32,
        /// The gateway's external address (0.0.0.0 when it has none).
        address: Ipv4Addr,
    },
    /// Answer to a mapping request.
    Map {
        /// UDP or TCP, as requested.
        protocol: MapProtocol,
        /// Outcome.
        result: ResultCode,
        /// Seconds since the mapping table started.
        epoch: u32,
        /// The client's port, as requested.
        internal_port: u16,
        /// The external port granted (0 after a deletion or an error).
        external_port: u16,
        /// Lifetime granted in seconds (0 after a deletion or an error).
        lifetime: u32,
    },
}

/// Reads a version-0 request.
pub fn parse_request(bytes: &[u8]) -> Result<Request, Rejection> {
    let (&version, rest) = bytes
        .split_first()
        .ok_or(Rejection::Drop("empty datagram"))?;
    if version != VERSION {
        return Err(Rejection::Drop("not NAT-PMP (version is not 0)"));
    }
    let &op = rest.first().ok_or(Rejection::Drop("no opcode"))?;
    if op & RESPONSE_BIT != 0 {
        return Err(Rejection::Drop("a response, not a request"));
    }
    let protocol = match op {
        OP_EXTERNAL_ADDRESS => {
            return if bytes.len() == ADDRESS_REQUEST_LEN {
                Ok(Request::ExternalAddress)
            } else {
                Err(Rejection::Drop("external-address request not 2 bytes long"))
            };
        }
        OP_MAP_UDP => MapProtocol::Udp,
        OP_MAP_TCP => MapProtocol::Tcp,
        _ => return Err(Rejection::UnsupportedOpcode),
    };
    if bytes.len() != MAP_REQUEST_LEN {
        return Err(Rejection::Drop("mapping request not 12 bytes long"));
    }
    Ok(Request::Map(MapRequest {
        protocol,
        internal_port: be16(bytes, 4),
        suggested_external_port: be16(bytes, 6),
        lifetime: be32(bytes, 8),
    }))
}

/// The "unsupported opcode" answer: the request echoed with the response bit, result 5 and
/// the epoch (RFC 6886 §3.5), at least as long as a response header.
pub fn unsupported_opcode(request: &[u8], epoch: u32) -> Vec<u8> {
    let mut out = request[..request.len().min(MAX_ECHO)].to_vec();
    if out.len() < 8 {
        out.resize(8, 0);
    }
    out[0] = VERSION;
    out[1] |= RESPONSE_BIT;
    out[2..4].copy_from_slice(&(ResultCode::UnsupportedOpcode as u16).to_be_bytes());
    out[4..8].copy_from_slice(&epoch.to_be_bytes());
    out
}

impl Response {
    /// The datagram.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        match *self {
            Response::ExternalAddress {
                result,
                epoch,
                address,
            } => {
                header(&mut out, OP_EXTERNAL_ADDRESS, result, epoch);
                out.extend_from_slice(&address.octets());
            }
            Response::Map {
                protocol,
                result,
                epoch,
                internal_port,
                external_port,
                lifetime,
            } => {
                header(&mut out, map_opcode(protocol), result, epoch);
                out.extend_from_slice(&internal_port.to_be_bytes());
                out.extend_from_slice(&external_port.to_be_bytes());
                out.extend_from_slice(&lifetime.to_be_bytes());
            }
        }
        out
    }

    /// Reads a response, as a client would (for tests and diagnostics).
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        if bytes.len() < 8 || bytes[0] != VERSION || bytes[1] & RESPONSE_BIT == 0 {
            return None;
        }
        let result = ResultCode::from_u16(be16(bytes, 2))?;
        let epoch = be32(bytes, 4);
        match bytes[1] & !RESPONSE_BIT {
            OP_EXTERNAL_ADDRESS if bytes.len() == 12 => Some(Response::ExternalAddress {
                result,
                epoch,
                address: Ipv4Addr::from(be32(bytes, 8)),
            }),
            op @ (OP_MAP_UDP | OP_MAP_TCP) if bytes.len() == 16 => Some(Response::Map {
                protocol: if op == OP_MAP_UDP {
                    MapProtocol::Udp
                } else {
                    MapProtocol::Tcp
                },
                result,
                epoch,
                internal_port: be16(bytes, 8),
                external_port: be16(bytes, 10),
                lifetime: be32(bytes, 12),
            }),
            _ => None,
        }
    }
}

/// The datagram a client sends for `request` (for tests and the e2e client).
pub fn request_bytes(request: &Request) -> Vec<u8> {
    match request {
        Request::ExternalAddress => vec![VERSION, OP_EXTERNAL_ADDRESS],
        Request::Map(m) => {
            let mut out = vec![VERSION, map_opcode(m.protocol), 0, 0];
            out.extend_from_slice(&m.internal_port.to_be_bytes());
            out.extend_from_slice(&m.suggested_external_port.to_be_bytes());
            out.extend_from_slice(&m.lifetime.to_be_bytes());
            out
        }
    }
}

fn map_opcode(protocol: MapProtocol) -> u8 {
    match protocol {
        MapProtocol::Udp => OP_MAP_UDP,
        MapProtocol::Tcp => OP_MAP_TCP,
    }
}

fn header(out: &mut Vec<u8>, op: u8, result: ResultCode, epoch: u32) {
    out.push(VERSION);
    out.push(op | RESPONSE_BIT);
    out.extend_from_slice(&(result as u16).to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(protocol: MapProtocol, lifetime: u32) -> MapRequest {
        MapRequest {
            protocol,
            internal_port: 8080,
            suggested_external_port: 18080,
            lifetime,
        }
    }

    #[test]
    fn requests_round_trip() {
        for r in [
            Request::ExternalAddress,
            Request::Map(map(MapProtocol::Udp, 7200)),
            Request::Map(map(MapProtocol::Tcp, 0)),
        ] {
            assert_eq!(parse_request(&request_bytes(&r)), Ok(r));
        }
    }

    #[test]
    fn map_request_fields_are_big_endian_at_their_offsets() {
        let bytes = [0, 2, 0xaa, 0xbb, 0x1f, 0x90, 0x46, 0xa0, 0, 0, 0x1c, 0x20];
        assert_eq!(
            parse_request(&bytes),
            Ok(Request::Map(map(MapProtocol::Tcp, 7200))),
            "the reserved field is ignored"
        );
    }

    #[test]
    fn responses_round_trip() {
        for r in [
            Response::ExternalAddress {
                result: ResultCode::Success,
                epoch: 42,
                address: Ipv4Addr::new(203, 0, 113, 9),
            },
            Response::ExternalAddress {
                result: ResultCode::NetworkFailure,
                epoch: 0,
                address: Ipv4Addr::UNSPECIFIED,
            },
            Response::Map {
                protocol: MapProtocol::Udp,
                result: ResultCode::OutOfResources,
                epoch: 7,
                internal_port: 1,
                external_port: 0,
                lifetime: 0,
            },
            Response::Map {
                protocol: MapProtocol::Tcp,
                result: ResultCode::Success,
                epoch: u32::MAX,
                internal_port: 80,
                external_port: 65535,
                lifetime: 3600,
            },
        ] {
            let bytes = r.to_bytes();
            assert_eq!(bytes[1] & RESPONSE_BIT, RESPONSE_BIT);
            assert_eq!(Response::parse(&bytes), Some(r));
        }
    }

    #[test]
    fn malformed_requests_are_dropped() {
        let drops: [&[u8]; 8] = [
            &[],
            &[0],
            &[0, 0, 0],
            &[0, 1, 0, 0, 0, 80, 0, 80, 0, 0, 0],
            &[0, 2, 0, 0, 0, 80, 0, 80, 0, 0, 0, 1, 0],
            &[0, 128],
            &[0, 130, 0, 0, 0, 80, 0, 80, 0, 0, 0, 1],
            &[2, 1, 0, 0, 0, 80, 0, 80, 0, 0, 0, 1],
        ];
        for bytes in drops {
            assert!(
                matches!(parse_request(bytes), Err(Rejection::Drop(_))),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn unknown_opcodes_are_echoed_with_result_5() {
        assert_eq!(parse_request(&[0, 3]), Err(Rejection::UnsupportedOpcode));
        assert_eq!(
            parse_request(&[0, 127, 1, 2]),
            Err(Rejection::UnsupportedOpcode)
        );
        let answer = unsupported_opcode(&[0, 3], 9);
        assert_eq!(answer, vec![0, 131, 0, 5, 0, 0, 0, 9]);
        let long = unsupported_opcode(&[0, 9, 0, 0, 0, 0, 0, 0, 0xde, 0xad], 1);
        assert_eq!(&long[..4], &[0, 137, 0, 5]);
        assert_eq!(
            &long[8..],
            &[0xde, 0xad],
            "the rest of the request is echoed"
        );
        assert_eq!(unsupported_opcode(&vec![0; 4000], 0).len(), MAX_ECHO);
    }
}
