//! One subscription: poll the handler every interval, push what changed.
//!
//! The server implements `subscribe` itself so that the engine loop only ever answers plain
//! snapshot requests. Each tick asks for status, translations and inbound attempts, diffs them
//! against the previous tick's (see [`crate::diff`]) and pushes one [`Event::Update`] under the
//! subscribe request's id. Ticks that fall behind (a slow client, a busy engine) are skipped,
//! not queued. The first refusal from the handler is pushed as an error and ends the
//! subscription; so does the client going away.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::diff::{diff_inbound, diff_translations};
use crate::envelope::ResponseEnvelope;
use crate::event::Event;
use crate::handler::{HandlerCall, call};
use crate::request::Request;
use crate::response::{ErrorCode, Response};
use crate::role::Role;

/// Pushes updates for subscription `id` into `out` every `interval` until `out` closes.
pub(crate) async fn run(
    id: u64,
    interval: Duration,
    handler: mpsc::Sender<HandlerCall>,
    out: mpsc::Sender<String>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut translations_before = Vec::new();
    let mut inbound_before = Vec::new();
    loop {
        ticker.tick().await;
        let snapshot = async {
            let status = match call(&handler, Request::Status, Role::Observer).await {
                Response::Status(s) => s,
                other => return Err(refusal("status", other)),
            };
            let translations = match call(&handler, Request::Translations, Role::Observer).await {
                Response::Translations(t) => t,
                other => return Err(refusal("translations", other)),
            };
            let inbound = match call(&handler, Request::Inbound, Role::Observer).await {
                Response::Inbound(i) => i,
                other => return Err(refusal("inbound", other)),
            };
            Ok((status, translations, inbound))
        };
        let (status, translations, inbound) = match snapshot.await {
            Ok(snapshot) => snapshot,
            Err(refusal) => {
                let _ = out
                    .send(ResponseEnvelope::reply(id, refusal).to_line())
                    .await;
                return;
            }
        };
        let event = Event::Update {
            status,
            translations: diff_translations(&translations_before, &translations),
            inbound: diff_inbound(&inbound_before, &inbound),
        };
        translations_before = translations;
        inbound_before = inbound;
        if out
            .send(ResponseEnvelope::event(id, event).to_line())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The error that ends a subscription when the handler did not answer a poll as expected.
fn refusal(kind: &str, answer: Response) -> Response {
    match answer {
        Response::Error(e) => Response::Error(e),
        other => Response::error(
            ErrorCode::Internal,
            format!("the daemon answered `{kind}` with `{}`", other.kind()),
        ),
    }
}
