//! Decoding DHCP messages from the LAN without letting the decoder take the server down.
//!
//! dhcproto decodes options by trusting their length bytes in places: `debug_assert!`s on
//! fixed lengths (Rapid Commit, Client Network Interface, the bulk lease query times) and a
//! `len - 3` (Client FQDN) that overflows on a short option. In builds with debug assertions
//! or overflow checks those panic, and any LAN host could stop the DHCP server with one
//! datagram (found by `fuzz/fuzz_targets/dhcp.rs`). So the options are checked against those
//! lengths first, and the decoder runs under `catch_unwind` for whatever else it trusts; a
//! message that fails either is malformed, like one the decoder rejects.

use std::panic::{AssertUnwindSafe, catch_unwind};

use dhcproto::v4::{Decodable, Message};

/// Where the options start: the fixed BOOTP header (236 bytes) and the magic cookie.
const OPTIONS_AT: usize = 240;

/// Why a datagram is not a usable DHCP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// An option's length is not one its kind allows.
    OptionLength {
        /// The option code.
        code: u8,
        /// Its length byte.
        len: u8,
    },
    /// The decoder refused it (its message).
    Rejected(String),
    /// The decoder panicked on it.
    DecoderPanicked,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::OptionLength { code, len } => {
                write!(f, "option {code} has an impossible length {len}")
            }
            Malformed::Rejected(e) => write!(f, "{e}"),
            Malformed::DecoderPanicked => write!(f, "the decoder could not parse it"),
        }
    }
}

/// Decodes a datagram from the LAN as a DHCPv4 message.
pub fn message(bytes: &[u8]) -> Result<Message, Malformed> {
    check_option_lengths(bytes)?;
    match catch_unwind(AssertUnwindSafe(|| Message::from_bytes(bytes))) {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(Malformed::Rejected(e.to_string())),
        Err(_) => Err(Malformed::DecoderPanicked),
    }
}

/// Walks the options (code, length, value) and refuses lengths the decoder would trust. An
/// option may come in several pieces that the decoder joins (RFC 3396), so the lengths of one
/// code are added up before they are judged.
fn check_option_lengths(bytes: &[u8]) -> Result<(), Malformed> {
    let mut totals = [0usize; 256];
    let mut seen = [false; 256];
    let mut rest = bytes.get(OPTIONS_AT..).unwrap_or_default();
    while let Some((&code, tail)) = rest.split_first() {
        match code {
            0 => {
                rest = tail;
                continue;
            }
            255 => break,
            _ => {}
        }
        let Some((&len, tail)) = tail.split_first() else {
            break;
        };
        totals[usize::from(code)] += usize::from(len);
        seen[usize::from(code)] = true;
        rest = tail.get(usize::from(len)..).unwrap_or_default();
    }
    for (code, &total) in totals.iter().enumerate() {
        if !seen[code] {
            continue;
        }
        let ok = match code {
            80 => total == 0,        // Rapid Commit (RFC 4039)
            81 => total >= 3,        // Client FQDN (RFC 4702)
            94 => total == 3,        // Client Network Interface Identifier (RFC 4578)
            151 => total >= 1,       // status-code (RFC 6926)
            152..=155 => total == 4, // bulk lease query times (RFC 6926)
            _ => true,
        };
        if !ok {
            return Err(Malformed::OptionLength {
                code: code as u8,
                len: u8::try_from(total).unwrap_or(u8::MAX),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use dhcproto::v4::{DhcpOption, Encodable, MessageType};

    use super::*;

    fn discover() -> Vec<u8> {
        let mut m = Message::default();
        m.opts_mut()
            .insert(DhcpOption::MessageType(MessageType::Discover));
        m.to_vec().unwrap()
    }

    /// `discover()` with one more option (code, len, value) before the end option.
    fn with_option(code: u8, value: &[u8], len: u8) -> Vec<u8> {
        let mut bytes = discover();
        let end = bytes.iter().rposition(|&b| b == 255).unwrap();
        let mut opt = vec![code, len];
        opt.extend_from_slice(value);
        bytes.splice(end..end, opt);
        bytes
    }

    #[test]
    fn a_plain_message_decodes() {
        let m = message(&discover()).unwrap();
        assert_eq!(m.opts().msg_type(), Some(MessageType::Discover));
    }

    #[test]
    fn lengths_the_decoder_would_trust_are_refused() {
        for (code, value) in [
            (80u8, &[1u8][..]),
            (81, &[0, 0][..]),
            (94, &[1, 2][..]),
            (152, &[0; 3][..]),
        ] {
            let bytes = with_option(code, value, value.len() as u8);
            assert_eq!(
                message(&bytes).unwrap_err(),
                Malformed::OptionLength {
                    code,
                    len: value.len() as u8
                },
                "option {code}"
            );
        }
        assert!(message(&with_option(94, &[1, 2, 3], 3)).is_ok());
        // Two pieces of option 94 that the decoder would join into six bytes.
        let twice = with_option(94, &[1, 2, 3], 3);
        let end = twice.iter().rposition(|&b| b == 255).unwrap();
        let mut twice = twice;
        twice.splice(end..end, [94, 3, 4, 5, 6]);
        assert_eq!(
            message(&twice).unwrap_err(),
            Malformed::OptionLength { code: 94, len: 6 }
        );
    }

    #[test]
    fn short_or_garbage_input_is_an_error_not_a_panic() {
        assert!(message(&[]).is_err());
        let _ = message(&[1; 300]);
        let mut truncated = discover();
        truncated.truncate(245);
        let _ = message(&truncated);
    }
}
