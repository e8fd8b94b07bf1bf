//! End to end over a real Unix socket in a temp dir: bind, serve with a fake handler, talk to
//! it with both clients, and feed it bad input by hand.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use masq_control::{
    AsyncClient, Client, ClientError, ErrorCode, Event, HandlerCall, Request, Response, Settings,
    SetupReport, StatusReport, bind, serve,
};
use masq_control::{FlowId, LanEndpoint, Protocol, Translation};
use tokio::sync::mpsc;

fn status(running: bool) -> StatusReport {
    StatusReport {
        running,
        version: "test".into(),
        uplink: None,
        lan: None,
        tun: None,
        uptime_s: 0.0,
        engine: None,
        last_error: None,
        lan_services: None,
        roaming: None,
    }
}

fn flow(id: u64, bytes_out: u64) -> Translation {
    Translation {
        id: FlowId(id),
        protocol: Protocol::Udp,
        lan: LanEndpoint("192.168.137.10:5353".parse().unwrap()),
        remote: None,
        gateway: None,
        state: "active".into(),
        inbound: false,
        bytes_out,
        bytes_in: 0,
        packets_out: 1,
        packets_in: 0,
        age_s: 1.0,
        idle_s: 0.0,
        expires_in_s: 299.0,
        tcp: None,
    }
}

