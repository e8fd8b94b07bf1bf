//! The last lines the process logged, kept in memory for the control API's `logs` request:
//! the Windows service has no stderr anyone reads, and the desktop app cannot see the
//! daemon's. A tracing layer beside the stderr writer copies every line the `MASQ_LOG`
//! filter lets through into a bounded ring; the oldest lines fall out.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use masq_control::{LogLevel, LogLine, MAX_LOG_LINES};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Longest message kept per line; longer ones are cut (a log line is not a data channel).
const MAX_MESSAGE: usize = 2048;

static RING: Mutex<VecDeque<LogLine>> = Mutex::new(VecDeque::new());

/// The tracing layer that fills the ring.
pub struct RingLayer;

/// An event's message followed by its other fields as `key=value`, cut to a readable length;
/// the text every log sink of the daemon keeps.
pub(crate) fn event_text(event: &Event<'_>) -> String {
    let mut text = Text::default();
    event.record(&mut text);
    text.finish()
}

impl<S: Subscriber> Layer<S> for RingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        push(LogLine {
            unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            level: level(*meta.level()),
            target: meta.target().to_owned(),
            message: event_text(event),
        });
    }
}

fn level(l: Level) -> LogLevel {
    match l {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        Level::TRACE => LogLevel::Trace,
    }
}

fn push(line: LogLine) {
    let mut ring = RING.lock().unwrap_or_else(PoisonError::into_inner);
    if ring.len() >= MAX_LOG_LINES as usize {
        ring.pop_front();
    }
    ring.push_back(line);
}

/// The newest `limit` lines at least as serious as `level`, oldest first.
pub fn recent(level: Option<LogLevel>, limit: Option<u32>) -> Vec<LogLine> {
    let limit = limit.unwrap_or(MAX_LOG_LINES).min(MAX_LOG_LINES) as usize;
    let ring = RING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut lines: Vec<LogLine> = ring
        .iter()
        .rev()
        .filter(|l| level.is_none_or(|min| l.level <= min))
        .take(limit)
        .cloned()
        .collect();
    lines.reverse();
    lines
}

/// An event's message followed by its other fields as `key=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        let mut out = self.message;
        if !self.fields.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&self.fields);
        }
        if out.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
        }
        out
    }
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn lines_are_kept_bounded_filtered_and_in_order() {
        let subscriber = tracing_subscriber::registry().with(RingLayer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(uplink = "wlan0", "ring test started");
            for i in 0..(MAX_LOG_LINES + 5) {
                tracing::debug!(i, "ring test filler");
            }
            tracing::warn!("ring test warning {}", 7);
            tracing::error!("ring test last");
        });
        let all = recent(None, None);
        assert_eq!(all.len(), MAX_LOG_LINES as usize, "bounded");
        assert_eq!(
            all.last().map(|l| l.message.as_str()),
            Some("ring test last")
        );
        let serious = recent(Some(LogLevel::Warn), None);
        assert!(serious.iter().all(|l| l.level <= LogLevel::Warn));
        assert!(
            serious.iter().any(|l| l.message == "ring test warning 7"),
            "{serious:?}"
        );
        let two = recent(None, Some(2));
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].message, "ring test last", "the newest, oldest first");
        assert_eq!(two[0].message, "ring test warning 7", "{two:?}");
        assert!(
            !all.iter().any(|l| l.message.contains("started")),
            "the oldest fell out"
        );
        assert!(
            all[0].message.starts_with("ring test filler i="),
            "fields kept: {all:?}"
        );
    }
}
