//! `--watch`: keep a local view up to date from a subscription and redraw it.
//!
//! Updates carry only what changed (see `masq_control::TranslationDelta`), so the view keeps
//! every translation and inbound entry it has seen, with the instant it arrived, and advances
//! their clock fields (`age_s`, `idle_s`, …) by the time since then when drawing. On a
//! terminal each update clears the screen and redraws the table; otherwise (or with `--json`)
//! each update is one line of JSON holding the whole current view, ready for `jq`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use masq_control::{Client, Event, StatusReport};
use masq_control::{FlowId, InboundAttempt, Protocol, RefusalReason, Translation};

use crate::output;

/// How often the daemon pushes updates.
const INTERVAL: Duration = Duration::from_secs(1);
/// ANSI: clear the screen and put the cursor at the top left.
const CLEAR: &str = "\x1b[2J\x1b[H";

/// Which view is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// `masq status --watch`.
    Status,
    /// `masq translations --watch`, optionally one protocol only.
    Translations(Option<Protocol>),
    /// `masq inbound --watch`.
    Inbound,
}

/// Subscribes and redraws `view` on every update until Ctrl-C or the daemon goes away.
pub fn run(client: Client, view: View, json: bool) -> Result<()> {
    let human = !json && std::io::stdout().is_terminal();
    let mut state = WatchState::default();
    for event in client
        .subscribe(INTERVAL)
        .context("cannot subscribe to updates")?
    {
        state.apply(event?, Instant::now());
        let now = Instant::now();
        let text = if human {
            format!(
                "{CLEAR}{}\nupdated every {} s; Ctrl-C to quit\n",
                state.render(view, now),
                INTERVAL.as_secs()
            )
        } else {
            let mut line = state
                .json(view, now)
                .context("cannot encode the view as JSON")?;
            line.push('\n');
            line
        };
        output::emit(&text)?;
    }
    bail!("the subscription ended without an error (the daemon closed it)")
}

type InboundKey = (Protocol, SocketAddr, SocketAddr, RefusalReason);

/// Everything a watcher has learned so far, with the instant each entry arrived.
#[derive(Debug, Default)]
pub struct WatchState {
    status: Option<StatusReport>,
    flows: BTreeMap<FlowId, (Translation, Instant)>,
    inbound: BTreeMap<InboundKey, (InboundAttempt, Instant)>,
}

impl WatchState {
    /// Folds one update into the view.
    pub fn apply(&mut self, event: Event, now: Instant) {
        let Event::Update {
            status,
            translations,
            inbound,
        } = event;
        self.status = Some(status);
        for id in translations.removed {
            self.flows.remove(&id);
        }
        for t in translations.added.into_iter().chain(translations.updated) {
            self.flows.insert(t.id, (t, now));
        }
        for a in inbound {
            self.inbound
                .insert((a.protocol, a.remote, a.gateway, a.reason), (a, now));
        }
    }

    /// Current translations, clock fields advanced to `now`, in id order.
    pub fn translations(&self, protocol: Option<Protocol>, now: Instant) -> Vec<Translation> {
        self.flows
            .values()
            .filter(|(t, _)| protocol.is_none_or(|p| t.protocol == p))
            .map(|(t, at)| {
                let dt = now.saturating_duration_since(*at).as_secs_f64();
                Translation {
                    age_s: t.age_s + dt,
                    idle_s: t.idle_s + dt,
                    expires_in_s: (t.expires_in_s - dt).max(0.0),
                    tcp: None,
                    ..t.clone()
                }
            })
            .collect()
    }

    /// Inbound attempts seen so far, clock fields advanced to `now`, most recent first.
    pub fn inbound(&self, now: Instant) -> Vec<InboundAttempt> {
        let mut all: Vec<InboundAttempt> = self
            .inbound
            .values()
            .map(|(a, at)| {
                let dt = now.saturating_duration_since(*at).as_secs_f64();
                InboundAttempt {
                    first_seen_s: a.first_seen_s + dt,
                    last_seen_s: a.last_seen_s + dt,
                    ..a.clone()
                }
            })
            .collect();
        all.sort_by(|a, b| a.last_seen_s.total_cmp(&b.last_seen_s));
        all
    }

    fn render(&self, view: View, now: Instant) -> String {
        match view {
            View::Status => self
                .status
                .as_ref()
                .map(output::render_status)
                .unwrap_or_default(),
            View::Translations(p) => output::render_translations(&self.translations(p, now)),
            View::Inbound => output::render_inbound(&self.inbound(now)),
        }
    }

    fn json(&self, view: View, now: Instant) -> serde_json::Result<String> {
        match view {
            View::Status => serde_json::to_string(&self.status),
            View::Translations(p) => serde_json::to_string(&self.translations(p, now)),
            View::Inbound => serde_json::to_string(&self.inbound(now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use masq_control::LanEndpoint;
    use masq_control::TranslationDelta;

    use super::*;

    fn flow(id: u64, protocol: Protocol, bytes_out: u64) -> Translation {
        Translation {
            id: FlowId(id),
            protocol,
            lan: LanEndpoint("192.168.137.10:40000".parse().unwrap()),
            remote: None,
            gateway: None,
            state: "active".into(),
            inbound: false,
            bytes_out,
            bytes_in: 0,
            packets_out: 1,
            packets_in: 0,
            age_s: 10.0,
            idle_s: 1.0,
            expires_in_s: 1.5,
            tcp: None,
        }
    }

    fn status() -> StatusReport {
        StatusReport {
            running: true,
            version: "t".into(),
            uplink: None,
            lan: None,
            tun: None,
            uptime_s: 1.0,
            engine: None,
            last_error: None,
            lan_services: None,
            roaming: None,
        }
    }

    fn update(added: Vec<Translation>, updated: Vec<Translation>, removed: Vec<u64>) -> Event {
        Event::Update {
            status: status(),
            translations: TranslationDelta {
                added,
                updated,
                removed: removed.into_iter().map(FlowId).collect(),
            },
            inbound: vec![],
        }
    }

    #[test]
    fn deltas_build_the_view_and_clocks_advance() {
        let t0 = Instant::now();
        let mut s = WatchState::default();
        s.apply(
            update(
                vec![flow(1, Protocol::Tcp, 0), flow(2, Protocol::Udp, 0)],
                vec![],
                vec![],
            ),
            t0,
        );
        s.apply(
            update(
                vec![flow(3, Protocol::Udp, 0)],
                vec![flow(2, Protocol::Udp, 99)],
                vec![1],
            ),
            t0,
        );
        let later = t0 + Duration::from_secs(2);
        let all = s.translations(None, later);
        assert_eq!(all.iter().map(|t| t.id.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(all[0].bytes_out, 99);
        assert_eq!(all[0].age_s, 12.0);
        assert_eq!(all[0].idle_s, 3.0);
        assert_eq!(all[0].expires_in_s, 0.0);
        assert_eq!(s.translations(Some(Protocol::Tcp), later), vec![]);
        let line = s
            .json(View::Translations(Some(Protocol::Udp)), later)
            .unwrap();
        assert!(
            line.starts_with('[') && !line.contains('\n') && line.contains("\"bytes_out\":99"),
            "{line}"
        );
    }
}
