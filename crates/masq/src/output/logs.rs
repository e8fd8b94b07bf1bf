//! The daemon's log lines, one per line as its stderr would have shown them (times in UTC).

use masq_control::LogLine;

use super::wire_name;

/// Renders `lines` oldest first, or a note when there are none.
pub fn render_logs(lines: &[LogLine]) -> String {
    if lines.is_empty() {
        return "no log lines kept yet\n".to_owned();
    }
    let mut out = String::new();
    for l in lines {
        out.push_str(&format!(
            "{} {:>5} {}: {}\n",
            utc_time(l.unix_ms),
            wire_name(&l.level).to_uppercase(),
            l.target,
            l.message
        ));
    }
    out
}

/// `HH:MM:SS.mmm` of the UTC day.
fn utc_time(unix_ms: u64) -> String {
    let ms_of_day = unix_ms % 86_400_000;
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    format!("{h:02}:{m:02}:{:02}.{:03}Z", rest / 1000, rest % 1000)
}

#[cfg(test)]
mod tests {
    use masq_control::LogLevel;

    use super::*;

    #[test]
    fn one_line_per_entry_with_time_level_and_target() {
        let text = render_logs(&[LogLine {
            unix_ms: 1_765_100_000_123,
            level: LogLevel::Warn,
            target: "masq::runtime".into(),
            message: "uplink changed".into(),
        }]);
        assert_eq!(text, "09:33:20.123Z  WARN masq::runtime: uplink changed\n");
        assert!(render_logs(&[]).starts_with("no log lines"));
    }
}