/// A fake engine loop: flow 1 always exists, flow 2 appears from the second poll on, and
/// flow 1's byte count grows with every poll.
fn spawn_fake_handler() -> mpsc::Sender<HandlerCall> {
    let (tx, mut rx) = mpsc::channel::<HandlerCall>(8);
    let polls = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        let mut settings = Settings::default();
        let mut running = false;
        while let Some(call) = rx.recv().await {
            let answer = match call.request {
                Request::Status => Response::Status(status(running)),
                Request::Translations => {
                    let n = polls.fetch_add(1, Ordering::SeqCst);
                    let mut flows = vec![flow(1, n)];
                    if n > 0 {
                        flows.push(flow(2, 0));
                    }
                    Response::Translations(flows)
                }
                Request::Inbound => Response::Inbound(vec![]),
                Request::Clients => Response::Clients(vec![]),
                Request::Logs { .. } => Response::Logs(vec![]),
                Request::SetupCheck { .. } => Response::SetupCheck(SetupReport {
                    interfaces: vec![],
                    uplink: None,
                    plan: None,
                }),
                Request::Forwards
                | Request::AddForward { .. }
                | Request::UpdateForward { .. }
                | Request::RemoveForward { .. }
                | Request::EnableForward { .. } => Response::Forwards(vec![]),
                Request::GetSettings => Response::Settings(settings.clone()),
                Request::SetSettings { settings: new } => match new.validate(|_| Ok(())) {
                    Ok(()) => {
                        settings = *new;
                        Response::Settings(settings.clone())
                    }
                    Err(e) => Response::error(ErrorCode::InvalidSettings, e.to_string()),
                },
                Request::Start if running => {
                    Response::error(ErrorCode::AlreadyRunning, "sharing already runs")
                }
                Request::Start => {
                    running = true;
                    Response::Done
                }
                Request::Stop | Request::ClearInbound | Request::Subscribe { .. } => Response::Done,
            };
            let _ = call.reply.send(answer);
        }
    });
    tx
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn raw_exchange(path: &Path, lines: &[&[u8]], answers: usize) -> Vec<serde_json::Value> {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for l in lines {
        s.write_all(l).unwrap();
    }
    let mut r = BufReader::new(s);
    (0..answers)
        .map(|_| {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            serde_json::from_str(&line).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn blocking_client_requests_and_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("masq/control.sock");
    let listener = bind(&path, None).unwrap();
    let server = tokio::spawn(serve(listener, spawn_fake_handler()));

    let p = path.clone();
    blocking(move || {
        let mut c = Client::connect(&p).unwrap();
        assert_eq!(
            c.request(Request::Status).unwrap(),
            Response::Status(status(false))
        );
        assert_eq!(c.request(Request::Start).unwrap(), Response::Done);
        let e = c.request(Request::Start).unwrap_err();
        assert!(
            matches!(&e, ClientError::Api(a) if a.code == ErrorCode::AlreadyRunning),
            "{e}"
        );
        let bad = Settings {
            tun: "has space".into(),
            ..Settings::default()
        };
        let e = c
            .request(Request::SetSettings {
                settings: Box::new(bad),
            })
            .unwrap_err();
        assert!(e.to_string().contains("`tun`"), "{e}");
        assert!(matches!(
            c.request(Request::subscribe(Duration::from_secs(1))),
            Err(ClientError::Usage(_))
        ));

        let mut events = c.subscribe(Duration::from_millis(100)).unwrap();
        let Event::Update {
            status,
            translations,
            ..
        } = events.next().unwrap().unwrap();
        assert!(status.running);
        let first: Vec<FlowId> = translations.added.iter().map(|t| t.id).collect();
        assert!(!first.is_empty(), "first update carries everything");
        let Event::Update { translations, .. } = events.next().unwrap().unwrap();
        assert!(translations.removed.is_empty());
        assert!(
            !translations.updated.is_empty() || !translations.added.is_empty(),
            "flow 1's counter grows every poll: {translations:?}"
        );
    })
    .await;

    server.abort();
    let _ = server.await;
    assert!(!path.exists(), "dropping serve removes the socket");
}

#[tokio::test]
async fn async_client_and_peer_check_accepts_current_uid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    let listener = bind(&path, None).unwrap();
    tokio::spawn(serve(listener, spawn_fake_handler()));

    let mut c = AsyncClient::connect(&path).await.unwrap();
    let Response::Settings(s) = c.request(Request::GetSettings).await.unwrap() else {
        panic!("expected settings")
    };
    assert_eq!(s, Settings::default());
    let mut sub = c.subscribe(Duration::from_millis(100)).await.unwrap();
    for _ in 0..2 {
        assert!(matches!(sub.next().await, Some(Ok(Event::Update { .. }))));
    }
}

#[tokio::test]
async fn bad_input_gets_error_answers_on_the_same_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    tokio::spawn(serve(bind(&path, None).unwrap(), spawn_fake_handler()));

    let oversize = vec![b'x'; 70 * 1024];
    let p = path.clone();
    let answers = blocking(move || {
        raw_exchange(
            &p,
            &[
                b"garbage\n",
                &oversize,
                b"\n",
                b"{\"v\":2,\"id\":5,\"request\":{\"type\":\"status\"}}\n",
                b"{\"v\":1,\"id\":6,\"request\":{\"type\":\"subscribe\",\"interval_ms\":5}}\n",
                b"\n",
                b"{\"v\":1,\"id\":7,\"request\":{\"type\":\"status\"}}\n",
            ],
            5,
        )
    })
    .await;
    let code = |i: usize| {
        answers[i]["error"]["code"]
            .as_str()
            .unwrap_or("none")
            .to_owned()
    };
    assert_eq!(code(0), "malformed_request");
    assert_eq!(code(1), "request_too_large");
    assert_eq!(
        (code(2).as_str(), answers[2]["id"].as_u64()),
        ("unsupported_version", Some(5))
    );
    let message = answers[2]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("version 1") && message.contains("version 2"),
        "{message}"
    );
    assert_eq!(code(3), "invalid_request");
    assert_eq!(answers[4]["id"], 7);
    assert_eq!(answers[4]["ok"]["type"], "status");
}

#[tokio::test]
async fn missing_socket_and_handler_shutdown_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    let p = path.clone();
    let e = blocking(move || Client::connect(&p).unwrap_err()).await;
    let text = e.to_string();
    assert!(
        text.contains("masq is not running")
            && text.contains("control.sock")
            && text.contains("masq up"),
        "{text}"
    );

    let (tx, rx) = mpsc::channel(1);
    let server = tokio::spawn(serve(bind(&path, None).unwrap(), tx));
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!path.exists());
}
