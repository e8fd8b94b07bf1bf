//! The app's own log, kept in memory for the Logs screen.
//!
//! A `tracing` layer copies every event into a bounded ring buffer with a sequence number;
//! the window asks for the lines after the last number it has. Lines also go to stderr
//! (filtered by `MASQ_LOG`, as for the CLI).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Lines kept; older ones are dropped (the window keeps its own copy of what it has shown).
const CAPACITY: usize = 2_000;

/// One log line as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    /// Increases by one per line, so the window can ask for what is new.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// `ERROR` … `TRACE`.
    pub level: &'static str,
    /// The module that logged it.
    pub target: String,
    /// The message followed by its fields as `key=value`.
    pub message: String,
}

/// The ring buffer behind the Logs screen.
#[derive(Debug, Default)]
pub struct LogBuffer {
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    lines: VecDeque<LogLine>,
    next_seq: u64,
}

impl LogBuffer {
    /// Appends one line, dropping the oldest when full.
    pub fn push(&self, level: Level, target: &str, message: String) {
        let mut ring = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        ring.next_seq += 1;
        let line = LogLine {
            seq: ring.next_seq,
            time_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            level: level.as_str(),
            target: target.to_owned(),
            message,
        };
        if ring.lines.len() == CAPACITY {
            ring.lines.pop_front();
        }
        ring.lines.push_back(line);
    }

    /// Lines with a sequence number above `after`, oldest first.
    pub fn after(&self, after: u64) -> Vec<LogLine> {
        let ring = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        ring.lines
            .iter()
            .filter(|l| l.seq > after)
            .cloned()
            .collect()
    }
}

/// Installs stderr logging plus the buffer layer; returns the buffer.
pub fn init() -> Arc<LogBuffer> {
    let buffer = Arc::new(LogBuffer::default());
    let filter = EnvFilter::try_from_env("MASQ_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = BufferLayer {
        buffer: Arc::clone(&buffer),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(layer)
        .try_init();
    if let Err(e) = installed {
        eprintln!("masq-gui: logging was already set up ({e}); the Logs screen stays empty");
    }
    buffer
}

struct BufferLayer {
    buffer: Arc<LogBuffer>,
}

impl<S: Subscriber> Layer<S> for BufferLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = MessageText::default();
        event.record(&mut text);
        let meta = event.metadata();
        self.buffer
            .push(*meta.level(), meta.target(), text.finish());
    }
}

/// Collects an event's message and fields into one line.
#[derive(Default)]
struct MessageText {
    message: String,
    fields: String,
}

impl MessageText {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else {
            format!("{}{}", self.message, self.fields)
        }
    }
}

impl Visit for MessageText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_newest_and_answers_after() {
        let b = LogBuffer::default();
        for i in 0..(CAPACITY + 5) {
            b.push(Level::INFO, "t", format!("line {i}"));
        }
        let all = b.after(0);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].seq, 6);
        assert_eq!(all.last().map(|l| l.seq), Some((CAPACITY + 5) as u64));
        let tail = b.after((CAPACITY + 3) as u64);
        assert_eq!(tail.len(), 2);
        assert_eq!(tail[0].message, format!("line {}", CAPACITY + 3));
    }

    #[test]
    fn layer_records_message_and_fields() {
        let buffer = Arc::new(LogBuffer::default());
        let subscriber = tracing_subscriber::registry().with(BufferLayer {
            buffer: Arc::clone(&buffer),
        });
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                socket = "/run/masq/control.sock",
                "masq service not reachable"
            );
        });
        let lines = buffer.after(0);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].level, "WARN");
        assert_eq!(
            lines[0].message,
            "masq service not reachable socket=/run/masq/control.sock"
        );
    }
}
