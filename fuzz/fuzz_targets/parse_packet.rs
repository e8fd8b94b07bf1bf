//! Fuzz target: the adapter-packet parser must accept or reject any byte sequence without
//! panicking (the engine's no-panic contract starts here).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = masq_engine::fuzz_parse(data);
});
