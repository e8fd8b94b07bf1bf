//! What cleanup does about each journaled change, and what `start` does about a journal left
//! by an earlier run: the decisions behind crash safety on Windows.
//!
//! The danger after a crash is the steering routes: while they exist, every destination is
//! routed into masq's adapter, and with nobody reading it the host is offline. Two things
//! remove them: the adapter vanishing (Windows deletes an interface's routes with it; the
//! Wintun device of a dead process is removed), and cleanup, which deletes them explicitly
//! whenever their interface still exists. `start` runs cleanup itself when the journal's
//! owner is dead, so restarting the service (or rebooting into it) repairs the host without
//! anyone typing `masq down`.

use super::steps::Step;

/// The action that undoes one step, given whether its interface still exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Undo {
    /// Nothing left to undo: the interface (and with it the change) is gone.
    AlreadyGone,
    /// Delete masq's adapter (which takes its routes and address along).
    DeleteAdapter,
    /// Delete an address masq added.
    DeleteAddress,
    /// Delete a steering route.
    DeleteRoute,
    /// Put ForwardingEnabled back to this value.
    SetForwarding(bool),
}

/// How to undo `step` when its interface does (`present`) or does not exist any more.
pub(crate) fn undo_for(step: &Step, present: bool) -> Undo {
    if !present {
        return Undo::AlreadyGone;
    }
    match step {
        Step::AdapterCreated { .. } => Undo::DeleteAdapter,
        Step::AddressAdded { .. } => Undo::DeleteAddress,
        Step::RouteAdded { .. } => Undo::DeleteRoute,
        Step::ForwardingChanged { old, .. } => Undo::SetForwarding(*old),
    }
}

/// The interface a step is about.
pub(crate) fn interface_of(step: &Step) -> &str {
    match step {
        Step::AdapterCreated { name } => name,
        Step::AddressAdded { iface, .. }
        | Step::RouteAdded { iface, .. }
        | Step::ForwardingChanged { iface, .. } => iface,
    }
}

/// What `start` does when a journal from an earlier run is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StaleJournal {
    /// Its owner is dead: undo its changes now, then start.
    CleanUpFirst,
    /// Its owner still runs (another masq is sharing): refuse.
    Refuse,
}

/// Decides what to do about a journal written by `owner_pid`.
pub(crate) fn on_stale_journal(owner_pid: u32, own_pid: u32, owner_alive: bool) -> StaleJournal {
    if owner_alive && owner_pid != own_pid {
        StaleJournal::Refuse
    } else {
        StaleJournal::CleanUpFirst
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn route() -> Step {
        Step::RouteAdded {
            iface: "masq".into(),
            destination: Ipv4Addr::UNSPECIFIED,
            prefix: 1,
        }
    }

    #[test]
    fn routes_on_a_vanished_adapter_are_already_gone() {
        assert_eq!(undo_for(&route(), false), Undo::AlreadyGone);
        assert_eq!(undo_for(&route(), true), Undo::DeleteRoute);
    }

    #[test]
    fn forwarding_is_restored_to_its_old_value() {
        for old in [false, true] {
            let step = Step::ForwardingChanged {
                iface: "Ethernet".into(),
                old,
            };
            assert_eq!(undo_for(&step, true), Undo::SetForwarding(old));
            assert_eq!(interface_of(&step), "Ethernet");
        }
    }

    #[test]
    fn every_step_names_its_interface() {
        let adapter = Step::AdapterCreated {
            name: "masq".into(),
        };
        assert_eq!(undo_for(&adapter, true), Undo::DeleteAdapter);
        assert_eq!(interface_of(&adapter), "masq");
        let addr = Step::AddressAdded {
            iface: "Ethernet".into(),
            address: Ipv4Addr::new(192, 168, 137, 1),
            prefix: 24,
        };
        assert_eq!(undo_for(&addr, true), Undo::DeleteAddress);
        assert_eq!(interface_of(&route()), "masq");
    }

    #[test]
    fn a_dead_owner_is_cleaned_up_a_live_one_refused() {
        assert_eq!(
            on_stale_journal(100, 200, false),
            StaleJournal::CleanUpFirst
        );
        assert_eq!(on_stale_journal(100, 200, true), StaleJournal::Refuse);
        assert_eq!(
            on_stale_journal(200, 200, true),
            StaleJournal::CleanUpFirst,
            "our own pid (reused after a reboot) is not another owner"
        );
    }
}
