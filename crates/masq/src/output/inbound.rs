//! The refused-inbound table, and why masquerading refuses such attempts.

use std::collections::BTreeSet;

use masq_control::InboundAttempt;

use super::table::{Align, Table};
use super::{duration, wire_name};

/// Shown once below the table: the question every user of this table has.
const WHY: &str = "\
Why they were refused: with masquerading, the LAN's hosts have no address of their own on the
internet; everything they send leaves with this computer's uplink address. A connection started
from the internet therefore has no LAN host to go to unless that host started the conversation.
To let chosen inbound connections through to a LAN host, add a port forward, e.g.
`masq forward add tcp 8080 192.168.137.10:80`.";

/// Renders refused inbound attempts with the explanation (or a one-line note when none).
pub fn render_inbound(attempts: &[InboundAttempt]) -> String {
    if attempts.is_empty() {
        return "no refused inbound attempts seen\n".to_owned();
    }
    let mut t = Table::new(&[
        ("PROTO", Align::Left),
        ("FROM", Align::Left),
        ("TO", Align::Left),
        ("REASON", Align::Left),
        ("COUNT", Align::Right),
        ("FIRST", Align::Right),
        ("LAST", Align::Right),
    ]);
    for a in attempts {
        t.push(vec![
            a.protocol.to_string(),
            a.remote.to_string(),
            a.gateway.to_string(),
            wire_name(&a.reason),
            a.count.to_string(),
            format!("{} ago", duration(a.first_seen_s)),
            format!("{} ago", duration(a.last_seen_s)),
        ]);
    }
    let mut out = t.render();
    out.push('\n');
    out.push_str(WHY);
    out.push('\n');
    // The daemon's own words for each reason (a newer daemon may know reasons this CLI
    // does not), each said once.
    let reasons: BTreeSet<(String, &str)> = attempts
        .iter()
        .map(|a| (wire_name(&a.reason), a.explanation.as_str()))
        .collect();
    for (name, explanation) in reasons {
        out.push_str(&format!("  {name}: {explanation}.\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use masq_control::{Protocol, RefusalReason};

    use super::*;

    fn knock(reason: RefusalReason) -> InboundAttempt {
        InboundAttempt {
            protocol: Protocol::Tcp,
            remote: "198.51.100.9:5000".parse().unwrap(),
            gateway: "203.0.113.2:22".parse().unwrap(),
            reason,
            explanation: "nothing hidden uses this port".into(),
            count: 3,
            first_seen_s: 65.0,
            last_seen_s: 1.0,
        }
    }

    #[test]
    fn table_then_explanation_once() {
        let text = render_inbound(&[
            knock(RefusalReason::NoTranslation),
            knock(RefusalReason::NoTranslation),
        ]);
        assert_eq!(text.matches("Why they were refused").count(), 1, "{text}");
        assert_eq!(
            text.matches("no_translation: nothing hidden uses this port.")
                .count(),
            1,
            "{text}"
        );
        assert!(text.contains("masq forward add"), "{text}");
        assert!(text.contains("1m05s ago"), "{text}");
        assert!(render_inbound(&[]).starts_with("no refused"));
    }
}
