//! DNS message helpers shared by the forwarder's parts: error answers, the UDP size rule,
//! and the TTL arithmetic of cached answers.
//!
//! Truncation (RFC 1035 §4.2.1, RFC 6891 §7): a UDP answer must fit the client's limit —
//! 512 bytes, or the EDNS payload size it advertised. An answer that does not fit is sent
//! as an empty answer with TC set, and the client asks again over TCP.

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};

/// Largest UDP answer masq sends, whatever a client advertises (RFC 9715's advice against
/// fragmentation on typical paths suggests no more than this).
pub const MAX_UDP_ANSWER: u16 = 1232;

/// The answer to `query` with only a response code (SERVFAIL, FORMERR, NOTIMP, …).
pub fn error_answer(query: &Message, code: ResponseCode) -> Message {
    let mut m = Message::error_msg(query.metadata.id, query.metadata.op_code, code);
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.add_queries(query.queries.iter().cloned());
    m
}

/// FORMERR for bytes that do not parse, if they are long enough to carry an id.
pub fn formerr_for_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
    let id = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
    Message::error_msg(id, OpCode::Query, ResponseCode::FormErr)
        .to_vec()
        .ok()
}

/// The UDP size limit the client of `query` accepts.
pub fn udp_limit(query: &Message) -> u16 {
    query.max_payload().min(MAX_UDP_ANSWER)
}

/// Encodes `answer` for a UDP client with limit `limit`; truncated (TC, no records) if too big.
pub fn encode_for_udp(answer: &Message, limit: u16) -> Option<Vec<u8>> {
    let full = answer.to_vec().ok()?;
    if full.len() <= usize::from(limit) {
        return Some(full);
    }
    let mut truncated = answer.truncate();
    truncated.metadata.message_type = MessageType::Response;
    truncated.to_vec().ok()
}

/// Whether `query` is something the forwarder serves: a standard query with one question.
pub fn is_plain_query(query: &Message) -> bool {
    query.metadata.message_type == MessageType::Query
        && query.metadata.op_code == OpCode::Query
        && query.queries.len() == 1
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use hickory_proto::op::{Edns, Query};
    use hickory_proto::rr::rdata::{A, TXT};
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    use super::*;

    fn query(edns: Option<u16>) -> Message {
        let mut q = Message::new(7, MessageType::Query, OpCode::Query);
        q.add_query(Query::query(
            Name::from_ascii("big.example.test.").unwrap(),
            RecordType::TXT,
        ));
        if let Some(size) = edns {
            let mut e = Edns::new();
            e.set_max_payload(size);
            q.set_edns(e);
        }
        q
    }

    fn big_answer() -> Message {
        let q = query(None);
        let mut a = Message::response(7, OpCode::Query);
        a.add_queries(q.queries.clone());
        for i in 0..20 {
            a.add_answer(Record::from_rdata(
                Name::from_ascii("big.example.test.").unwrap(),
                60,
                RData::TXT(TXT::new(vec![format!("{i:02}-{}", "x".repeat(60))])),
            ));
        }
        a
    }

    #[test]
    fn limits_follow_edns_with_a_ceiling() {
        assert_eq!(udp_limit(&query(None)), 512);
        assert_eq!(udp_limit(&query(Some(1000))), 1000);
        assert_eq!(udp_limit(&query(Some(4096))), MAX_UDP_ANSWER);
        assert_eq!(udp_limit(&query(Some(100))), 512);
    }

    #[test]
    fn oversized_udp_answers_are_truncated_with_tc() {
        let a = big_answer();
        assert!(a.to_vec().unwrap().len() > 512);
        let wire = encode_for_udp(&a, 512).unwrap();
        assert!(wire.len() <= 512);
        let back = Message::from_vec(&wire).unwrap();
        assert!(back.metadata.truncation);
        assert_eq!(back.metadata.message_type, MessageType::Response);
        assert_eq!(back.metadata.id, 7);
        assert!(back.answers.is_empty());
        assert_eq!(back.queries.len(), 1);

        let mut small = Message::response(9, OpCode::Query);
        small.add_answer(Record::from_rdata(
            Name::from_ascii("a.test.").unwrap(),
            60,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
        ));
        let back = Message::from_vec(&encode_for_udp(&small, 512).unwrap()).unwrap();
        assert!(!back.metadata.truncation);
        assert_eq!(back.answers.len(), 1);
        let back = Message::from_vec(&encode_for_udp(&a, 4000).unwrap()).unwrap();
        assert_eq!(back.answers.len(), 20, "fits a larger limit");
    }

    #[test]
    fn error_answers_echo_id_and_question() {
        let q = query(None);
        let e = error_answer(&q, ResponseCode::ServFail);
        assert_eq!(e.metadata.id, 7);
        assert_eq!(e.metadata.response_code, ResponseCode::ServFail);
        assert_eq!(e.queries, q.queries);
        let f = Message::from_vec(&formerr_for_bytes(&[0x12, 0x34, 0xff]).unwrap()).unwrap();
        assert_eq!(f.metadata.id, 0x1234);
        assert_eq!(f.metadata.response_code, ResponseCode::FormErr);
        assert_eq!(formerr_for_bytes(&[1]), None);
        assert!(is_plain_query(&q));
        assert!(!is_plain_query(&e));
    }
}
