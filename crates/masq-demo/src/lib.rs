//! `masq demo`: builds a throwaway network of five Linux network namespaces (a hidden LAN
//! host, the gateway running masq, two internet routers and an internet server), shares the
//! gateway's uplink into it, and walks through what masquerading does and refuses, printing a
//! short explanation between steps. Everything it creates is removed at the end, on error and
//! on Ctrl-C (a guard object cleans up when dropped); `--keep` leaves it running until Ctrl-C.
//!
//! This is a test bench, not the product's steering: it shells out to `ip`, `sysctl`, `curl`,
//! `ping`, `nc` and `python3` to build and exercise the network, which is fine for a demo that
//! must look like what a user would type. masq itself (started as `ip netns exec <gw> masq up`)
//! does its own steering through masq-platform.
//!
//! Linux only (the masq binary depends on this crate only there, and answers with an error
//! elsewhere), and root only. A crate of its own so that the product's code does not carry a
//! test bench, and the bench cannot reach into the product: it drives the masq binary it is
//! given, as a user would.
#![cfg(target_os = "linux")]

mod bench;
mod error;
mod interrupt;
mod prereq;
mod shell;
mod steps;
mod topology;

use bench::Bench;
use error::DemoError;
use topology::Names;

/// Runs the demo with the masq binary `exe` as the gateway's daemon; with `keep`, the network
/// stays up until Ctrl-C before it is removed.
pub fn run(exe: &std::path::Path, keep: bool) -> anyhow::Result<()> {
    prereq::require_root()?;
    prereq::require_tools()?;
    interrupt::install();
    let pid = std::process::id();
    let names = Names::for_pid(pid);
    let mut bench = Bench::new(names, pid)?;
    let result = walkthrough(&mut bench, exe, keep);
    // On success step 5 has already torn down (and checked) everything; otherwise do it now.
    bench.teardown(exe);
    match result {
        Err(DemoError::Interrupted) => {
            println!("Interrupted; the demo network has been removed.");
            Ok(())
        }
        other => other.map_err(Into::into),
    }
}

/// The demo from an empty bench to step 5.
fn walkthrough(b: &mut Bench, exe: &std::path::Path, keep: bool) -> Result<(), DemoError> {
    println!(
        "masq demo: a throwaway network in five namespaces ({}…)\n",
        b.names.lan.trim_end_matches("lan")
    );
    println!(
        "  [lan] 192.168.137.10 ── [gw: masq] 198.51.100.2 ── [r1] ── [r2] ── [inet] 203.0.113.10"
    );
    println!(
        "  hidden host             gateway                      two routers      web server\n"
    );
    progress("Building the network… ");
    b.build_topology()?;
    println!("done");
    progress("Starting the web servers… ");
    steps::start_servers(b)?;
    println!("done");
    let rules_before = steps::gateway_rules(&b.names.gw)?;
    progress("Starting masq in the gateway namespace… ");
    steps::start_masq(b, exe)?;
    println!("ready (log: {})", b.masq_log().display());

    steps::step_outbound(b)?;
    interrupt::check()?;
    steps::step_translations(b, exe)?;
    interrupt::check()?;
    steps::step_access_log(b)?;
    interrupt::check()?;
    steps::step_inbound(b, exe)?;
    if keep {
        steps::keep_until_interrupted(b, exe)?;
    } else {
        interrupt::check()?;
    }
    steps::step_cleanup(b, exe, &rules_before)
}

/// Prints a step's start without a newline, so "done" lands on the same line.
fn progress(text: &str) {
    use std::io::Write;
    print!("{text}");
    // A failed flush only delays the text; nothing to recover.
    let _ = std::io::stdout().flush();
}
