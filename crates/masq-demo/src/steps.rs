//! The walkthrough itself: what the demo does and says at each step, with the commands it
//! runs shown the way a user would type them.
//!
//! Steps: (1) the hidden host fetches a page and pings the server; (2) masq's translation
//! table; (3) the server's access log shows the gateway's address; (4) the internet host
//! tries to get in, toward the gateway and toward the hidden address, and `masq inbound`
//! shows why both were refused; (5) masq stops and the demo checks it left nothing behind.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::bench::{self, Bench};
use super::error::DemoError;
use super::interrupt;
use super::shell::Cmd;
use super::topology::{self, GATEWAY_UP, LAN_HOST, SERVER};

/// Limit for one client command (curl, ping, nc) in the walkthrough.
const CLIENT_LIMIT: Duration = Duration::from_secs(15);
/// How long servers and masq may take to become ready.
const READY_LIMIT: Duration = Duration::from_secs(20);
/// The port of the hidden host's own web server, the target of the inward attempts.
const HIDDEN_PORT: &str = "8080";
/// Bytes of the file the slow background download fetches (at 256 KiB/s: about 16 s, so the
/// connection is still open when the translation table is shown).
const SLOW_FILE_BYTES: usize = 4 << 20;

/// The page the internet server serves.
const PAGE: &str = "<!doctype html>\n<title>masq demo</title>\n\
<h1>Hello from 203.0.113.10, a server on the internet side</h1>\n";

/// A static file server in the spirit of `python3 -m http.server ADDR PORT DIR`, minus its
/// reverse-DNS lookup of the bind address at start (inside a namespace with no resolver that
/// lookup can stall for many seconds). Logs one line per request to stderr, client first.
const WEB_SERVER: &str = "\
import functools, http.server, socketserver, sys
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
";

/// The hidden host's own page (served on the LAN only).
const HIDDEN_PAGE: &str = "<!doctype html>\n<title>hidden host</title>\n\
<h1>A service on the hidden host 192.168.137.10</h1>\n";

/// Writes the web roots and starts the internet web server and the hidden host's service.
pub fn start_servers(b: &mut Bench) -> Result<(), DemoError> {
    let www = b.path("www");
    let lan_www = b.path("lan-www");
    for dir in [&www, &lan_www] {
        std::fs::create_dir_all(dir).map_err(|source| DemoError::Io {
            what: "create the web root",
            path: dir.clone(),
            source,
        })?;
    }
    bench::write_file(
        &www.join("index.html"),
        PAGE.as_bytes(),
        "write the demo page",
    )?;
    let slow: Vec<u8> = (0..SLOW_FILE_BYTES)
        .map(|i| b"masq demo "[i % 10])
        .collect();
    bench::write_file(&www.join("big.bin"), &slow, "write the demo download")?;
    bench::write_file(
        &lan_www.join("index.html"),
        HIDDEN_PAGE.as_bytes(),
        "write the hidden page",
    )?;

    let inet = b.names.inet.clone();
    let lan = b.names.lan.clone();
    let access_log = b.path("access.log");
    let www = www.display().to_string();
    let lan_www = lan_www.display().to_string();
    b.spawn(
        "web server",
        &inet,
        "python3",
        &["-u", "-c", WEB_SERVER, SERVER, "80", &www],
        &access_log,
    )?;
    b.spawn(
        "hidden web server",
        &lan,
        "python3",
        &["-u", "-c", WEB_SERVER, LAN_HOST, HIDDEN_PORT, &lan_www],
        &b.path("hidden-access.log"),
    )?;
    // A bare TCP connect: it tells that the server listens without adding a request to the
    // access log shown in step 3.
    wait_for("the web server", || {
        Cmd::in_ns(&inet, "nc", &["-z", "-w", "1", SERVER, "80"])
            .output("probing the web server", CLIENT_LIMIT)
            .map(|o| o.status.success())
    })?;
    wait_for("the hidden host's web server", || {
        Cmd::in_ns(&lan, "nc", &["-z", "-w", "1", LAN_HOST, HIDDEN_PORT])
            .output("probing the hidden web server", CLIENT_LIMIT)
            .map(|o| o.status.success())
    })
}

