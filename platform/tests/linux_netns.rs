//! Privileged end-to-end tests of the Linux backend against a real kernel.
//!
//! Each test builds its own network namespaces (`masqplat-<pid>-<tag>`, removed by a guard
//! even when the test panics), wires them with veth pairs, and runs masq-platform on threads
//! that entered those namespaces with `setns`, so the host's own interfaces, routes and
//! settings are never touched. Without root (or without `ip` / `/dev/net/tun`) the tests print
//! why and pass without running.
//!
//! Topology of the gateway test:
//! ```text
//!   [lan ns] lanh0 192.168.137.2/24 ── lan0 [gw ns] up0 10.99.0.1/24 ── up0p 10.99.0.2/24 [up ns]
//!            default via .137.1            masq0 (TUN)    default via 10.99.0.2
//! ```

#![cfg(target_os = "linux")]

use std::fs;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use masq_platform::sockets::{self, Uplink};
use masq_platform::{
    GatewaySpec, InboundObserver, ObservedInbound, PlatformError, cleanup_stale, default_uplink,
    interface_info, start,
};
use masq_vocab::{ConnectError, Family, IcmpErrorKind, Protocol};

// ---------------------------------------------------------------------------------------------
// Namespace plumbing
// ---------------------------------------------------------------------------------------------

/// Whether this process may create namespaces and TUN devices; prints why not otherwise.
fn privileged() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipping: the network-namespace tests need root");
        return false;
    }
    if !Path::new("/dev/net/tun").exists() {
        eprintln!("skipping: /dev/net/tun is missing");
        return false;
    }
    if Command::new("ip").arg("-V").output().is_err() {
        eprintln!("skipping: the `ip` tool (iproute2) is missing");
        return false;
    }
    true
}

