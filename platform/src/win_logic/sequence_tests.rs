//! The Windows start / stop / repair sequences against the fake host: step order, rollback
//! after a failure at every step, crash repair, and the first-run defects review found.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use ipnet::Ipv4Net;

use super::fake::{AdapterHolder, FakeWindows};
use super::setup::{self, ADAPTER_NAME, Started};
use super::system::System;
use super::teardown::{cleanup_stale, undo_all};
use crate::{CleanupOutcome, GatewaySpec, PlatformError};

const GATEWAY: Ipv4Addr = Ipv4Addr::new(192, 168, 137, 1);

/// A journal path of its own per test, removed on drop.
struct TempJournal(PathBuf);

impl TempJournal {
    fn new(name: &str) -> TempJournal {
        let dir = std::env::temp_dir().join(format!(
            "masq-win-seq-{}-{name}-{}",
            std::process::id(),
            rand_suffix()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempJournal(dir.join("state.json"))
    }
}

impl Drop for TempJournal {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A laptop: Wi-Fi uplink (connected, with its address), an Ethernet port to share with
/// (no address yet), and a disconnected virtual adapter.
fn laptop() -> FakeWindows {
    let mut host = FakeWindows::default();
    let wifi = host.add_interface("Wi-Fi", true);
    host.give_address(wifi, Ipv4Addr::new(192, 0, 2, 20), 24);
    host.add_interface("Ethernet", true);
    host.add_interface("Local Area Connection* 1", false);
    host
}

fn spec(journal: &TempJournal) -> GatewaySpec {
    GatewaySpec {
        uplink: "Wi-Fi".into(),
        lan: "Ethernet".into(),
        lan_addr: Some(Ipv4Net::new(GATEWAY, 24).expect("prefix")),
        lan_v6: None,
        tun_name: ADAPTER_NAME.into(),
        tun_mtu: 1500,
        tun_offload: false,
        route_table: 0,
        rule_priority: 0,
        state_file: journal.0.clone(),
    }
}

fn stop(host: &mut FakeWindows, started: Started<super::fake::FakeAdapter>) {
    undo_all(host, started.journal, Some(started.adapter)).expect("stop");
}

#[test]
fn start_makes_the_changes_in_order_and_stop_undoes_every_one() {
    let journal = TempJournal::new("order");
    let mut host = laptop();
    let before = host.state.clone();
    let started = setup::start(&mut host, &spec(&journal)).expect("start");
    assert_eq!(
        host.changes,
        [
            "create_adapter",
            "configure_adapter",
            "add_address masq 192.168.137.254/32",
            "add_address Ethernet 192.168.137.1/24",
            "add_route masq 0.0.0.0/1",
            "add_route masq 128.0.0.0/1",
            "set_forwarding Ethernet true",
        ]
    );
    let ethernet = host.luid_of("Ethernet");
    assert!(host.state.addresses.contains(&(ethernet, GATEWAY, 24)));
    assert!(host.state.interfaces[&ethernet].settings.forwarding);
    assert_eq!(started.lan.ipv4, [(GATEWAY, 24)], "the LAN as it is now");
    assert!(journal.0.exists(), "the journal is on disk while running");
    host.changes.clear();
    stop(&mut host, started);
    assert_eq!(
        host.changes,
        [
            "set_forwarding Ethernet false",
            "delete_route masq 128.0.0.0/1",
            "delete_route masq 0.0.0.0/1",
            "delete_address Ethernet 192.168.137.1/24",
            "remove_adapter",
        ],
        "newest first"
    );
    assert_eq!(host.state, before);
    assert!(
        !journal.0.exists(),
        "the journal is gone after a clean stop"
    );
}

#[test]
fn a_failure_at_any_step_leaves_the_host_as_it_was() {
    let changes_in_a_start = 7;
    for failing in 0..changes_in_a_start {
        let journal = TempJournal::new("rollback");
        let mut host = laptop();
        let before = host.state.clone();
        host.fail_change = Some(failing);
        let err = match setup::start(&mut host, &spec(&journal)) {
            Ok(_) => panic!("start succeeded although change {failing} failed"),
            Err(e) => e,
        };
        assert!(
            err.to_string().contains("injected failure"),
            "change {failing}: the cause is reported: {err}"
        );
        assert_eq!(host.state, before, "change {failing} failed: all undone");
        assert!(!journal.0.exists(), "change {failing}: no journal left");
    }
}

#[test]
fn a_crashed_run_is_repaired_by_the_next_start_even_with_the_hotspot_service_running() {
    // The crashed run's 192.168.137.1 on the LAN, with SharedAccess running (it runs on many
    // machines without sharing anything), used to look like ICS and block the restart.
    let journal = TempJournal::new("crash");
    let mut host = laptop();
    let before = host.state.clone();
    let started = setup::start(&mut host, &spec(&journal)).expect("first start");
    std::mem::forget(started.journal);
    host.crash();
    host.ics_running = true;
    let ethernet = host.luid_of("Ethernet");
    assert!(
        host.state.addresses.contains(&(ethernet, GATEWAY, 24)),
        "the crash left the LAN address"
    );
    assert!(host.state.interfaces[&ethernet].settings.forwarding);

    let started = setup::start(&mut host, &spec(&journal)).expect("restart repairs and starts");
    stop(&mut host, started);
    host.ics_running = false;
    assert_eq!(host.state, before);
}

#[test]
fn masq_down_after_a_crash_restores_the_host() {
    let journal = TempJournal::new("down");
    let mut host = laptop();
    let before = host.state.clone();
    let started = setup::start(&mut host, &spec(&journal)).expect("start");
    std::mem::forget(started.journal);
    host.crash();
    let report = cleanup_stale(&mut host, &journal.0).expect("cleanup");
    assert!(report.found);
    let outcomes: Vec<CleanupOutcome> = report.actions.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            CleanupOutcome::Undone,      // forwarding on the LAN
            CleanupOutcome::AlreadyGone, // route, went with the adapter
            CleanupOutcome::AlreadyGone, // route
            CleanupOutcome::Undone,      // the LAN address
            CleanupOutcome::AlreadyGone, // the adapter, gone with the process
        ]
    );
    assert_eq!(host.state, before);
    let again = cleanup_stale(&mut host, &journal.0).expect("second cleanup");
    assert!(!again.found, "nothing left to clean");
}

#[test]
fn a_journal_of_a_live_masq_is_refused_not_undone() {
    let journal = TempJournal::new("live");
    let mut host = laptop();
    let started = setup::start(&mut host, &spec(&journal)).expect("start");
    std::mem::forget(started.journal);
    // The journal now names another process, which is alive and runs masq.
    let other_pid = std::process::id() + 1;
    let text = std::fs::read_to_string(&journal.0).expect("journal");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["pid"] = other_pid.into();
    std::fs::write(&journal.0, json.to_string()).expect("write");
    host.live_masq_pids.push(other_pid);
    let state = host.state.clone();
    assert!(matches!(
        cleanup_stale(&mut host, &journal.0),
        Err(PlatformError::StillRunning { pid, .. }) if pid == other_pid
    ));
    assert!(matches!(
        setup::start(&mut host, &spec(&journal)),
        Err(PlatformError::StillRunning { .. })
    ));
    assert_eq!(host.state, state, "a live masq's changes are left alone");
}

#[test]
fn the_address_left_on_a_disconnected_adapter_is_moved_to_the_lan() {
    // Mobile Hotspot leaves 192.168.137.1 on a virtual adapter that is often disconnected;
    // IP Helper then answers "already exists" for the LAN, which used to count as success
    // and left the LAN without a gateway address.
    let journal = TempJournal::new("elsewhere-down");
    let mut host = laptop();
    let hotspot = host.luid_of("Local Area Connection* 1");
    host.give_address(hotspot, GATEWAY, 24);
    let started = setup::start(&mut host, &spec(&journal)).expect("start");
    let ethernet = host.luid_of("Ethernet");
    assert!(host.state.addresses.contains(&(ethernet, GATEWAY, 24)));
    assert!(!host.state.addresses.iter().any(|&(l, ..)| l == hotspot));
    assert_eq!(started.lan.ipv4, [(GATEWAY, 24)]);
    stop(&mut host, started);
}

#[test]
fn the_address_on_a_connected_interface_stops_the_start_naming_it() {
    let journal = TempJournal::new("elsewhere-up");
    let mut host = laptop();
    let other = host.add_interface("vEthernet (Default Switch)", true);
    host.give_address(other, GATEWAY, 24);
    let before = host.state.clone();
    let err = match setup::start(&mut host, &spec(&journal)) {
        Ok(_) => panic!("started with the gateway address on another connected interface"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(
        text.contains("vEthernet (Default Switch)"),
        "names the holder: {text}"
    );
    assert_eq!(
        host.state, before,
        "nothing changed, the other interface kept it"
    );
}

#[test]
fn an_address_already_on_the_lan_is_used_and_left_there() {
    let journal = TempJournal::new("already-on-lan");
    let mut host = laptop();
    let ethernet = host.luid_of("Ethernet");
    // Same address, other prefix: choose_lan_addr does not see it as present.
    host.give_address(ethernet, GATEWAY, 16);
    let before = host.state.clone();
    let started = setup::start(&mut host, &spec(&journal)).expect("start");
    stop(&mut host, started);
    assert_eq!(host.state, before, "the address that was there stays");
}

#[test]
fn an_adapter_another_process_holds_is_neither_taken_over_nor_reported_removed() {
    let journal = TempJournal::new("held");
    let mut host = laptop();
    host.adapter_held_elsewhere();
    let before = host.state.clone();
    let err = match setup::start(&mut host, &spec(&journal)) {
        Ok(_) => panic!("took over an adapter another process holds"),
        Err(e) => e,
    };
    assert!(matches!(err, PlatformError::Tun { .. }), "{err}");
    assert_eq!(host.state, before);

    // A journal listing the adapter while another process holds one of that name: cleanup
    // says it could not remove it, and keeps the step for a later try.
    let journal = TempJournal::new("held-cleanup");
    let mut fresh = laptop();
    let started = setup::start(&mut fresh, &spec(&journal)).expect("start");
    std::mem::forget(started.journal);
    host.state.adapter = Some(AdapterHolder::Other(host.luid_of(ADAPTER_NAME)));
    match cleanup_stale(&mut host, &journal.0) {
        Err(PlatformError::CleanupIncomplete { failures, .. }) => {
            assert!(
                failures
                    .iter()
                    .any(|f| f.contains("another running process")),
                "{failures:?}"
            );
        }
        other => panic!("expected an incomplete cleanup, got {other:?}"),
    }
    assert!(host.state.adapter.is_some(), "not ours to remove");
}

#[test]
fn forwarding_the_lan_had_on_already_is_left_on() {
    let journal = TempJournal::new("fwd-on");
    let mut host = laptop();
    let ethernet = host.luid_of("Ethernet");
    host.set_forwarding(ethernet, true).expect("set");
    host.changes.clear();
    let before = host.state.clone();
    let started = setup::start(&mut host, &spec(&journal)).expect("start");
    assert!(!host.changes.iter().any(|c| c.starts_with("set_forwarding")));
    stop(&mut host, started);
    assert_eq!(host.state, before);
}
