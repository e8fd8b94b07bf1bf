//! Golden examples of every request and answer of the control API.
//!
//! `golden/api-examples.json` holds one exchange per request kind (request line, answer line,
//! and the role the request needs), plus a subscription push and a refusal. It is what
//! docs/api.md points script writers to, and what the GUI's tests feed through its own model
//! (`ui/src/api/golden.test.ts`), so the Rust types, the published examples and the GUI's
//! reading of them cannot drift apart silently:
//!
//! * the examples are built here from Rust values and must equal the checked-in file (a changed
//!   wire form fails until the file is regenerated: `MASQ_BLESS=1 cargo test -p masq-control
//!   --test golden`, then review the diff);
//! * every line in the file decodes with the daemon's and the client's decoders and encodes
//!   back to the same JSON;
//! * every request kind and every answer kind appears (a new variant fails to compile below
//!   until it has an example).

use std::path::PathBuf;
use std::time::Duration;

use masq_control::envelope::{RequestEnvelope, ResponseEnvelope, decode_answer, decode_request};
use masq_control::*;
use serde_json::{Value, json};

/// One documented exchange.
struct Exchange {
    name: &'static str,
    about: &'static str,
    request: Request,
    answers: Vec<ResponseEnvelope>,
}

fn iface(name: &str, addr: &str) -> IfaceReport {
    IfaceReport {
        name: name.into(),
        addresses: vec![addr.into()],
    }
}

fn status() -> StatusReport {
    let mut counters = Counters {
        tun_packets_in: 182_311,
        tun_packets_out: 240_117,
        tun_bytes_in: 21_538_004,
        tun_bytes_out: 331_870_226,
        flows_created: 412,
        flows_closed: 389,
        tcp_retransmits: 311,
        tcp_tail_loss_probes: 12,
        tcp_tlp_recoveries: 9,
        tcp_fast_recoveries: 96,
        tcp_spurious_retransmits: 4,
        tcp_undos: 1,
        datagrams_reassembled: 2,
        ..Counters::default()
    };
    counters.drops.insert("bad_checksum".into(), 3);
    counters.drops.insert("no_state".into(), 17);
    StatusReport {
        running: true,
        version: "0.1.0".into(),
        uplink: Some(iface("wlan0", "192.168.1.20/24")),
        lan: Some(iface("eth1", "192.168.137.1/24")),
        tun: Some("masq0".into()),
        uptime_s: 5423.5,
        engine: Some(EngineStatus {
            flows_tcp: 14,
            flows_udp: 8,
            flows_icmp: 1,
            max_flows: 65_536,
            lan_hosts: 3,
            counters,
            tcp_buffer_growth_bytes: 1_048_576,
        }),
        last_error: None,
        lan_services: Some(LanServicesReport {
            dhcp: ServiceState::Running,
            dns: ServiceState::Running,
            leases: 2,
            foreign_dhcp_servers: Vec::new(),
            dns_upstreams: vec!["192.168.1.1".parse().unwrap()],
            dns_counters: DnsCounters {
                queries: 1_204,
                cache_hits: 688,
                local: 31,
                forwarded: 485,
                ..DnsCounters::default()
            },
            ipv6: Some(Ipv6Status::NotOffered {
                reason: "the uplink has no routable IPv6 address".into(),
            }),
        }),
        roaming: Some(RoamingReport {
            mode: UplinkMode::Automatic,
            available: true,
            changes: 1,
            last_change: Some(UplinkChange {
                kind: UplinkChangeKind::Switched,
                from: "eth0 10.0.0.7".into(),
                to: "wlan0 192.168.1.20".into(),
                ago_s: 2_710.0,
                reason: None,
            }),
        }),
    }
}

fn translation() -> Translation {
    Translation {
        id: FlowId(77),
        protocol: Protocol::Tcp,
        lan: LanEndpoint("192.168.137.23:51514".parse().unwrap()),
        remote: Some(RemoteEndpoint("93.184.215.14:443".parse().unwrap())),
        gateway: Some(GatewayEndpoint("192.168.1.20:40112".parse().unwrap())),
        state: "established".into(),
        inbound: false,
        bytes_out: 2_911,
        bytes_in: 18_344_020,
        packets_out: 611,
        packets_in: 12_790,
        age_s: 12.5,
        idle_s: 0.02,
        expires_in_s: 7_439.98,
        tcp: Some(TcpFlowStats {
            retransmits: 21,
            tail_loss_probes: 1,
            tlp_recoveries: 1,
            fast_recoveries: 6,
            srtt_us: Some(2_400),
            cwnd_bytes: 183_040,
            mss: 1_448,
            ..TcpFlowStats::default()
        }),
    }
}

