//! The daemon's side of port forwards: answers the control API's forward requests, keeps the
//! settings and the running engine in step, and saves the forwards users add so they survive
//! a restart.
//!
//! Forwards come from two places. Those in the config file (`[[forward]]`) are restored as
//! written at every start. Those added through the API (CLI, GUI) are saved in
//! `StateFiles::forwards` and added back at start; a saved forward whose ports clash with
//! one from the config file is skipped with a warning. LAN clients' port mappings
//! (NAT-PMP/PCP) live only in the engine and end with sharing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use masq_control::{ErrorCode, Request, Response, Settings};
use masq_control::{ForwardKey, ForwardSpec, ForwardView, ListenerState};
use tracing::warn;

use super::query::ForwardChange;
use super::session::Session;

/// The forwards the user added through the API, and where they are saved.
pub(super) struct SavedForwards {
    path: PathBuf,
    /// Keys of the config file's forwards (not saved: the file is their home).
    from_config: BTreeSet<ForwardKey>,
}

impl SavedForwards {
    /// Adds the forwards saved in `path` to `settings` (after the config file's own).
    pub(super) fn load(path: PathBuf, settings: &mut Settings) -> SavedForwards {
        let saved = SavedForwards {
            path,
            from_config: settings.forwards.iter().map(ForwardSpec::key).collect(),
        };
        for spec in read(&saved.path) {
            let mut candidate = settings.clone();
            candidate.forwards.push(spec.clone());
            match crate::engine_api::validate_settings(&candidate) {
                Ok(()) => settings.forwards.push(spec),
                Err(e) => warn!(
                    file = %saved.path.display(),
                    "saved port forward {} {} -> {} skipped: {e}",
                    spec.protocol, spec.public, spec.target
                ),
            }
        }
        saved
    }

    fn save(&self, settings: &Settings) -> Result<(), String> {
        let mine: Vec<&ForwardSpec> = settings
            .forwards
            .iter()
            .filter(|f| !self.from_config.contains(&f.key()))
            .collect();
        write(&self.path, &mine).map_err(|e| {
            format!(
                "the change is in effect but could not be saved to {}: {e}",
                self.path.display()
            )
        })
    }
}

/// Answers `forwards`, `add_forward`, `update_forward`, `remove_forward` and
/// `enable_forward`.
pub(super) async fn handle(
    request: Request,
    settings: &mut Settings,
    saved: &SavedForwards,
    session: Option<&Session>,
) -> Response {
    let change = match request {
        Request::Forwards => return list(settings, session).await,
        Request::AddForward { forward } => {
            let mut candidate = settings.clone();
            candidate.forwards.push(forward.clone());
            if let Err(e) = crate::engine_api::validate_settings(&candidate) {
                return Response::error(ErrorCode::InvalidRequest, e.to_string());
            }
            ForwardChange::Add(forward)
        }
        Request::UpdateForward { key, forward } => {
            let Some(i) = settings.forwards.iter().position(|f| f.key() == key) else {
                return Response::error(
                    ErrorCode::InvalidRequest,
                    format!(
                        "no forward {key} of yours to change (a LAN device's port mapping belongs to that device: remove it instead); `masq forward list` shows them"
                    ),
                );
            };
            if saved.from_config.contains(&key) {
                return Response::error(
                    ErrorCode::InvalidRequest,
                    format!(
                        "forward {key} comes from the config file: change it there (`masq config`), or remove it there and add it again here"
                    ),
                );
            }
            let mut candidate = settings.clone();
            candidate.forwards[i] = forward.clone();
            if let Err(e) = crate::engine_api::validate_settings(&candidate) {
                return Response::error(ErrorCode::InvalidRequest, e.to_string());
            }
            ForwardChange::Update(key, forward)
        }
        Request::RemoveForward { key } => ForwardChange::Remove(key),
        Request::EnableForward { key, enabled } => ForwardChange::SetEnabled(key, enabled),
        other => {
            return Response::error(
                ErrorCode::Internal,
                format!("{} is not a forward request", other.kind()),
            );
        }
    };
    let key = match &change {
        ForwardChange::Add(spec) => spec.key(),
        ForwardChange::Update(key, _)
        | ForwardChange::Remove(key)
        | ForwardChange::SetEnabled(key, _) => *key,
    };
    let in_settings = settings.forwards.iter().position(|f| f.key() == key);
    // An add or an edit must succeed in the engine too; the settings already agreed.
    let adds = matches!(change, ForwardChange::Add(_) | ForwardChange::Update(..));
    if let Some(s) = session {
        match s.change_forward(change.clone()).await {
            None => return Response::error(ErrorCode::Unavailable, "the engine did not answer"),
            // A forward only in the settings (none: the engine has them all) or only in the
            // engine (a LAN client's port mapping) is fine; unknown everywhere is not.
            Some(Err(e)) if adds || in_settings.is_none() => {
                return Response::error(ErrorCode::InvalidRequest, e.to_string());
            }
            Some(_) => {}
        }
    } else if !adds && in_settings.is_none() {
        return Response::error(
            ErrorCode::InvalidRequest,
            format!("no forward {key}; `masq forward list` shows the existing ones"),
        );
    }
    match change {
        ForwardChange::Add(spec) => settings.forwards.push(spec),
        ForwardChange::Update(_, spec) => {
            if let Some(i) = in_settings {
                settings.forwards[i] = spec;
            }
        }
        ForwardChange::Remove(_) => {
            if let Some(i) = in_settings {
                settings.forwards.remove(i);
            }
        }
        ForwardChange::SetEnabled(_, on) => {
            if let Some(i) = in_settings {
                settings.forwards[i].enabled = on;
            }
        }
    }
    if in_settings.is_some() || adds {
        if let Err(e) = saved.save(settings) {
            return Response::error(ErrorCode::Failed, e);
        }
    }
    list(settings, session).await
}