/// Starts masq and waits until its control socket reports `"running": true`.
pub fn start_masq(b: &mut Bench, exe: &Path) -> Result<(), DemoError> {
    b.start_masq(exe)?;
    let control = b.control_socket().display().to_string();
    let exe_s = exe.display().to_string();
    let deadline = Instant::now() + READY_LIMIT;
    loop {
        interrupt::check()?;
        b.masq_alive()?;
        let out = Cmd::new(&exe_s, &["status", "--json", "--control", &control])
            .output("asking masq for its status", CLIENT_LIMIT)?;
        if out.status.success() && reports_running(&out.stdout) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(DemoError::Timeout {
                what: "masq's start".into(),
                limit: READY_LIMIT,
            });
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Step 1: the hidden host fetches the page and pings the server.
pub fn step_outbound(b: &mut Bench) -> Result<(), DemoError> {
    heading(1, "The hidden host 192.168.137.10 reaches the internet");
    say(&[
        "Nothing on the internet side knows a route to 192.168.137.0/24: the only way out",
        "is through masq, which re-sends each conversation from the gateway's own address.",
    ]);
    let lan = b.names.lan.clone();
    let big = format!("http://{SERVER}/big.bin");
    b.spawn(
        "slow download",
        &lan,
        "curl",
        &["-s", "-o", "/dev/null", "--limit-rate", "256k", &big],
        &b.path("slow-download.log"),
    )?;
    say(&["(A slow download of big.bin runs in the background, so there is a live connection.)"]);
    let page = show(&Cmd::in_ns(
        &lan,
        "curl",
        &["-sS", "-m", "10", &format!("http://{SERVER}/")],
    ))?;
    indent(&page);
    let ping = show(&Cmd::in_ns(
        &lan,
        "ping",
        &["-n", "-c", "3", "-i", "0.3", "-W", "2", SERVER],
    ))?;
    indent(&last_lines(&ping, 2));
    Ok(())
}

/// Step 2: masq's translation table.
pub fn step_translations(b: &mut Bench, exe: &Path) -> Result<(), DemoError> {
    heading(2, "masq's translations");
    say(&[
        "Each row is one of the hidden host's conversations. GATEWAY is the address and port",
        "the server sees: masq's own socket on the uplink, 198.51.100.2.",
    ]);
    let control = b.control_socket().display().to_string();
    let table = show(&Cmd::new(
        &exe.display().to_string(),
        &["translations", "--control", &control],
    ))?;
    indent(&table);
    Ok(())
}

/// Step 3: the server's access log names the gateway, never the hidden host.
pub fn step_access_log(b: &mut Bench) -> Result<(), DemoError> {
    heading(3, "What the web server saw");
    let log_path = b.path("access.log");
    let log = std::fs::read_to_string(&log_path).map_err(|source| DemoError::Io {
        what: "read the web server's log",
        path: log_path.clone(),
        source,
    })?;
    let requests: Vec<&str> = log.lines().filter(|l| l.contains("\"GET ")).collect();
    indent(&requests.join("\n"));
    let from_hidden: Vec<&str> = requests
        .iter()
        .copied()
        .filter(|l| client_of(l) == Some(LAN_HOST))
        .collect();
    let from_gateway = requests
        .iter()
        .filter(|l| client_of(l) == Some(GATEWAY_UP))
        .count();
    if !from_hidden.is_empty() || from_gateway == 0 {
        return Err(DemoError::Unexpected(format!(
            "the server's log should show requests from {GATEWAY_UP} only; it shows:\n{}",
            requests.join("\n")
        )));
    }
    say(&["The requests came from 198.51.100.2, the gateway; 192.168.137.10 never appears."]);
    b.stop_server("slow download");
    Ok(())
}

/// Step 4: the internet host tries to connect inward; both attempts fail and masq shows why.
pub fn step_inbound(b: &mut Bench, exe: &Path) -> Result<(), DemoError> {
    heading(4, "The internet tries to get in");
    let lan = b.names.lan.clone();
    let inet = b.names.inet.clone();
    let hidden_url = format!("http://{LAN_HOST}:{HIDDEN_PORT}/");
    say(&["The hidden host runs a web server on port 8080. On the LAN it answers:"]);
    let code = show(&Cmd::in_ns(
        &lan,
        "curl",
        &[
            "-sS",
            "-m",
            "5",
            "-o",
            "/dev/null",
            "-w",
            "HTTP %{http_code}\\n",
            &hidden_url,
        ],
    ))?;
    indent(&code);

    say(&[
        "The internet host connects to the gateway's address, the only one it can see. Nothing",
        "listens on port 8080 there and masq has no translation for it: refused at once.",
    ]);
    refused(&Cmd::in_ns(
        &inet,
        "curl",
        &[
            "-sS",
            "-m",
            "3",
            &format!("http://{GATEWAY_UP}:{HIDDEN_PORT}/"),
        ],
    ))?;
    let udp = Cmd::in_ns(
        &inet,
        "sh",
        &["-c", &format!("echo hello | nc -u -w 1 {GATEWAY_UP} 9090")],
    );
    println!("   $ {}", udp.display());
    udp.output("sending a UDP datagram inward", CLIENT_LIMIT)?;

    say(&[
        "Now toward the hidden address itself, with routes to 192.168.137.0/24 via the",
        "gateway: no answer at all, the attempt times out.",
    ]);
    for args in topology::routes_toward_lan(&b.names) {
        let cmd = Cmd::new("ip", &args);
        println!("   $ {}", cmd.display());
        cmd.run("adding a route toward the LAN", CLIENT_LIMIT)?;
    }
    refused(&Cmd::in_ns(&inet, "curl", &["-sS", "-m", "3", &hidden_url]))?;

    say(&[
        "Second-class connections: a hidden host can connect out to anything, but nothing",
        "connects in. masq never forwards inward, and shows who knocked and why:",
    ]);
    let control = b.control_socket().display().to_string();
    let exe_s = exe.display().to_string();
    // The observer reports asynchronously; give it a moment to list both protocols.
    let json = Cmd::new(&exe_s, &["inbound", "--json", "--control", &control]);
    let _ = wait_for("masq to list the inbound attempts", || {
        json.output("asking masq for inbound attempts", CLIENT_LIMIT)
            .map(|o| o.stdout.matches("\"protocol\"").count() >= 3)
    });
    let table = show(&Cmd::new(&exe_s, &["inbound", "--control", &control]))?;
    indent(&table);
    Ok(())
}

/// Prints what to try while the network stays up (`--keep`), then waits for Ctrl-C.
pub fn keep_until_interrupted(b: &mut Bench, exe: &Path) -> Result<(), DemoError> {
    let control = b.control_socket();
    let control = control.display();
    let exe = exe.display();
    let n = &b.names;
    println!(
        "\nThe demo network stays up until you press Ctrl-C. Try, as root in another terminal:"
    );
    for line in [
        format!("ip netns exec {} curl http://{SERVER}/", n.lan),
        format!("ip netns exec {} ping -c 3 {SERVER}", n.lan),
        format!("ip netns exec {} traceroute -n {SERVER}", n.lan),
        format!("{exe} translations --watch --control {control}"),
        format!("{exe} inbound --control {control}"),
        format!(
            "ip netns exec {} curl -m 3 http://{GATEWAY_UP}:{HIDDEN_PORT}/",
            n.inet
        ),
        format!(
            "ip netns exec {} bash     # a shell on the hidden host",
            n.lan
        ),
    ] {
        println!("  {line}");
    }
    println!("masq's log: {}", b.masq_log().display());
    while !interrupt::requested() {
        b.masq_alive()?;
        thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Step 5: stop masq with SIGTERM and check it removed its policy rule and TUN device.
/// `rules_before` is `ip rule show` in the gateway namespace before masq started.
pub fn step_cleanup(b: &mut Bench, exe: &Path, rules_before: &str) -> Result<(), DemoError> {
    heading(5, "Cleaning up");
    let status = b.stop_masq(exe)?;
    println!(
        "   masq stopped after SIGTERM ({})",
        super::shell::describe(status)
    );
    let gw = b.names.gw.clone();
    let rules_after = gateway_rules(&gw)?;
    let tun_left = Cmd::new("ip", &["-n", &gw, "link", "show", topology::TUN_IF])
        .cleanup()
        .output("looking for masq's TUN device", CLIENT_LIMIT)?
        .status
        .success();
    let mut left = Vec::new();
    if rules_after != rules_before {
        left.push(format!("policy rules changed:\n{rules_after}"));
    }
    if tun_left {
        left.push(format!("the TUN device {} still exists", topology::TUN_IF));
    }
    if !left.is_empty() {
        return Err(DemoError::LeftBehind(left.join("; ")));
    }
    println!(
        "   It removed its routing rule and its TUN device {}.",
        topology::TUN_IF
    );
    b.teardown(exe);
    println!("   Namespaces {} deleted. Done.", b.names.all().join(", "));
    Ok(())
}

/// `ip rule show` in the gateway namespace.
pub fn gateway_rules(gw: &str) -> Result<String, DemoError> {
    Ok(Cmd::new("ip", &["-n", gw, "rule", "show"])
        .cleanup()
        .run("listing the gateway's routing rules", CLIENT_LIMIT)?
        .stdout)
}

/// Whether `masq status --json` output says sharing runs.
fn reports_running(json: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("running").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

/// The client address at the start of a [`WEB_SERVER`] log line.
fn client_of(line: &str) -> Option<&str> {
    line.split_whitespace().next()
}

/// Runs a command the user should see, printing it first; fails if it fails.
fn show(cmd: &Cmd) -> Result<String, DemoError> {
    println!("   $ {}", cmd.display());
    Ok(cmd.run("a demo step", CLIENT_LIMIT)?.stdout)
}

/// Runs an inward attempt that must fail, and prints how it failed.
fn refused(cmd: &Cmd) -> Result<(), DemoError> {
    println!("   $ {}", cmd.display());
    let out = cmd.output("an inward connection attempt", CLIENT_LIMIT)?;
    if out.status.success() {
        return Err(DemoError::Unexpected(format!(
            "`{}` reached the hidden side; masquerading must never let a connection in",
            cmd.display()
        )));
    }
    let why = out.stderr.trim();
    indent(&format!(
        "→ failed, as it should: {}",
        if why.is_empty() { "no answer" } else { why }
    ));
    Ok(())
}

/// Polls `probe` every 100 ms until it returns true, or fails after [`READY_LIMIT`].
fn wait_for(
    what: &str,
    mut probe: impl FnMut() -> Result<bool, DemoError>,
) -> Result<(), DemoError> {
    let deadline = Instant::now() + READY_LIMIT;
    loop {
        interrupt::check()?;
        if probe()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(DemoError::Timeout {
                what: what.to_owned(),
                limit: READY_LIMIT,
            });
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// The last `n` lines of `text` (ping's summary).
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn heading(n: u8, title: &str) {
    println!("\n{n}. {title}");
}

fn say(lines: &[&str]) {
    for l in lines {
        println!("   {l}");
    }
}

fn indent(text: &str) {
    for l in text.trim_end().lines() {
        println!("     {l}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_is_read_from_status_json() {
        assert!(reports_running(r#"{"running": true, "uplink": "gw-up"}"#));
        assert!(!reports_running(r#"{"running": false}"#));
        assert!(!reports_running("not json"));
        assert!(!reports_running(r#"[{"running": true}]"#));
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("only", 2), "only");
        assert_eq!(last_lines("", 2), "");
    }

    #[test]
    fn client_address_comes_from_the_log_line() {
        let line = r#"198.51.100.2 - - [25/Nov/2026 14:00:00] "GET / HTTP/1.1" 200 -"#;
        assert_eq!(client_of(line), Some(GATEWAY_UP));
        assert_eq!(client_of(""), None);
    }
}
