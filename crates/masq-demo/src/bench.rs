//! The demo's guard object: it owns everything the demo created (namespaces, a scratch
//! directory, background servers, the masq process) and removes all of it exactly once,
//! either through [`Bench::teardown`] or, on any early return or panic, in `Drop`.
//!
//! Processes are stopped by their own PID (each is its own process group): SIGTERM, a short
//! wait, then SIGKILL. masq gets SIGTERM and up to [`MASQ_STOP_LIMIT`] to undo its changes; if
//! it has to be killed, `masq down --state-file` replays its journal. Namespaces are deleted
//! last, after everything inside them has stopped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tracing::{debug, warn};

use super::error::DemoError;
use super::shell::{self, Cmd};
use super::topology::{self, Names};

/// How long masq may take to undo its changes after SIGTERM before it is killed.
pub const MASQ_STOP_LIMIT: Duration = Duration::from_secs(10);
/// How long a helper server may take to exit after SIGTERM before it is killed.
const SERVER_STOP_LIMIT: Duration = Duration::from_secs(3);
/// Limit for each `ip`/`sysctl` command of the topology.
const SETUP_LIMIT: Duration = Duration::from_secs(10);

/// A process the demo started and must stop.
struct Background {
    label: String,
    child: Child,
}

/// Everything the demo created, removed in reverse order on teardown or drop.
pub struct Bench {
    /// Namespace names of this run.
    pub names: Names,
    /// Scratch directory: web root, logs, control socket, state file.
    pub dir: PathBuf,
    namespaces: Vec<String>,
    servers: Vec<Background>,
    masq: Option<Background>,
    torn_down: bool,
}

impl Bench {
    /// An empty bench with a fresh scratch directory under the system temp dir.
    pub fn new(names: Names, pid: u32) -> Result<Self, DemoError> {
        let dir = std::env::temp_dir().join(format!("masq-demo-{pid}"));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|source| DemoError::Io {
                what: "remove the stale demo directory",
                path: dir.clone(),
                source,
            })?;
        }
        fs::create_dir_all(&dir).map_err(|source| DemoError::Io {
            what: "create the demo directory",
            path: dir.clone(),
            source,
        })?;
        Ok(Bench {
            names,
            dir,
            namespaces: Vec::new(),
            servers: Vec::new(),
            masq: None,
            torn_down: false,
        })
    }

    /// A path inside the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Builds the five namespaces and their links (see `topology.rs`).
    pub fn build_topology(&mut self) -> Result<(), DemoError> {
        for args in topology::build_commands(&self.names) {
            if args[0] == "netns" && args[1] == "add" {
                // Recorded before creation: deleting a name that was never created is harmless.
                self.namespaces.push(args[2].clone());
            }
            Cmd::new("ip", &args).run("building the demo network", SETUP_LIMIT)?;
        }
        for (ns, assignment) in topology::sysctls(&self.names) {
            Cmd::in_ns(&ns, "sysctl", &["-qw", assignment])
                .run("setting up the demo network", SETUP_LIMIT)?;
        }
        Ok(())
    }

    /// Runs `program args…` in namespace `ns` in the background, stdout and stderr appended
    /// to `log`; it is stopped on teardown.
    pub fn spawn(
        &mut self,
        label: &str,
        ns: &str,
        program: &str,
        args: &[&str],
        log: &Path,
    ) -> Result<(), DemoError> {
        let cmd = Cmd::in_ns(ns, program, args);
        let child = spawn_logged(&cmd, label, log)?;
        debug!(label, pid = child.id(), "started");
        self.servers.push(Background {
            label: label.to_owned(),
            child,
        });
        Ok(())
    }

    /// Starts masq (`exe up …`) in the gateway namespace; its log goes to `masq.log`.
    pub fn start_masq(&mut self, exe: &Path) -> Result<(), DemoError> {
        let config = self.path("masq.toml");
        write_file(
            &config,
            b"# masq demo: built-in defaults only\n",
            "write the demo config",
        )?;
        let exe = exe.display().to_string();
        let args = [
            "up",
            "--uplink",
            topology::UPLINK_IF,
            "--lan",
            topology::LAN_IF,
            "--lan-addr",
            topology::GATEWAY_LAN_CIDR,
            "--tun",
            topology::TUN_IF,
            "--control",
            &self.control_socket().display().to_string(),
            "--state-file",
            &self.state_file().display().to_string(),
            "--config",
            &config.display().to_string(),
            "--observe-inbound",
        ]
        .map(str::to_owned);
        let cmd = Cmd::in_ns(&self.names.gw, &exe, &args);
        let child = spawn_logged(&cmd, "masq", &self.masq_log())?;
        debug!(pid = child.id(), "masq started");
        self.masq = Some(Background {
            label: "masq".into(),
            child,
        });
        Ok(())
    }

    /// The control socket the demo's masq serves.
    pub fn control_socket(&self) -> PathBuf {
        self.path("control.sock")
    }

    /// masq's crash-cleanup journal.
    pub fn state_file(&self) -> PathBuf {
        self.path("state.json")
    }

    /// masq's log file.
    pub fn masq_log(&self) -> PathBuf {
        self.path("masq.log")
    }

    /// Fails with masq's log tail if masq has exited.
    pub fn masq_alive(&mut self) -> Result<(), DemoError> {
        let log = self.masq_log();
        let Some(m) = self.masq.as_mut() else {
            return Err(DemoError::Unexpected("masq is not running".into()));
        };
        match m.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(masq_exited(shell::describe(status), &log)),
            Err(e) => Err(masq_exited(format!("cannot be waited for: {e}"), &log)),
        }
    }

    /// Stops masq with SIGTERM and waits for it; kills it and replays its journal with
    /// `masq down` if it does not exit within [`MASQ_STOP_LIMIT`]. Returns its exit status.
    pub fn stop_masq(&mut self, exe: &Path) -> Result<ExitStatus, DemoError> {
        let Some(mut m) = self.masq.take() else {
            return Err(DemoError::Unexpected("masq is not running".into()));
        };
        if let Some(status) = stop(&mut m, MASQ_STOP_LIMIT) {
            return Ok(status);
        }
        warn!(
            "masq did not stop within {} s; killed it, replaying its journal",
            MASQ_STOP_LIMIT.as_secs()
        );
        let state = self.state_file().display().to_string();
        let exe = exe.display().to_string();
        Cmd::in_ns(&self.names.gw, &exe, &["down", "--state-file", &state])
            .cleanup()
            .run("masq down after a hung masq", Duration::from_secs(30))?;
        Err(DemoError::Timeout {
            what: "masq's clean stop after SIGTERM".into(),
            limit: MASQ_STOP_LIMIT,
        })
    }

    /// Stops one background server by label (e.g. a slow download that served its purpose).
    pub fn stop_server(&mut self, label: &str) {
        if let Some(i) = self.servers.iter().position(|b| b.label == label) {
            let mut b = self.servers.remove(i);
            stop(&mut b, SERVER_STOP_LIMIT);
        }
    }

    /// Stops every process and deletes every namespace; idempotent. Errors are logged, not
    /// returned: teardown keeps going so that as much as possible is removed.
    pub fn teardown(&mut self, exe: &Path) {
        if self.torn_down {
            return;
        }
        self.torn_down = true;
        if self.masq.is_some() {
            if let Err(e) = self.stop_masq(exe) {
                warn!(error = %e, "stopping masq");
            }
        }
        while let Some(mut b) = self.servers.pop() {
            stop(&mut b, SERVER_STOP_LIMIT);
        }
        for ns in self.namespaces.drain(..).rev() {
            // Anything still inside (a grandchild that left its process group) is ours.
            if let Ok(out) = Cmd::new("ip", &["netns", "pids", &ns])
                .cleanup()
                .output("listing leftovers", SETUP_LIMIT)
            {
                for pid in out
                    .stdout
                    .split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok())
                {
                    warn!(pid, namespace = %ns, "stopping a leftover process");
                    let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
            if let Err(e) = Cmd::new("ip", &["netns", "del", &ns])
                .cleanup()
                .run("deleting a namespace", SETUP_LIMIT)
            {
                warn!(error = %e, "cannot delete namespace {ns}; remove it with: ip netns del {ns}");
            }
        }
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            warn!(error = %e, dir = %self.dir.display(), "cannot remove the demo directory");
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if !self.torn_down {
            let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("masq"));
            self.teardown(&exe);
        }
    }
}

