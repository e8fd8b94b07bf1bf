//! Human output: aligned tables, humanized numbers, plain-language explanations.
//!
//! Every renderer returns a `String` so it can be tested and so `--watch` can redraw a whole
//! screen at once; [`emit`] is the one place that writes to stdout. JSON output does not come
//! through here: it is the control API's serde form, printed as is.

mod clients;
mod forwards;
mod inbound;
mod logs;
mod roaming;
mod status;
mod table;
mod translations;

use std::io::{self, Write};

pub use clients::render_clients;
pub use forwards::render_forwards;
pub use inbound::render_inbound;
pub use logs::render_logs;
pub use status::render_status;
pub use translations::render_translations;

/// Writes `text` to stdout; a closed pipe (`masq translations | head`) ends the program
/// quietly with success, as for any well-behaved filter.
pub fn emit(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// `1536` → `1.5 KiB`: one decimal below 10 units, whole units above.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Seconds as the two most significant units: `42s`, `3m05s`, `2h04m`, `3d02h`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".to_owned();
    }
    let s = secs as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// The snake_case wire name of a serde enum value, for display.
pub fn wire_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_humanized() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(150 * 1024), "150 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(bytes(u64::MAX), "16384 PiB");
    }

    #[test]
    fn durations_use_two_units() {
        assert_eq!(duration(0.4), "0s");
        assert_eq!(duration(42.0), "42s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(7440.0), "2h04m");
        assert_eq!(duration(3.0 * 86_400.0 + 7200.0), "3d02h");
        assert_eq!(duration(f64::NAN), "-");
    }

    #[test]
    fn wire_names_are_snake_case() {
        assert_eq!(
            wire_name(&masq_engine::DropReason::BadChecksum),
            "bad_checksum"
        );
    }
}
