//! Fuzz target: one line from a local control client, as the daemon decodes it. Whatever is
//! sent must become a request or a clear refusal (never a panic), and a decoded request must
//! survive encoding and decoding again unchanged (the CLI and GUI send what the daemon
//! reads).

#![no_main]

use libfuzzer_sys::fuzz_target;
use masq_control::envelope::{RequestEnvelope, decode_request};

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = decode_request(data) else {
        return;
    };
    let line = serde_json::to_vec(&envelope).expect("a decoded request encodes");
    let again: RequestEnvelope = serde_json::from_slice(&line).expect("and decodes again");
    assert_eq!(again, envelope);
});