/// Spawns `cmd` in its own process group with stdout and stderr appended to `log`.
fn spawn_logged(cmd: &Cmd, label: &str, log: &Path) -> Result<Child, DemoError> {
    let open = || {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|source| DemoError::Io {
                what: "open the log file",
                path: log.to_owned(),
                source,
            })
    };
    let (out, err) = (open()?, open()?);
    cmd.command()
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|source| DemoError::Spawn {
            what: format!("starting {label}"),
            command: cmd.display(),
            source,
        })
}

/// SIGTERM to the process group, wait up to `limit`, then SIGKILL. Returns the exit status
/// if it exited by itself within the limit.
fn stop(b: &mut Background, limit: Duration) -> Option<ExitStatus> {
    if let Ok(Some(status)) = b.child.try_wait() {
        return Some(status);
    }
    let Ok(pid) = i32::try_from(b.child.id()) else {
        let _ = b.child.kill();
        let _ = b.child.wait();
        return None;
    };
    let _ = killpg(Pid::from_raw(pid), Signal::SIGTERM);
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = b.child.try_wait() {
            debug!(label = %b.label, "stopped");
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    warn!(label = %b.label, pid, "did not stop after SIGTERM; killing it");
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    let _ = b.child.wait();
    None
}

/// The error for a masq that exited, with the end of its log.
pub fn masq_exited(status: String, log: &Path) -> DemoError {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    DemoError::MasqExited {
        status,
        log: log.to_owned(),
        tail,
    }
}

/// Writes a demo file, mapping the error to one that names the file.
pub fn write_file(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), DemoError> {
    fs::write(path, bytes).map_err(|source| DemoError::Io {
        what,
        path: path.to_owned(),
        source,
    })
}