fn udp_translation() -> Translation {
    Translation {
        id: FlowId(78),
        protocol: Protocol::Udp,
        lan: LanEndpoint("192.168.137.23:5353".parse().unwrap()),
        remote: Some(RemoteEndpoint("8.8.8.8:53".parse().unwrap())),
        gateway: Some(GatewayEndpoint("192.168.1.20:5353".parse().unwrap())),
        state: "active".into(),
        inbound: false,
        bytes_out: 44,
        bytes_in: 60,
        packets_out: 1,
        packets_in: 1,
        age_s: 3.0,
        idle_s: 3.0,
        expires_in_s: 297.0,
        tcp: None,
    }
}

fn attempt() -> InboundAttempt {
    InboundAttempt {
        protocol: Protocol::Tcp,
        remote: "198.51.100.9:52100".parse().unwrap(),
        gateway: "192.168.1.20:22".parse().unwrap(),
        reason: RefusalReason::NoTranslation,
        explanation: "no hidden host has a connection using this gateway port, and no port \
                      forward exists for it: with masquerading, connections can only be started \
                      from the LAN"
            .into(),
        count: 4,
        first_seen_s: 301.2,
        last_seen_s: 8.7,
    }
}

fn forward_spec() -> ForwardSpec {
    ForwardSpec {
        protocol: ForwardProtocol::Tcp,
        public: PortRange::single(8080).unwrap(),
        target: "192.168.137.10:80".parse().unwrap(),
        origin: ForwardOrigin::User,
        enabled: true,
        name: Some("web server".into()),
    }
}

fn forwards() -> Vec<ForwardView> {
    let user = forward_spec();
    let mapped = ForwardSpec {
        protocol: ForwardProtocol::Udp,
        public: PortRange::new(27015, 27016).unwrap(),
        target: "192.168.137.23:27015".parse().unwrap(),
        origin: ForwardOrigin::PortMap {
            client: "192.168.137.23".parse().unwrap(),
            protocol: PortMapProtocol::Pcp,
            nonce: Some([7; 12]),
        },
        enabled: true,
        name: None,
    };
    vec![
        ForwardView {
            key: user.key(),
            spec: user,
            state: ListenerState::Listening,
            enabled: true,
            expires_in_s: None,
            connections: 12,
        },
        ForwardView {
            key: mapped.key(),
            spec: mapped,
            state: ListenerState::Failed {
                reason: "udp port 27016 is in use by another program".into(),
            },
            enabled: true,
            expires_in_s: Some(3_540.0),
            connections: 0,
        },
    ]
}

fn clients() -> Vec<LanClient> {
    vec![LanClient {
        ip: "192.168.137.23".parse().unwrap(),
        mac: Some("02:00:5e:10:00:23".parse().unwrap()),
        hostname: Some("laptop".into()),
        assigned: Assignment::Dhcp,
        lease_expires_in_s: Some(2_991.0),
        first_seen_s: 5_400.0,
        last_seen_s: 0.02,
        flows: 22,
        max_flows: Some(8_192),
        up_limit_bytes_per_s: Some(1_250_000),
        down_limit_bytes_per_s: None,
        bytes_out: 3_002_911,
        bytes_in: 318_344_020,
    }]
}

fn settings() -> Settings {
    let mut s = Settings {
        lan: Some("eth1".into()),
        lan_addr: Some("192.168.137.1/24".into()),
        ..Settings::default()
    };
    s.engine.client_limits.push(ClientLimit {
        ip: "192.168.137.23".parse().unwrap(),
        max_flows: None,
        up_bytes_per_s: Some(1_250_000),
        down_bytes_per_s: None,
    });
    s.dhcp.reservations.push(Reservation {
        mac: "02:00:5e:10:00:09".parse().unwrap(),
        ip: "192.168.137.9".parse().unwrap(),
        hostname: Some("printer".into()),
    });
    s.forwards.push(forward_spec());
    s
}

fn reply(id: u64, r: Response) -> Vec<ResponseEnvelope> {
    vec![ResponseEnvelope::reply(id, r)]
}