/// Runs `ip` with `args`, panicking with its stderr on failure; returns stdout.
fn ip(args: &[&str]) -> String {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("could not run ip");
    assert!(
        out.status.success(),
        "ip {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace owned by the test; deleted on drop, also while unwinding.
struct Netns {
    name: String,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("masqplat-{}-{tag}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n <ns> args...`
    fn ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        ip(&full)
    }

    /// Whether `ip -n <ns> args...` succeeds (for "is it gone" checks).
    fn ip_ok(&self, args: &[&str]) -> bool {
        Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Runs `f` on a thread inside the namespace, waiting for it (panics propagate).
    fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        thread::scope(|scope| {
            let handle = scope.spawn(|| {
                enter(&self.name);
                f()
            });
            match handle.join() {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Starts `f` on a thread inside the namespace without waiting.
    fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> thread::JoinHandle<T> {
        let name = self.name.clone();
        thread::spawn(move || {
            enter(&name);
            f()
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Moves the calling thread into namespace `name`.
fn enter(name: &str) {
    let file = fs::File::open(format!("/run/netns/{name}")).expect("open the namespace file");
    // SAFETY: the fd is a valid namespace file for the duration of the call.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "setns into {name}: {}",
        std::io::Error::last_os_error()
    );
}

/// A veth pair: `a` in `ns_a`, `b` in `ns_b`, both up.
fn veth(ns_a: &Netns, a: &str, ns_b: &Netns, b: &str) {
    ns_a.ip(&[
        "link", "add", a, "type", "veth", "peer", "name", b, "netns", &ns_b.name,
    ]);
    ns_a.ip(&["link", "set", a, "up"]);
    ns_b.ip(&["link", "set", b, "up"]);
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// Retries `f` every 10 ms until it returns `Some` or `timeout` passes.
fn poll_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = f() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A journal path in a fresh directory that is removed on drop, also while unwinding.
struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    fn new(tag: &str) -> StateDir {
        let dir = std::env::temp_dir().join(format!("masqplat-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        StateDir { dir }
    }

    fn journal(&self) -> PathBuf {
        self.dir.join("state.json")
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn sysctl(path: &str) -> String {
    fs::read_to_string(format!("/proc/sys/net/ipv4/{path}"))
        .expect("read sysctl")
        .trim()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Packet helpers
// ---------------------------------------------------------------------------------------------

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in bytes.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4/UDP packet (UDP checksum 0, which IPv4 allows).
fn udp4(src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) -> Vec<u8> {
    let total = 20 + 8 + payload.len();
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&src.ip().octets());
    p[16..20].copy_from_slice(&dst.ip().octets());
    let sum = checksum(&p[..20]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p[20..22].copy_from_slice(&src.port().to_be_bytes());
    p[22..24].copy_from_slice(&dst.port().to_be_bytes());
    p[24..26].copy_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    p[28..].copy_from_slice(payload);
    p
}

// ---------------------------------------------------------------------------------------------
// Gateway: start / stop / crash cleanup / rollback
// ---------------------------------------------------------------------------------------------

const TABLE: &str = "28017";
const LAN_HOST: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 168, 137, 2), 40000);
const INTERNET: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 1), 9);
const GATEWAY_DNS: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 168, 137, 1), 53);

/// The settings masq may change, as read before start.
#[derive(Debug, PartialEq, Eq)]
struct Baseline {
    lan_forwarding: String,
    ping_group_range: String,
}

impl Baseline {
    fn read() -> Baseline {
        Baseline {
            lan_forwarding: sysctl("conf/lan0/forwarding"),
            ping_group_range: sysctl("ping_group_range"),
        }
    }
}

fn assert_running(gw_ns: &Netns, state: &Path) {
    let link = gw_ns.ip(&["-o", "link", "show", "masq0"]);
    assert!(
        link.contains("mtu 1400") && link.contains(",UP"),
        "TUN not up with MTU 1400: {link}"
    );
    let tun_addr = gw_ns.ip(&["-o", "-4", "addr", "show", "dev", "masq0"]);
    assert!(
        tun_addr.contains("192.168.137.1/32"),
        "TUN lacks the /32 that passes rp_filter: {tun_addr}"
    );
    let rules = gw_ns.ip(&["rule", "show"]);
    assert!(
        rules.contains(&format!("5210:\tfrom all iif lan0 lookup {TABLE}")),
        "rule missing: {rules}"
    );
    let routes = gw_ns.ip(&["route", "show", "table", TABLE]);
    assert!(
        routes.contains("default dev masq0"),
        "default route missing: {routes}"
    );
    assert!(
        routes.contains("192.168.137.0/24 dev lan0"),
        "LAN route missing: {routes}"
    );
    let lan_addr = gw_ns.ip(&["-o", "-4", "addr", "show", "dev", "lan0"]);
    assert!(
        lan_addr.contains("192.168.137.1/24"),
        "LAN address missing: {lan_addr}"
    );
    assert_eq!(sysctl("conf/lan0/forwarding"), "1");
    assert_eq!(sysctl("conf/masq0/forwarding"), "1");
    assert_eq!(sysctl("conf/masq0/rp_filter"), "2");
    assert_eq!(sysctl("conf/masq0/accept_local"), "1");
    assert_eq!(
        sysctl("conf/up0/forwarding"),
        "0",
        "the uplink must keep forwarding off"
    );
    let range: Vec<u32> = sysctl("ping_group_range")
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    // SAFETY: getegid has no preconditions.
    let gid = unsafe { libc::getegid() };
    assert!(
        range[0] <= gid && gid <= range[1],
        "ping_group_range {range:?} excludes gid {gid}"
    );
    let journal = fs::read_to_string(state).expect("journal exists while running");
    assert!(journal.contains("rule_added"), "{journal}");
}

fn assert_clean(gw_ns: &Netns, state: &Path, baseline: &Baseline) {
    let gone = poll_for(Duration::from_secs(2), || {
        (!gw_ns.ip_ok(&["link", "show", "masq0"])).then_some(())
    });
    assert!(gone.is_some(), "TUN still present");
    let rules = gw_ns.ip(&["rule", "show"]);
    assert!(!rules.contains(TABLE), "rule left behind: {rules}");
    let routes = gw_ns.ip(&["route", "show", "table", TABLE]);
    assert!(routes.trim().is_empty(), "routes left behind: {routes}");
    let lan_addr = gw_ns.ip(&["-o", "-4", "addr", "show", "dev", "lan0"]);
    assert!(
        !lan_addr.contains("192.168.137.1"),
        "LAN address left behind: {lan_addr}"
    );
    assert_eq!(&Baseline::read(), baseline, "settings not restored");
    assert!(!state.exists(), "journal left behind");
}

/// LAN host → TUN, and TUN → LAN host (from an internet address and from the gateway's own).
fn assert_steering(gw: &masq_platform::Gateway, lan_ns: &Netns) {
    let lan_host = lan_ns.spawn(|| {
        let sock = UdpSocket::bind(LAN_HOST).expect("bind on the LAN host");
        sock.send_to(b"to-the-internet", INTERNET)
            .expect("send from the LAN host");
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1500];
        while got.len() < 2 {
            match sock.recv_from(&mut buf) {
                Ok((n, from)) => got.push((buf[..n].to_vec(), from)),
                Err(e) => panic!("LAN host got {} of 2 replies: {e}", got.len()),
            }
        }
        got
    });

    let mut buf = [0u8; 2048];
    let packet = poll_for(Duration::from_secs(5), || {
        // With offload on (the default) a virtio-net header precedes each packet.
        let (range, _) = gw.tun.recv_packet(&mut buf).ok()?;
        let p = &buf[range];
        (p.len() >= 28 && p[9] == 17 && p[16..20] == INTERNET.ip().octets()).then(|| p.to_vec())
    })
    .expect("the LAN host's datagram never reached the TUN");
    assert_eq!(packet[12..16], LAN_HOST.ip().octets(), "source rewritten?");
    assert_eq!(
        u16::from_be_bytes([packet[22], packet[23]]),
        INTERNET.port()
    );
    assert_eq!(&packet[28..], b"to-the-internet");

    let plain = |data| masq_vocab::TunPacket {
        data,
        segmentation: None,
    };
    gw.tun
        .send_packet(&plain(udp4(INTERNET, LAN_HOST, b"from-the-internet")))
        .expect("write reply into the TUN");
    gw.tun
        .send_packet(&plain(udp4(GATEWAY_DNS, LAN_HOST, b"from-the-gateway")))
        .expect("write local-source reply");

    let mut got = lan_host.join().expect("LAN host thread");
    got.sort();
    assert_eq!(
        got,
        vec![
            (b"from-the-gateway".to_vec(), SocketAddr::V4(GATEWAY_DNS)),
            (b"from-the-internet".to_vec(), SocketAddr::V4(INTERNET)),
        ]
    );
}

#[test]
fn gateway_start_stop_crash_cleanup_and_rollback() {
    if !privileged() {
        return;
    }
    let gw_ns = Netns::new("gw");
    let up_ns = Netns::new("up");
    let lan_ns = Netns::new("lan");
    veth(&gw_ns, "up0", &up_ns, "up0p");
    gw_ns.ip(&["addr", "add", "10.99.0.1/24", "dev", "up0"]);
    up_ns.ip(&["addr", "add", "10.99.0.2/24", "dev", "up0p"]);
    gw_ns.ip(&["route", "add", "default", "via", "10.99.0.2"]);
    veth(&gw_ns, "lan0", &lan_ns, "lanh0");
    lan_ns.ip(&["addr", "add", "192.168.137.2/24", "dev", "lanh0"]);
    lan_ns.ip(&["route", "add", "default", "via", "192.168.137.1"]);

    let state_dir = StateDir::new("gw");
    let state = state_dir.journal();
    let mut spec = GatewaySpec::new("up0", "lan0", &state);
    spec.lan_addr = Some("192.168.137.1/24".parse().unwrap());
    spec.tun_mtu = 1400;

    gw_ns.run(|| {
        block_on(async {
            assert_eq!(default_uplink().await.unwrap().as_deref(), Some("up0"));
            let baseline = Baseline::read();

            // 1. Normal start and stop.
            let gw = start(&spec).await.expect("start");
            assert_eq!(gw.tun.name(), "masq0");
            assert_eq!(gw.tun.mtu(), 1400);
            assert!(
                gw.tun.offload(),
                "this kernel accepts TSO on a TUN (virtio-net headers)"
            );
            assert_eq!(gw.lan_net, "192.168.137.1/24".parse().unwrap());
            assert!(
                gw.lan.ipv4.contains(&(Ipv4Addr::new(192, 168, 137, 1), 24)),
                "{:?}",
                gw.lan
            );
            assert_eq!(gw.uplink.name, "up0");
            assert_running(&gw_ns, &state);
            assert_steering(&gw, &lan_ns);
            gw.stop().await.expect("stop");
            assert_clean(&gw_ns, &state, &baseline);

            // 2. Crash: the process "dies" without stop; the kernel drops the TUN with its fd.
            let gw = start(&spec).await.expect("second start");
            let fd = gw.tun.as_raw_fd();
            std::mem::forget(gw);
            // SAFETY: the fd belongs to the forgotten TunDevice, which will never use it again.
            assert_eq!(unsafe { libc::close(fd) }, 0);
            let gone = poll_for(Duration::from_secs(2), || {
                (!gw_ns.ip_ok(&["link", "show", "masq0"])).then_some(())
            });
            assert!(gone.is_some(), "closing the fd must delete the TUN");
            assert!(
                gw_ns.ip(&["rule", "show"]).contains(TABLE),
                "the rule survives a crash"
            );
            match start(&spec).await {
                Err(PlatformError::StaleJournal { pid, .. }) => assert_eq!(pid, std::process::id()),
                other => panic!("start over a stale journal must refuse, got {other:?}"),
            }
            let report = cleanup_stale(&state).await.expect("cleanup_stale");
            let text = report.to_string();
            for line in [
                "removed: rule iif lan0 lookup 28017 priority 5210",
                "removed: route 192.168.137.0/24 dev lan0 table 28017",
                "already gone: route 0.0.0.0/0 dev masq0 table 28017",
                "removed: address 192.168.137.1/24 on lan0",
                "removed: setting /proc/sys/net/ipv4/conf/lan0/forwarding",
                "already gone: setting /proc/sys/net/ipv4/conf/masq0/rp_filter",
                "already gone: TUN adapter masq0",
            ] {
                assert!(text.contains(line), "missing {line:?} in report:\n{text}");
            }
            assert_clean(&gw_ns, &state, &baseline);
            let again = cleanup_stale(&state).await.expect("second cleanup");
            assert!(!again.found, "{again}");

            // 3. A failing step rolls back everything before it and leaves others' rules alone.
            gw_ns.ip(&[
                "rule", "add", "iif", "lan0", "lookup", TABLE, "priority", "5210",
            ]);
            match start(&spec).await {
                Err(PlatformError::Conflict { what, .. }) => {
                    assert!(what.contains("5210"), "{what}")
                }
                other => panic!("expected a rule conflict, got {other:?}"),
            }
            let rules = gw_ns.ip(&["rule", "show"]);
            assert!(
                rules.contains(&format!("5210:\tfrom all iif lan0 lookup {TABLE}")),
                "foreign rule removed: {rules}"
            );
            gw_ns.ip(&[
                "rule", "del", "iif", "lan0", "lookup", TABLE, "priority", "5210",
            ]);
            assert_clean(&gw_ns, &state, &baseline);

            // 4. Bad input is refused before anything changes.
            let mut same = spec.clone();
            same.lan = "up0".into();
            assert!(matches!(
                start(&same).await,
                Err(PlatformError::SameInterface { .. })
            ));
            let mut missing = spec.clone();
            missing.lan = "nope0".into();
            match start(&missing).await {
                Err(e @ PlatformError::InterfaceNotFound { .. }) => {
                    assert!(e.to_string().contains("LAN interface `nope0`"), "{e}")
                }
                other => panic!("expected InterfaceNotFound, got {other:?}"),
            }
            let mut no_addr = spec.clone();
            no_addr.lan_addr = None;
            assert!(matches!(
                start(&no_addr).await,
                Err(PlatformError::NoLanAddress { .. })
            ));
            assert_clean(&gw_ns, &state, &baseline);
        })
    });
}

// ---------------------------------------------------------------------------------------------
// Uplink sockets, ICMP error queue, inbound observer
// ---------------------------------------------------------------------------------------------

const GW_UP: Ipv4Addr = Ipv4Addr::new(10, 98, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 98, 0, 2);
const GW_UP6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x98, 0, 0, 0, 0, 1);
const PEER6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x98, 0, 0, 0, 0, 2);

#[test]
fn uplink_sockets_icmp_errors_and_inbound_observer() {
    if !privileged() {
        return;
    }
    let gw_ns = Netns::new("sgw");
    let peer_ns = Netns::new("speer");
    veth(&gw_ns, "up0", &peer_ns, "up0p");
    gw_ns.ip(&["addr", "add", "10.98.0.1/24", "dev", "up0"]);
    peer_ns.ip(&["addr", "add", "10.98.0.2/24", "dev", "up0p"]);
    gw_ns.ip(&["addr", "add", "2001:db8:98::1/64", "dev", "up0", "nodad"]);
    peer_ns.ip(&["addr", "add", "2001:db8:98::2/64", "dev", "up0p", "nodad"]);

    gw_ns.run(|| {
        let info = interface_info("up0").expect("interface_info");
        assert!(info.ipv4.contains(&(GW_UP, 24)), "{info:?}");
        assert_eq!(info.mtu, 1500);
        let uplink = Uplink::from(&info);

        // UDP to a closed port: the peer's port unreachable lands in the error queue.
        let udp = sockets::udp_socket(&uplink, Family::V4).expect("udp_socket");
        let closed = SocketAddr::from((PEER, 9));
        udp.send_to(b"probe", &closed.into()).expect("send");
        let report = poll_for(Duration::from_secs(3), || {
            sockets::take_icmp_error(&udp).expect("take_icmp_error")
        })
        .expect("no port unreachable queued");
        assert_eq!(report.kind, IcmpErrorKind::PortUnreachable);
        assert_eq!(report.offender, std::net::IpAddr::V4(PEER));
        assert_eq!(report.original_dst, closed);
        assert_eq!(report.payload, b"probe");
        assert!(sockets::take_icmp_error(&udp).unwrap().is_none());

        // The same over IPv6: ICMPv6 port unreachable through IPV6_RECVERR.
        assert_eq!(
            uplink.ipv6,
            Some(GW_UP6),
            "the routable address, not the link-local one"
        );
        let udp6 = sockets::udp_socket(&uplink, Family::V6).expect("udp_socket v6");
        let closed6 = SocketAddr::from((PEER6, 9));
        udp6.send_to(b"probe6", &closed6.into()).expect("send v6");
        let report = poll_for(Duration::from_secs(3), || {
            sockets::take_icmp_error(&udp6).expect("take_icmp_error v6")
        })
        .expect("no ICMPv6 port unreachable queued");
        assert_eq!(report.kind, IcmpErrorKind::PortUnreachable);
        assert_eq!(report.offender, std::net::IpAddr::V6(PEER6));
        assert_eq!(report.original_dst, closed6);
        assert_eq!(report.payload, b"probe6");

        // TCP to a closed port: refused.
        let tcp = sockets::tcp_socket(&uplink, closed, 64, Some(1400)).expect("tcp_socket");
        tcp.set_nonblocking(false).unwrap();
        let err = tcp
            .connect(&closed.into())
            .expect_err("connect to a closed port");
        assert_eq!(sockets::connect_error(&err), ConnectError::Refused);

        // ICMP echo: refused by the default ping_group_range, then allowed.
        fs::write("/proc/sys/net/ipv4/ping_group_range", "1\t0\n").unwrap();
        let err = sockets::icmp_echo_socket(&uplink, Family::V4)
            .expect_err("ping sockets are off by default");
        assert!(err.to_string().contains("ping_group_range"), "{err}");
        fs::write("/proc/sys/net/ipv4/ping_group_range", "0\t0\n").unwrap();
        let ping = sockets::icmp_echo_socket(&uplink, Family::V4).expect("icmp_echo_socket");
        let echo = [8u8, 0, 0, 0, 0, 0, 0, 7, b'm', b'q'];
        ping.send_to(&echo, &SocketAddr::from((PEER, 0)).into())
            .expect("send echo");
        let reply = poll_for(Duration::from_secs(3), || {
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
            let (n, _) = ping.recv_from(&mut buf).ok()?;
            // SAFETY: recv_from initialised the first n bytes.
            Some(
                (0..n)
                    .map(|i| unsafe { buf[i].assume_init() })
                    .collect::<Vec<u8>>(),
            )
        })
        .expect("no echo reply");
        assert_eq!(reply[0], 0, "echo reply type");
        assert_eq!(u16::from_be_bytes([reply[6], reply[7]]), 7, "sequence kept");
        assert_eq!(&reply[8..], b"mq");

        // Inbound observer: sees SYNs and datagrams to the uplink, not replies or our own.
        let hidden: masq_platform::Ipv4Net = "192.168.213.0/24".parse().expect("prefix");
        let observer = InboundObserver::open(&uplink, hidden).expect("InboundObserver::open");
        let listener_ready = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = listener_ready;
        let peer = peer_ns.spawn(move || {
            let listener = TcpListener::bind((PEER, 8080)).expect("peer listen");
            ready_tx.send(()).unwrap();
            let _conn = listener.accept().expect("peer accept");
            let udp = UdpSocket::bind((PEER, 0)).unwrap();
            udp.send_to(b"knock", (GW_UP, 5353)).unwrap();
            // A SYN to a closed port of the gateway; the gateway's kernel answers RST.
            let _ = TcpStream::connect_timeout(
                &SocketAddr::from((GW_UP, 2222)),
                Duration::from_secs(2),
            );
        });
        ready_rx.recv().unwrap();
        let outbound = TcpStream::connect((PEER, 8080)).expect("gateway connects out");
        UdpSocket::bind((GW_UP, 0))
            .unwrap()
            .send_to(b"ours", (PEER, 9999))
            .unwrap();
        peer.join().expect("peer thread");
        drop(outbound);

        let mut seen: Vec<ObservedInbound> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && seen.len() < 2 {
            match observer.recv().expect("observer recv") {
                Some(attempt) => seen.push(attempt),
                None => thread::sleep(Duration::from_millis(10)),
            }
        }
        thread::sleep(Duration::from_millis(100));
        while let Some(extra) = observer.recv().expect("observer recv") {
            seen.push(extra);
        }
        assert_eq!(
            seen.len(),
            2,
            "expected exactly the UDP knock and the SYN: {seen:?}"
        );
        let udp_seen = seen
            .iter()
            .find(|s| s.protocol == Protocol::Udp)
            .expect("UDP knock seen");
        assert_eq!(udp_seen.local, SocketAddr::from((GW_UP, 5353)));
        assert_eq!(udp_seen.remote.ip(), std::net::IpAddr::V4(PEER));
        let syn_seen = seen
            .iter()
            .find(|s| s.protocol == Protocol::Tcp)
            .expect("SYN seen");
        assert_eq!(syn_seen.local, SocketAddr::from((GW_UP, 2222)));
        assert_eq!(syn_seen.remote.ip(), std::net::IpAddr::V4(PEER));
    });
}

/// Runs `nft -f -` with `rules` inside `ns`.
fn nft(ns: &Netns, rules: &str) {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("could not run nft");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(rules.as_bytes())
        .expect("write rules");
    assert!(child.wait().expect("nft").success(), "nft failed: {rules}");
}

/// RFC 5382 REQ-10: an ICMP host unreachable about an established connection must not end it.
/// The peer's firewall answers the gateway's next segment with one, then lets traffic through
/// again. On a socket that kept `IP_RECVERR` (the control case) the next read fails with it,
/// which the data path takes for a reset; after `tcp_connected` it does not (the kernel keeps
/// it as a soft error), and the data still arrives once the path is back.
#[test]
fn an_icmp_unreachable_does_not_end_an_established_connection() {
    if !privileged() {
        return;
    }
    if Command::new("nft").arg("--version").output().is_err() {
        eprintln!("skipping: nft (nftables) is missing");
        return;
    }
    let gw_ns = Netns::new("r10gw");
    let peer_ns = Netns::new("r10peer");
    veth(&gw_ns, "up0", &peer_ns, "up0p");
    gw_ns.ip(&["addr", "add", "10.97.0.1/24", "dev", "up0"]);
    peer_ns.ip(&["addr", "add", "10.97.0.2/24", "dev", "up0p"]);
    let peer = SocketAddr::from((Ipv4Addr::new(10, 97, 0, 2), 8081));

    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let server = peer_ns.spawn(move || {
        let listener = TcpListener::bind(peer).expect("peer listen");
        ready_tx.send(()).unwrap();
        let mut got = Vec::new();
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().expect("accept");
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut buf = [0u8; 16];
            let n = std::io::Read::read(&mut conn, &mut buf).unwrap_or(0);
            got.push(buf[..n].to_vec());
        }
        got
    });
    ready_rx.recv().unwrap();

    let reject = "table ip req10 {\n chain in {\n type filter hook input priority 0;\n \
                  tcp dport 8081 tcp flags & (syn | fin | rst) == 0 meta length > 52 \
                  reject with icmp type host-unreachable\n }\n}\n";
    let errors = gw_ns.run(|| {
        let info = interface_info("up0").expect("interface_info");
        let uplink = Uplink::from(&info);
        let mut seen = Vec::new();
        for fixed in [false, true] {
            let sock = sockets::tcp_socket(&uplink, peer, 64, None).expect("tcp_socket");
            sock.set_nonblocking(false).unwrap();
            sock.connect(&peer.into()).expect("connect");
            if fixed {
                sockets::tcp_connected(&sock, Family::V4).expect("tcp_connected");
            }
            nft(&peer_ns, reject);
            sock.send(b"hello").expect("send");
            // Long enough for the unreachable to come back (the kernel retransmits into the
            // rejecting rule meanwhile).
            thread::sleep(Duration::from_millis(300));
            // What the data path sees: a read that fails ends the flow (TcpReset).
            sock.set_nonblocking(true).unwrap();
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 16];
            let error = match sock.recv(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
                Err(e) => Some(e.raw_os_error()),
                Ok(n) => panic!("the peer sent {n} bytes"),
            };
            sock.set_nonblocking(false).unwrap();
            let _ = Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &peer_ns.name,
                    "nft",
                    "delete",
                    "table",
                    "ip",
                    "req10",
                ])
                .status();
            seen.push(error);
            // Keep the connection until the server has read (or gave up on) it.
            thread::sleep(Duration::from_millis(1500));
        }
        seen
    });
    let got = server.join().expect("server thread");
    assert_eq!(
        errors[0],
        Some(Some(libc::EHOSTUNREACH)),
        "control: with IP_RECVERR the read fails with the unreachable"
    );
    assert_eq!(errors[1], None, "after tcp_connected it is not");
    assert_eq!(
        got[1], b"hello",
        "the connection lived on and the data arrived once the path was back"
    );
}
