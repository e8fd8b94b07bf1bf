//! Runs the built `masq` binary: help, version, usage errors, `config check`, and the API
//! commands against a fake daemon served by masq-control in this process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use masq_control::{ErrorCode, HandlerCall, Request, Response, Settings, StatusReport};
use masq_control::{
    FlowId, InboundAttempt, LanEndpoint, Protocol, RefusalReason, RemoteEndpoint, Translation,
};

fn masq(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_masq"));
    cmd.args(args)
        .env_remove("MASQ_CONTROL")
        .env_remove("MASQ_CONFIG")
        .env_remove("MASQ_STATE_FILE")
        .env("MASQ_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_and_version() {
    let out = masq(&["--help"], &[]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(
        help.contains("Examples:") && help.contains("masq up --uplink wlan0 --lan eth1"),
        "{help}"
    );
    for sub in [
        "up",
        "down",
        "status",
        "translations",
        "inbound",
        "settings",
        "start",
        "stop",
        "daemon",
        "demo",
        "config",
    ] {
        assert!(help.contains(&format!("  {sub} ")), "missing {sub}: {help}");
    }
    let out = masq(&["--version"], &[]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("masq {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["status", "--bogus"][..],
        &["frobnicate"],
        &["up", "--lan", "has space"],
        &[],
    ] {
        let out = masq(args, &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn up_without_a_lan_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("masq.toml");
    std::fs::write(&config, "uplink = \"eth0\"\n").unwrap();
    let out = masq(&["up", "--config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = masq(&["up", "--config", config.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--lan IFACE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_check_good_bad_and_missing() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "lan = \"eth1\"\nautostart = true\n[engine.udp]\nmapping_timeout = 600\n",
    )
    .unwrap();
    let out = masq(&["config", "check", good.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("is valid")
            && shown.contains("lan = \"eth1\"")
            && shown.contains("mapping_timeout = 600"),
        "{shown}"
    );

    let out = masq(&["config", "check"], &[("MASQ_CONFIG", &good)]);
    assert!(
        out.status.success(),
        "MASQ_CONFIG is honoured: {}",
        text(&out.stderr)
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "lan = \"eth1\"\n[engine.udp]\nmapping_timeout = 30\n").unwrap();
    let out = masq(&["config", "check", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: ")
            && err.contains("engine.udp.mapping_timeout")
            && err.contains("120 to 86400 seconds"),
        "{err}"
    );

    std::fs::write(&bad, "lan = \"eth1\"\nlna = \"eth2\"\n").unwrap();
    let out = masq(&["config", "check", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );

    let out = masq(
        &[
            "config",
            "check",
            dir.path().join("absent.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn status_without_a_daemon_explains_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("control.sock");
    let out = masq(&["status"], &[("MASQ_CONTROL", &socket)]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("masq is not running")
            && err.contains(socket.to_str().unwrap())
            && err.contains("masq daemon"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

fn status(running: bool) -> StatusReport {
    StatusReport {
        running,
        version: "fake".into(),
        uplink: None,
        lan: None,
        tun: running.then(|| "masq0".to_owned()),
        uptime_s: 0.0,
        engine: None,
        last_error: None,
        lan_services: None,
        roaming: None,
    }
}

fn flows() -> Vec<Translation> {
    [(1, Protocol::Tcp), (2, Protocol::Udp)]
        .into_iter()
        .map(|(id, protocol)| Translation {
            id: FlowId(id),
            protocol,
            lan: LanEndpoint("192.168.137.10:40000".parse().unwrap()),
            remote: Some(RemoteEndpoint("198.51.100.7:443".parse().unwrap())),
            gateway: None,
            state: "established".into(),
            inbound: false,
            bytes_out: 4096,
            bytes_in: 0,
            packets_out: 4,
            packets_in: 0,
            age_s: 1.0,
            idle_s: 0.5,
            expires_in_s: 300.0,
            tcp: None,
        })
        .collect()
}

/// Serves a fake daemon on a background thread; returns the socket path.
fn fake_daemon(dir: &Path) -> PathBuf {
    let path = dir.join("control.sock");
    let listener = masq_control::bind(&path, None).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<HandlerCall>(8);
            tokio::spawn(masq_control::serve(listener, tx));
            let mut running = false;
            while let Some(call) = rx.recv().await {
                let answer = match call.request {
                    Request::Status => Response::Status(status(running)),
                    Request::Translations => Response::Translations(flows()),
                    Request::Inbound => Response::Inbound(vec![InboundAttempt {
                        protocol: Protocol::Tcp,
                        remote: "198.51.100.9:5000".parse().unwrap(),
                        gateway: "203.0.113.2:22".parse().unwrap(),
                        reason: RefusalReason::NoTranslation,
                        explanation: "no hidden host has a connection using this gateway port"
                            .into(),
                        count: 2,
                        first_seen_s: 10.0,
                        last_seen_s: 1.0,
                    }]),
                    Request::GetSettings => Response::Settings(Settings::default()),
                    Request::Start if running => {
                        Response::error(ErrorCode::AlreadyRunning, "sharing is already on")
                    }
                    Request::Start => {
                        running = true;
                        Response::Done
                    }
                    _ => Response::error(ErrorCode::InvalidRequest, "not in this fake"),
                };
                let _ = call.reply.send(answer);
            }
        });
    });
    path
}

#[test]
fn api_commands_against_a_fake_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let socket = fake_daemon(dir.path());
    let run = |args: &[&str]| masq(args, &[("MASQ_CONTROL", &socket)]);

    let out = run(&["status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("off (masq fake)"),
        "{}",
        text(&out.stdout)
    );

    let out = run(&["start"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["start"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("sharing is already on"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["running"], true);
    assert_eq!(json["tun"], "masq0");

    let out = run(&["translations", "--json", "--protocol", "udp"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["protocol"], "udp");
    assert_eq!(list[0]["bytes_out"], 4096);

    let out = run(&["translations"]);
    let table = text(&out.stdout);
    assert!(
        table.starts_with("ID  PROTO") && table.contains("4.0 KiB") && table.lines().count() == 3,
        "{table}"
    );

    let out = run(&["inbound"]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("198.51.100.9:5000") && shown.contains("masq forward add"),
        "{shown}"
    );

    let out = run(&["settings"]);
    assert!(
        text(&out.stdout).contains("tun = \"masq0\""),
        "{}",
        text(&out.stdout)
    );

    let out = run(&["stop"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot stop sharing"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn watch_prints_json_lines_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let socket = fake_daemon(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_masq"))
        .args(["translations", "--watch"])
        .env("MASQ_CONTROL", &socket)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().take(2) {
            let _ = tx.send(line.unwrap());
        }
    });
    let lines: Vec<String> = (0..2)
        .filter_map(|_| rx.recv_timeout(Duration::from_secs(10)).ok())
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in lines {
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(json.as_array().map(Vec::len), Some(2), "{line}");
    }
}

/// The server's peer check, seen from a client of another uid: even with the socket file
/// opened up to everyone, only root and the daemon's user get answers. Needs root to run the
/// client as `nobody` (`cargo test -- --ignored` as root; CI does).
#[cfg(unix)]
#[test]
#[ignore = "needs root"]
fn peer_check_refuses_other_users_with_a_clear_message() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    assert!(
        nix::unistd::geteuid().is_root(),
        "needs root to run a client as another user"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = fake_daemon(dir.path());
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_masq"))
        .arg("status")
        .env("MASQ_CONTROL", &socket)
        .env("MASQ_LOG", "warn")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("permission denied") && err.contains("only root and uid 0 may connect"),
        "{err}"
    );

    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_masq"))
        .arg("status")
        .env("MASQ_CONTROL", &socket)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains("permission denied")
            && err.contains("only root and user root (uid 0)")
            && err.contains("sudo"),
        "{err}"
    );
}