fn exchanges() -> Vec<Exchange> {
    let key = forward_spec().key();
    vec![
        Exchange {
            name: "status",
            about: "Whether sharing runs, on which interfaces, and the engine's totals.",
            request: Request::Status,
            answers: reply(1, Response::Status(status())),
        },
        Exchange {
            name: "translations",
            about: "Every live translation: the hidden host, the remote and the gateway endpoint the remote sees.",
            request: Request::Translations,
            answers: reply(2, Response::Translations(vec![translation(), udp_translation()])),
        },
        Exchange {
            name: "inbound",
            about: "Inbound attempts the gateway refused, merged by (protocol, remote, gateway port, reason).",
            request: Request::Inbound,
            answers: reply(3, Response::Inbound(vec![attempt()])),
        },
        Exchange {
            name: "subscribe",
            about: "Updates every interval until the connection closes; each carries the full status and only the translations that changed.",
            request: Request::subscribe(Duration::from_secs(1)),
            answers: vec![ResponseEnvelope::event(
                4,
                Event::Update {
                    status: status(),
                    translations: TranslationDelta {
                        added: vec![udp_translation()],
                        updated: vec![translation()],
                        removed: vec![FlowId(61)],
                    },
                    inbound: vec![attempt()],
                },
            )],
        },
        Exchange {
            name: "get_settings",
            about: "The settings sharing starts (or runs) with.",
            request: Request::GetSettings,
            answers: reply(5, Response::Settings(settings())),
        },
        Exchange {
            name: "set_settings",
            about: "Replaces the settings (port forwards excepted); the answer is what is now stored. Changing anything but client limits and observe_inbound needs the administrator role.",
            request: Request::SetSettings {
                settings: Box::new(settings()),
            },
            answers: reply(6, Response::Settings(settings())),
        },
        Exchange {
            name: "start",
            about: "Starts sharing with the stored settings; refused with already_running when it runs.",
            request: Request::Start,
            answers: vec![
                ResponseEnvelope::reply(7, Response::Done),
                ResponseEnvelope::reply(
                    7,
                    Response::error(ErrorCode::AlreadyRunning, "sharing is already on"),
                ),
            ],
        },
        Exchange {
            name: "stop",
            about: "Stops sharing and removes everything sharing set up.",
            request: Request::Stop,
            answers: reply(8, Response::Done),
        },
        Exchange {
            name: "clear_inbound",
            about: "Forgets the refused inbound attempts seen so far.",
            request: Request::ClearInbound,
            answers: reply(9, Response::Done),
        },
        Exchange {
            name: "clients",
            about: "The hosts on the LAN: address, MAC, name, how they got the address, flows, bytes and limits.",
            request: Request::Clients,
            answers: reply(10, Response::Clients(clients())),
        },
        Exchange {
            name: "forwards",
            about: "Port forwards (the user's and LAN clients' NAT-PMP/PCP mappings) with their state.",
            request: Request::Forwards,
            answers: reply(11, Response::Forwards(forwards())),
        },
        Exchange {
            name: "add_forward",
            about: "Adds a port forward; it is saved and listens at once while sharing runs. The answer is the list afterwards.",
            request: Request::AddForward {
                forward: forward_spec(),
            },
            answers: reply(12, Response::Forwards(forwards())),
        },
        Exchange {
            name: "update_forward",
            about: "Changes a forward in one step (other ports, another target, a new name); refused as a whole when the new one does not fit, and the old one stays.",
            request: Request::UpdateForward {
                key,
                forward: ForwardSpec {
                    public: PortRange::single(8081).unwrap(),
                    ..forward_spec()
                },
            },
            answers: reply(13, Response::Forwards(forwards())),
        },
        Exchange {
            name: "remove_forward",
            about: "Removes a forward by its key (protocol and first public port).",
            request: Request::RemoveForward { key },
            answers: reply(14, Response::Forwards(forwards()[1..].to_vec())),
        },
        Exchange {
            name: "enable_forward",
            about: "Switches a forward off (or on) without forgetting it.",
            request: Request::EnableForward {
                key,
                enabled: false,
            },
            answers: reply(15, Response::Forwards(forwards())),
        },
        Exchange {
            name: "logs",
            about: "The daemon's most recent log lines, oldest first (operator role).",
            request: Request::Logs {
                level: Some(LogLevel::Warn),
                limit: Some(50),
            },
            answers: reply(
                16,
                Response::Logs(vec![LogLine {
                    unix_ms: 1_796_640_000_000,
                    level: LogLevel::Warn,
                    target: "masq::runtime::uplink_watch".into(),
                    message: "the uplink cannot carry traffic now; sharing waits for it (or another) to come back uplink=wlan0 192.168.1.20".into(),
                }]),
            ),
        },
        Exchange {
            name: "setup_check",
            about: "The first-run check: the interfaces and what each is, the uplink masq would use and why, and for the named LAN the gateway address, DHCP range and conflicts. Changes nothing; apply the plan with set_settings and start.",
            request: Request::SetupCheck {
                lan: Some("eth1".into()),
                lan_addr: None,
            },
            answers: reply(17, Response::SetupCheck(setup_report())),
        },
    ]
}

