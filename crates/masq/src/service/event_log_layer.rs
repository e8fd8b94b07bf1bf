//! The Windows service's log lines in the Event Log (Application, source `masq`), where an
//! administrator looks first: errors, warnings and what sharing did (info). Debug and trace
//! lines stay in the control API's ring (`masq logs`), which keeps everything the filter lets
//! through.

use std::sync::OnceLock;

use masq_platform::event_log::{EventKind, EventLog};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::runtime::log_ring::event_text;

/// Where the lines go, once the service has opened the source; until then (and in every
/// process that is not the service) the layer writes nothing.
static SINK: OnceLock<EventLog> = OnceLock::new();

/// Starts writing to the Event Log; called by the service when Windows starts it.
pub(crate) fn enable() {
    match EventLog::open() {
        Some(log) => {
            let _ = SINK.set(log);
        }
        None => tracing::warn!(
            "cannot open the Event Log source `masq`; the service's lines stay readable with `masq logs`"
        ),
    }
}

/// The Event Log's kind for a tracing level; `None` for lines too detailed for it.
fn kind(level: Level) -> Option<EventKind> {
    match level {
        Level::ERROR => Some(EventKind::Error),
        Level::WARN => Some(EventKind::Warning),
        Level::INFO => Some(EventKind::Information),
        _ => None,
    }
}

/// The tracing layer that copies lines into the Event Log.
pub(crate) struct EventLogLayer;

impl<S: Subscriber> Layer<S> for EventLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(sink) = SINK.get() else {
            return;
        };
        let meta = event.metadata();
        if let Some(kind) = kind(*meta.level()) {
            sink.write(kind, &format!("{}: {}", meta.target(), event_text(event)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_an_administrator_needs_reaches_the_event_log() {
        assert_eq!(kind(Level::ERROR), Some(EventKind::Error));
        assert_eq!(kind(Level::WARN), Some(EventKind::Warning));
        assert_eq!(kind(Level::INFO), Some(EventKind::Information));
        assert_eq!(kind(Level::DEBUG), None);
        assert_eq!(kind(Level::TRACE), None);
    }

    #[test]
    fn an_open_source_takes_events() {
        // Under wine (CI) and on Windows the source opens even unregistered (Windows then
        // shows the text without a message file); writing must not fail or block.
        let log = EventLog::open().expect("the Event Log source opens");
        log.write(
            EventKind::Information,
            "masq unit test: event log reachable",
        );
    }
}
