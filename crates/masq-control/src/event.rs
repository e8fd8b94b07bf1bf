//! What a subscription pushes: periodic updates carrying only what changed.

use serde::{Deserialize, Serialize};

use masq_vocab::FlowId;

use crate::translation::{InboundAttempt, Translation};

use crate::response::StatusReport;

/// One push on a subscription (the envelope's `event` member, tagged by `"type"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The state at one instant, relative to the previous update on the same subscription.
    ///
    /// The first update after subscribing carries every translation in `added` and every
    /// inbound attempt, so a client can build its view from updates alone.
    Update {
        /// The full status (small, so always sent whole).
        status: StatusReport,
        /// Translations added, changed or removed since the previous update.
        translations: TranslationDelta,
        /// Inbound attempts that are new or were seen again since the previous update.
        inbound: Vec<InboundAttempt>,
    },
}

/// How the set of live translations changed between two updates.
///
/// A translation counts as `updated` when anything but its clock fields (`age_s`, `idle_s`,
/// `expires_in_s`) changed: between updates those advance at wall-clock speed, so a client
/// extrapolates them instead of receiving every flow every second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranslationDelta {
    /// Translations not present in the previous update.
    pub added: Vec<Translation>,
    /// Translations whose state, endpoints or counters changed.
    pub updated: Vec<Translation>,
    /// Translations that ended since the previous update.
    pub removed: Vec<FlowId>,
}

impl TranslationDelta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}
