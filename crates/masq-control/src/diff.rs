//! The pure diff behind subscriptions: two snapshots in, what changed out.
//!
//! Kept free of I/O and time so that it is tested directly; the server keeps the previous
//! snapshot per subscription and calls these once per tick.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use masq_vocab::{FlowId, Protocol};

use crate::translation::{InboundAttempt, RefusalReason, Translation};

use crate::event::TranslationDelta;

/// What changed from `previous` to `current`; with an empty `previous` everything is `added`.
///
/// Output order follows `current` (and `previous` for `removed`), so equal inputs give equal
/// outputs.
pub fn diff_translations(previous: &[Translation], current: &[Translation]) -> TranslationDelta {
    let before: BTreeMap<FlowId, &Translation> = previous.iter().map(|t| (t.id, t)).collect();
    let now: BTreeMap<FlowId, &Translation> = current.iter().map(|t| (t.id, t)).collect();
    let mut delta = TranslationDelta::default();
    for t in current {
        match before.get(&t.id) {
            None => delta.added.push(t.clone()),
            Some(old) if !same_apart_from_clock(old, t) => delta.updated.push(t.clone()),
            Some(_) => {}
        }
    }
    delta.removed = previous
        .iter()
        .map(|t| t.id)
        .filter(|id| !now.contains_key(id))
        .collect();
    delta
}

/// Compares every field except the ones that advance with the clock alone.
///
/// Destructures exhaustively so that a field added to [`Translation`] must be decided on here.
fn same_apart_from_clock(a: &Translation, b: &Translation) -> bool {
    let Translation {
        id,
        protocol,
        lan,
        remote,
        gateway,
        state,
        inbound,
        bytes_out,
        bytes_in,
        packets_out,
        packets_in,
        age_s: _,
        idle_s: _,
        expires_in_s: _,
        tcp,
    } = a;
    *id == b.id
        && *protocol == b.protocol
        && *lan == b.lan
        && *remote == b.remote
        && *gateway == b.gateway
        && *state == b.state
        && *inbound == b.inbound
        && *bytes_out == b.bytes_out
        && *bytes_in == b.bytes_in
        && *packets_out == b.packets_out
        && *packets_in == b.packets_in
        && *tcp == b.tcp
}

/// The identity of a merged inbound entry in the engine's log.
type InboundKey = (Protocol, SocketAddr, SocketAddr, RefusalReason);

fn inbound_key(a: &InboundAttempt) -> InboundKey {
    (a.protocol, a.remote, a.gateway, a.reason)
}

/// Inbound entries of `current` that are new or were seen again since `previous`.
///
/// An entry was seen again when its count changed. An entry whose `first_seen_s` went down
/// is a new one with the same identity (the log was cleared or the old one evicted), so it is
/// reported even if its count happens to match.
pub fn diff_inbound(
    previous: &[InboundAttempt],
    current: &[InboundAttempt],
) -> Vec<InboundAttempt> {
    let before: BTreeMap<InboundKey, &InboundAttempt> =
        previous.iter().map(|a| (inbound_key(a), a)).collect();
    current
        .iter()
        .filter(|a| match before.get(&inbound_key(a)) {
            None => true,
            Some(old) => old.count != a.count || a.first_seen_s < old.first_seen_s,
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use masq_vocab::{GatewayEndpoint, LanEndpoint, RemoteEndpoint};

    use super::*;

    fn flow(id: u64, bytes_out: u64, age_s: f64) -> Translation {
        Translation {
            id: FlowId(id),
            protocol: Protocol::Tcp,
            lan: LanEndpoint("192.168.137.10:40000".parse().unwrap()),
            remote: Some(RemoteEndpoint("198.51.100.7:443".parse().unwrap())),
            gateway: Some(GatewayEndpoint("203.0.113.2:51000".parse().unwrap())),
            state: "established".into(),
            inbound: false,
            bytes_out,
            bytes_in: 0,
            packets_out: 1,
            packets_in: 0,
            age_s,
            idle_s: age_s / 2.0,
            expires_in_s: 100.0 - age_s,
            tcp: None,
        }
    }

    fn knock(port: u16, count: u64, first_seen_s: f64) -> InboundAttempt {
        InboundAttempt {
            protocol: Protocol::Udp,
            remote: "198.51.100.9:5000".parse().unwrap(),
            gateway: format!("203.0.113.2:{port}").parse().unwrap(),
            reason: RefusalReason::NoTranslation,
            explanation: "no translation".into(),
            count,
            first_seen_s,
            last_seen_s: 0.0,
        }
    }

    #[test]
    fn first_snapshot_is_all_added() {
        let current = vec![flow(1, 10, 1.0), flow(2, 20, 2.0)];
        let d = diff_translations(&[], &current);
        assert_eq!(d.added, current);
        assert!(d.updated.is_empty() && d.removed.is_empty());
        assert_eq!(diff_inbound(&[], &[knock(1, 1, 0.0)]).len(), 1);
    }

    #[test]
    fn clock_only_changes_are_not_updates() {
        let d = diff_translations(&[flow(1, 10, 1.0)], &[flow(1, 10, 2.0)]);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn added_updated_removed() {
        let previous = vec![flow(1, 10, 1.0), flow(2, 20, 1.0), flow(3, 30, 1.0)];
        let mut changed_state = flow(3, 30, 2.0);
        changed_state.state = "fin_wait".into();
        let current = vec![flow(2, 25, 2.0), changed_state.clone(), flow(4, 0, 0.0)];
        let d = diff_translations(&previous, &current);
        assert_eq!(d.added, vec![flow(4, 0, 0.0)]);
        assert_eq!(d.updated, vec![flow(2, 25, 2.0), changed_state]);
        assert_eq!(d.removed, vec![FlowId(1)]);
    }

    #[test]
    fn inbound_reports_only_new_or_seen_again() {
        let previous = vec![knock(1, 1, 5.0), knock(2, 3, 5.0)];
        let current = vec![knock(1, 1, 6.0), knock(2, 4, 6.0), knock(3, 1, 0.5)];
        let d = diff_inbound(&previous, &current);
        assert_eq!(d, vec![knock(2, 4, 6.0), knock(3, 1, 0.5)]);
    }

    #[test]
    fn inbound_entry_recreated_after_clear_is_new() {
        let d = diff_inbound(&[knock(1, 1, 30.0)], &[knock(1, 1, 0.2)]);
        assert_eq!(d, vec![knock(1, 1, 0.2)]);
    }
}
