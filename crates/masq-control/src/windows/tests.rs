//! The control API over real named pipes (run under wine in CI): bind, serve with a fake
//! handler, both clients, a second daemon refused, a missing daemon explained.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::{
    AsyncClient, Client, ClientError, Event, HandlerCall, Request, Response, StatusReport, bind,
    serve,
};

fn pipe(tag: &str) -> PathBuf {
    PathBuf::from(format!(r"\\.\pipe\masq-test-{}-{tag}", std::process::id()))
}

fn status() -> StatusReport {
    StatusReport {
        running: false,
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

/// Answers status, translations and inbound like an idle daemon; refuses the rest.
fn spawn_fake_handler() -> mpsc::Sender<HandlerCall> {
    let (tx, mut rx) = mpsc::channel::<HandlerCall>(8);
    tokio::spawn(async move {
        while let Some(call) = rx.recv().await {
            let answer = match call.request {
                Request::Status => Response::Status(status()),
                Request::Translations => Response::Translations(Vec::new()),
                Request::Inbound => Response::Inbound(Vec::new()),
                _ => Response::error(crate::ErrorCode::NotRunning, "sharing is not on"),
            };
            let _ = call.reply.send(answer);
        }
    });
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_clients_talk_to_the_pipe_server() {
    let path = pipe("clients");
    let listener = bind(&path, None).unwrap();
    assert_eq!(listener.path(), path);
    let handler = spawn_fake_handler();
    let server = tokio::spawn(serve(listener, handler.clone()));

    let mut client = AsyncClient::connect(&path).await.unwrap();
    match client.request(Request::Status).await.unwrap() {
        Response::Status(s) => assert_eq!(s.version, "test"),
        other => panic!("unexpected answer {other:?}"),
    }
    let e = client.request(Request::Start).await.unwrap_err();
    assert!(e.to_string().contains("sharing is not on"), "{e}");
    // A second client at the same time gets its own instance.
    let mut second = AsyncClient::connect(&path).await.unwrap();
    assert!(matches!(
        second.request(Request::Inbound).await.unwrap(),
        Response::Inbound(_)
    ));
    let mut updates = client.subscribe(Duration::from_millis(100)).await.unwrap();
    match updates.next().await.unwrap().unwrap() {
        Event::Update { status, .. } => assert!(!status.running),
    }

    let blocking_path = path.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let mut client = Client::connect(&blocking_path).unwrap();
        let status = client.request(Request::Status).unwrap();
        let mut updates = client.subscribe(Duration::from_millis(100)).unwrap();
        (status, updates.next().unwrap())
    })
    .await
    .unwrap();
    assert!(matches!(answer.0, Response::Status(_)));
    assert!(answer.1.is_ok(), "{:?}", answer.1);

    drop(handler);
    server.abort();
}

// The gnu target is only built to run under wine, whose named pipes (wine 8) ignore
// FILE_FLAG_FIRST_PIPE_INSTANCE; on real Windows (msvc) this runs.
#[cfg_attr(
    target_env = "gnu",
    ignore = "wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE"
)]
#[tokio::test]
async fn a_second_daemon_is_refused() {
    let path = pipe("twice");
    let _first = bind(&path, None).unwrap();
    let e = bind(&path, None).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{e}");
    assert!(
        e.to_string().contains("another masq is already running"),
        "{e}"
    );
}

#[tokio::test]
async fn the_name_is_free_again_after_the_daemon_closes_it() {
    let path = pipe("again");
    drop(bind(&path, None).unwrap());
    let again = bind(&path, None).unwrap();
    let e = AsyncClient::connect(pipe("again-other")).await.unwrap_err();
    assert!(matches!(e, ClientError::NotRunning { .. }), "{e:?}");
    drop(again);
    let e = AsyncClient::connect(&path).await.unwrap_err();
    assert!(matches!(e, ClientError::NotRunning { .. }), "{e:?}");
}

#[tokio::test]
async fn bad_paths_groups_and_missing_daemons_are_explained() {
    let e = bind(std::path::Path::new("/run/masq/control.sock"), None).unwrap_err();
    assert!(e.to_string().contains("not a named pipe"), "{e}");
    let e = bind(&pipe("group"), Some("S-1-5-x")).unwrap_err();
    assert!(e.to_string().contains("security identifier"), "{e}");
    let e = AsyncClient::connect(pipe("nobody")).await.unwrap_err();
    assert!(matches!(e, ClientError::NotRunning { .. }), "{e:?}");
}

#[test]
fn bind_outside_a_runtime_is_an_error_not_a_panic() {
    let e = bind(&pipe("no-runtime"), None).unwrap_err();
    assert!(e.to_string().contains("tokio runtime"), "{e}");
}
