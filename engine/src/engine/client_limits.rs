//! Per-client limits changed while the engine runs (the user set a device's limit in the
//! desktop app); the limits themselves are enforced in [`crate::shaper`] and at admission.

use std::time::Instant;

use super::Engine;
use crate::{ClientLimit, Config, ConfigError};

impl Engine {
    /// Replaces the per-client limits while running (the user changed a device's limit).
    /// New rates apply to the next command; flows a host already holds beyond a lowered flow
    /// cap stay, and only new ones are refused. Checked like the config's limits: an invalid
    /// list changes nothing.
    pub fn set_client_limits(
        &mut self,
        now: Instant,
        limits: Vec<ClientLimit>,
    ) -> Result<(), ConfigError> {
        let candidate = Config {
            client_limits: limits,
            ..self.cfg.clone()
        };
        candidate.validate()?;
        self.shaper.set_limits(&candidate.client_limits, now);
        self.cfg.client_limits = candidate.client_limits;
        Ok(())
    }
}