fn setup_report() -> SetupReport {
    SetupReport {
        interfaces: vec![
            InterfaceView {
                name: "lo".into(),
                kind: InterfaceKind::Loopback,
                description: None,
                running: true,
                addresses: vec!["127.0.0.1/8".into()],
                not_a_lan: Some("lo is this computer talking to itself".into()),
            },
            InterfaceView {
                name: "wlan0".into(),
                kind: InterfaceKind::Wifi,
                description: None,
                running: true,
                addresses: vec!["192.168.1.20/24".into()],
                not_a_lan: Some("wlan0 is the uplink: the LAN must be another interface".into()),
            },
            InterfaceView {
                name: "eth1".into(),
                kind: InterfaceKind::Ethernet,
                description: None,
                running: true,
                addresses: vec![],
                not_a_lan: None,
            },
        ],
        uplink: Some(UplinkChoice {
            name: "wlan0".into(),
            reason: "it carries the default route".into(),
        }),
        plan: Some(LanPlan {
            lan: "eth1".into(),
            gateway: "192.168.137.1/24".into(),
            gateway_source:
                "eth1 has no IPv4 address, so masq picked a prefix the uplink does not use".into(),
            dhcp_range: Some(("192.168.137.10".into(), "192.168.137.253".into())),
            findings: vec![SetupFinding {
                level: FindingLevel::Ok,
                check: "addresses".into(),
                message: "the LAN 192.168.137.0/24 does not overlap the uplink's network".into(),
                fix: None,
            }],
            ready: true,
        }),
    }
}

/// Fails to compile when a request kind is added without an example here.
fn request_kind(r: &Request) -> &'static str {
    match r {
        Request::Status
        | Request::Translations
        | Request::Inbound
        | Request::Subscribe { .. }
        | Request::GetSettings
        | Request::SetSettings { .. }
        | Request::Start
        | Request::Stop
        | Request::ClearInbound
        | Request::Clients
        | Request::Forwards
        | Request::AddForward { .. }
        | Request::UpdateForward { .. }
        | Request::RemoveForward { .. }
        | Request::EnableForward { .. }
        | Request::SetupCheck { .. }
        | Request::Logs { .. } => r.kind(),
    }
}

/// Fails to compile when an answer kind is added without an example here.
fn answer_kind(r: &Response) -> &'static str {
    match r {
        Response::Status(_)
        | Response::Translations(_)
        | Response::Inbound(_)
        | Response::Settings(_)
        | Response::Clients(_)
        | Response::Forwards(_)
        | Response::Logs(_)
        | Response::SetupCheck(_)
        | Response::Done
        | Response::Error(_) => r.kind(),
    }
}

fn line_json(line: &str) -> Value {
    serde_json::from_str(line.trim_end()).expect("an envelope line is JSON")
}

fn document() -> Value {
    let items: Vec<Value> = exchanges()
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let id = e.answers[0].id;
            assert_eq!(id, i as u64 + 1, "{}: ids count up", e.name);
            json!({
                "name": e.name,
                "about": e.about,
                "role": e.request.required_role().name(),
                "request": line_json(&RequestEnvelope::new(id, e.request.clone()).to_line()),
                "answers": e.answers.iter().map(|a| line_json(&a.to_line())).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "about": "Golden examples of the masq control API, protocol version 1: one JSON object per line on the wire, shown pretty here. Generated by crates/masq-control/tests/golden.rs; see docs/api.md.",
        "protocol_version": PROTOCOL_VERSION,
        "exchanges": items,
    })
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/api-examples.json")
}

fn typescript_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/golden.ts")
}

