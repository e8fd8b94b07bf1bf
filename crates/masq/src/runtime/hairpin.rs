//! Keeps hairpinning pointed at the uplink's current IPv4 address: the steering (the OS's
//! part, `masq_platform::set_hairpin_public`) and the engine's alias for it
//! (`Engine::set_hairpin`). Called when sharing starts and whenever the uplink changes.
//!
//! Hairpinning is a convenience on top of masquerading: if the steering cannot be pointed,
//! LAN hosts reach the gateway's public address as before (the host itself answers), so the
//! failure is logged, not fatal.

use masq_engine::{Engine, Hairpin};
use masq_platform::sockets::Uplink;
use tracing::{info, warn};

/// Points hairpinning at `uplink`'s IPv4 address (or turns it off without one).
pub(crate) fn point(engine: &mut Engine, adapter: &str, uplink: &Uplink) {
    let Some(alias) = masq_platform::HAIRPIN_ALIAS_V4 else {
        return;
    };
    match masq_platform::set_hairpin_public(adapter, uplink.ipv4) {
        Ok(()) => {
            let hairpin = uplink.ipv4.map(|public| Hairpin { alias, public });
            engine.set_hairpin(hairpin);
            if let Some(h) = hairpin {
                info!(public = %h.public, "hairpinning: LAN hosts reach forwards and mappings through the public address");
            }
        }
        Err(e) => {
            engine.set_hairpin(None);
            warn!(error = %e, "hairpinning is off: LAN hosts cannot reach forwards through the public address");
        }
    }
}