/// The engine's view while sharing runs, else the settings' forwards marked stopped.
async fn list(settings: &Settings, session: Option<&Session>) -> Response {
    if let Some(s) = session {
        return match s.forwards().await {
            Some(v) => Response::Forwards(v),
            None => Response::error(ErrorCode::Unavailable, "the engine did not answer"),
        };
    }
    Response::Forwards(
        settings
            .forwards
            .iter()
            .map(|f| ForwardView {
                key: f.key(),
                spec: f.clone(),
                state: if f.enabled {
                    ListenerState::Stopped
                } else {
                    ListenerState::Disabled
                },
                enabled: f.enabled,
                expires_in_s: None,
                connections: 0,
            })
            .collect(),
    )
}

/// Largest saved-forwards file read (thousands of forwards are a few hundred KiB).
const MAX_FORWARDS_FILE: u64 = 16 * 1024 * 1024;

fn read(path: &Path) -> Vec<ForwardSpec> {
    let text = match masq_paths::private_file::read_bounded_text(path, MAX_FORWARDS_FILE) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            warn!(file = %path.display(), "cannot read the saved port forwards: {e}");
            return Vec::new();
        }
    };
    serde_json::from_str(&text).unwrap_or_else(|e| {
        warn!(file = %path.display(), "the saved port forwards are unreadable and are ignored: {e}");
        Vec::new()
    })
}

