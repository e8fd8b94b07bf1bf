//! The questions the control API and the LAN's port-mapping server ask the running engine,
//! as messages to the data-path loop, which answers them between packets (`loop_parts.rs`).
//! Apart from the loop so that those who ask need not know how it answers.

use masq_engine::{
    ClientLimit, ConfigError, EngineStatus, ForwardError, ForwardKey, ForwardSpec, ForwardView,
    InboundAttempt, Translation,
};
use tokio::sync::oneshot;

/// Questions the control API asks the running engine.
#[derive(Debug)]
pub(crate) enum Query {
    Status(oneshot::Sender<EngineStatus>),
    Translations(oneshot::Sender<Vec<Translation>>),
    Inbound(oneshot::Sender<Vec<InboundAttempt>>),
    ClearInbound,
    Forwards(oneshot::Sender<Vec<ForwardView>>),
    ChangeForward(ForwardChange, oneshot::Sender<Result<(), ForwardError>>),
    /// New per-client limits, applied at once (the user edited a device's limit).
    SetClientLimits(Vec<ClientLimit>, oneshot::Sender<Result<(), ConfigError>>),
    /// A NAT-PMP/PCP request, decided against the forward table (`port_mapping.rs`).
    PortMap(masq_services::portmap::listen::Exchange),
}

/// A change to the port forwards of the running engine.
#[derive(Debug, Clone)]
pub(crate) enum ForwardChange {
    Add(ForwardSpec),
    /// Replace the forward with this key by the spec (an edit).
    Update(ForwardKey, ForwardSpec),
    Remove(ForwardKey),
    SetEnabled(ForwardKey, bool),
}