/// The examples as typed TypeScript constants for the GUI: `npm run build` (tsc) checks each
/// against `ui/src/api/types.ts`, so a field the daemon sends and the GUI's types lack (or the
/// reverse, or an enum spelling) fails the GUI's build instead of reaching users.
fn typescript(doc: &Value) -> String {
    let exchange = |name: &str| -> &Value {
        doc["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name} example"))
    };
    let data = |name: &str| exchange(name)["answers"][0]["ok"]["data"].clone();
    let mut update = exchange("subscribe")["answers"][0]["event"].clone();
    update.as_object_mut().unwrap().remove("type");
    let constants: [(&str, &str, Value); 11] = [
        ("STATUS", "StatusReport", data("status")),
        ("TRANSLATIONS", "Translation[]", data("translations")),
        ("INBOUND", "InboundAttempt[]", data("inbound")),
        ("UPDATE", "Omit<Update, \"first\">", update),
        ("SETTINGS", "Settings", data("get_settings")),
        ("CLIENTS", "LanClient[]", data("clients")),
        ("FORWARDS", "ForwardView[]", data("forwards")),
        (
            "NEW_FORWARD",
            "ForwardSpec",
            exchange("add_forward")["request"]["request"]["forward"].clone(),
        ),
        (
            "FORWARD_KEY",
            "ForwardKey",
            exchange("remove_forward")["request"]["request"]["key"].clone(),
        ),
        ("DAEMON_LOGS", "DaemonLogLine[]", data("logs")),
        ("SETUP_REPORT", "SetupReport", data("setup_check")),
    ];
    let mut out = String::from(
        "// Generated by crates/masq-control/tests/golden.rs from \
         crates/masq-control/golden/api-examples.json;\n\
         // do not edit (`MASQ_BLESS=1 cargo test -p masq-control --test golden` rewrites it).\n\
         // tsc checks every example against types.ts; golden.test.ts feeds them through the \
         model.\n\n\
         import type {\n  DaemonLogLine,\n  ForwardKey,\n  ForwardSpec,\n  ForwardView,\n  \
         InboundAttempt,\n  LanClient,\n  Settings,\n  SetupReport,\n  StatusReport,\n  Translation,\n  \
         Update,\n} from \"./types\";\n",
    );
    for (name, ty, value) in constants {
        out.push_str(&format!(
            "\nexport const {name}: {ty} = {};\n",
            serde_json::to_string_pretty(&value).unwrap()
        ));
    }
    out
}

/// Writes `text` to `path` when blessing; then it must be what is on disk.
fn check_current(path: &std::path::Path, text: &str) {
    if std::env::var_os("MASQ_BLESS").is_some() {
        std::fs::write(path, text).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} is not what the API's types produce now: if the wire form changed on purpose, run \
         `MASQ_BLESS=1 cargo test -p masq-control --test golden`, review the diff, and say in \
         docs/api.md whether old clients still understand it",
        path.display()
    );
}

#[test]
fn the_checked_in_examples_are_what_the_types_produce() {
    let doc = document();
    let mut text = serde_json::to_string_pretty(&doc).unwrap();
    text.push('\n');
    check_current(&golden_path(), &text);
    check_current(&typescript_path(), &typescript(&doc));
}

#[test]
fn every_example_line_decodes_and_encodes_back_unchanged() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(golden_path()).unwrap()).unwrap();
    let mut requests = Vec::new();
    let mut answers = Vec::new();
    for e in doc["exchanges"].as_array().unwrap() {
        let line = serde_json::to_string(&e["request"]).unwrap();
        let request = decode_request(line.as_bytes()).unwrap_or_else(|r| panic!("{line}: {r:?}"));
        assert_eq!(line_json(&request.to_line()), e["request"]);
        assert_eq!(request.request.required_role().name(), e["role"]);
        requests.push(request_kind(&request.request));
        for a in e["answers"].as_array().unwrap() {
            let line = serde_json::to_string(a).unwrap();
            let answer = decode_answer(line.as_bytes()).unwrap_or_else(|r| panic!("{line}: {r:?}"));
            assert_eq!(&line_json(&answer.to_line()), a);
            if let envelope::Body::Reply(r) = &answer.body {
                answers.push(answer_kind(r));
            }
        }
    }
    for kind in [
        "status",
        "translations",
        "inbound",
        "subscribe",
        "get_settings",
        "set_settings",
        "start",
        "stop",
        "clear_inbound",
        "clients",
        "forwards",
        "add_forward",
        "update_forward",
        "remove_forward",
        "enable_forward",
        "logs",
    ] {
        assert!(requests.contains(&kind), "no example of the {kind} request");
    }
    for kind in [
        "status",
        "translations",
        "inbound",
        "settings",
        "clients",
        "forwards",
        "logs",
        "done",
        "error",
    ] {
        assert!(answers.contains(&kind), "no example of the {kind} answer");
    }
}