/// Writes atomically (temporary file, then rename), so a crash never leaves half a file.
fn write(path: &Path, forwards: &[&ForwardSpec]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(forwards).map_err(std::io::Error::other)?;
    masq_paths::private_file::write_private(path, (text + "\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ForwardSpec {
        serde_json::from_str(text).unwrap()
    }

    #[tokio::test]
    async fn forwards_change_and_are_saved_without_the_config_files_own() {
        let dir = std::env::temp_dir().join(format!("masq-fwd-test-{}", std::process::id()));
        let path = dir.join("forwards.json");
        let mut settings = Settings {
            lan_addr: Some("192.168.137.1/24".into()),
            ..Settings::default()
        };
        settings.forwards.push(spec(
            r#"{"protocol":"tcp","public":"22","target":"192.168.137.5:22"}"#,
        ));
        let saved = SavedForwards {
            path: path.clone(),
            from_config: settings.forwards.iter().map(ForwardSpec::key).collect(),
        };
        let web = spec(r#"{"protocol":"tcp","public":"8080","target":"192.168.137.10:80"}"#);
        let r = handle(
            Request::AddForward {
                forward: web.clone(),
            },
            &mut settings,
            &saved,
            None,
        )
        .await;
        let Response::Forwards(list) = r else {
            panic!("{r:?}")
        };
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(|v| v.state == ListenerState::Stopped));
        assert_eq!(
            read(&path),
            vec![web.clone()],
            "only the API's forward is saved"
        );

        // Clashing and off-LAN forwards are refused with the reason.
        for bad in [
            r#"{"protocol":"tcp","public":"8000-8090","target":"192.168.137.10:80"}"#,
            r#"{"protocol":"udp","public":"53","target":"10.1.1.1:53"}"#,
        ] {
            let r = handle(
                Request::AddForward { forward: spec(bad) },
                &mut settings,
                &saved,
                None,
            )
            .await;
            assert!(matches!(r, Response::Error(_)), "{bad}: {r:?}");
        }

        // An edit replaces the forward in the settings and the saved file, in one step; one
        // that clashes, or touches the config file's forward, changes nothing.
        let moved =
            spec(r#"{"protocol":"tcp","public":"8081","target":"192.168.137.11:80","name":"web"}"#);
        let r = handle(
            Request::UpdateForward {
                key: web.key(),
                forward: moved.clone(),
            },
            &mut settings,
            &saved,
            None,
        )
        .await;
        assert!(
            matches!(r, Response::Forwards(ref l) if l.len() == 2),
            "{r:?}"
        );
        assert_eq!(read(&path), vec![moved.clone()]);
        for (key, forward) in [
            (
                moved.key(),
                spec(r#"{"protocol":"tcp","public":"20-30","target":"192.168.137.11:80"}"#),
            ),
            (
                settings.forwards[0].key(),
                spec(r#"{"protocol":"tcp","public":"2222","target":"192.168.137.5:22"}"#),
            ),
            (web.key(), moved.clone()),
        ] {
            let r = handle(
                Request::UpdateForward { key, forward },
                &mut settings,
                &saved,
                None,
            )
            .await;
            let Response::Error(e) = r else {
                panic!("{key}: {r:?}")
            };
            assert!(!e.message.is_empty());
        }
        assert_eq!(
            read(&path),
            vec![moved.clone()],
            "refused edits change nothing"
        );
        let web = moved;

        let r = handle(
            Request::EnableForward {
                key: web.key(),
                enabled: false,
            },
            &mut settings,
            &saved,
            None,
        )
        .await;
        assert!(matches!(r, Response::Forwards(_)));
        assert!(!read(&path)[0].enabled);
        let r = handle(
            Request::RemoveForward { key: web.key() },
            &mut settings,
            &saved,
            None,
        )
        .await;
        assert!(
            matches!(r, Response::Forwards(ref l) if l.len() == 1),
            "{r:?}"
        );
        assert!(read(&path).is_empty());
        let r = handle(
            Request::RemoveForward { key: web.key() },
            &mut settings,
            &saved,
            None,
        )
        .await;
        assert!(matches!(r, Response::Error(_)), "unknown forward: {r:?}");

        // A restart adds the saved forwards back after the config file's; a saved one that
        // clashes with the config file's is skipped.
        let clash = spec(r#"{"protocol":"tcp","public":"22","target":"192.168.137.9:22"}"#);
        write(&path, &[&web, &clash]).unwrap();
        let mut fresh = Settings {
            lan_addr: Some("192.168.137.1/24".into()),
            ..Settings::default()
        };
        fresh.forwards.push(spec(
            r#"{"protocol":"tcp","public":"22","target":"192.168.137.5:22"}"#,
        ));
        let saved = SavedForwards::load(path.clone(), &mut fresh);
        assert_eq!(fresh.forwards.len(), 2);
        assert_eq!(fresh.forwards[1], web);
        assert_eq!(saved.from_config.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
