//! The `masq` command (to be written).
fn main() {}
