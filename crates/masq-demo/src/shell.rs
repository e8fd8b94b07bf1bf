//! Running the bench's helper programs (`ip`, `curl`, `ping`, …) with a time limit, in a
//! namespace or not, and turning failures into [`DemoError`]s that quote the command.
//!
//! Every child runs in its own process group so a Ctrl-C typed in the terminal reaches only
//! the demo (which then stops children itself). A foreground command is killed when its time
//! limit passes, or when the demo is interrupted unless it is a cleanup command
//! ([`Cmd::cleanup`]): cleanup must run to the end after Ctrl-C.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tracing::debug;

use super::error::DemoError;
use super::interrupt;

/// How often a running command is checked for exit, timeout and Ctrl-C.
const POLL: Duration = Duration::from_millis(20);

/// A command line to run, optionally inside a network namespace.
#[derive(Debug, Clone)]
pub struct Cmd {
    argv: Vec<String>,
    interruptible: bool,
}

impl Cmd {
    /// `program args…` in the demo's own (root) namespace.
    pub fn new<S: AsRef<str>>(program: &str, args: &[S]) -> Self {
        let mut argv = vec![program.to_owned()];
        argv.extend(args.iter().map(|a| a.as_ref().to_owned()));
        Cmd {
            argv,
            interruptible: true,
        }
    }

    /// `ip netns exec NS program args…`: the program runs inside namespace `ns`.
    pub fn in_ns<S: AsRef<str>>(ns: &str, program: &str, args: &[S]) -> Self {
        let mut argv = vec![
            "ip".to_owned(),
            "netns".into(),
            "exec".into(),
            ns.to_owned(),
        ];
        argv.push(program.to_owned());
        argv.extend(args.iter().map(|a| a.as_ref().to_owned()));
        Cmd {
            argv,
            interruptible: true,
        }
    }

    /// Marks this as a cleanup command: Ctrl-C does not cut it short (its time limit still
    /// applies).
    pub fn cleanup(mut self) -> Self {
        self.interruptible = false;
        self
    }

    /// The command line as a user would type it into a POSIX shell.
    pub fn display(&self) -> String {
        self.argv
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A `std::process::Command` for this line, in its own process group, stdin closed.
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.argv[0]);
        c.args(&self.argv[1..])
            .stdin(Stdio::null())
            .process_group(0);
        c
    }

    /// Runs to completion (or `limit`), capturing output; any exit status is returned.
    pub fn output(&self, what: &str, limit: Duration) -> Result<Output, DemoError> {
        debug!(command = %self.display(), "running");
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| DemoError::Spawn {
                what: what.to_owned(),
                command: self.display(),
                source,
            })?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = wait_until(&mut child, limit, what, self.interruptible)?;
        Ok(Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        })
    }

    /// Runs to completion and fails unless it exits with status 0.
    pub fn run(&self, what: &str, limit: Duration) -> Result<Output, DemoError> {
        let out = self.output(what, limit)?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(self.failed(what, &out))
        }
    }

    /// The error describing a run that ended with a failure status.
    pub fn failed(&self, what: &str, out: &Output) -> DemoError {
        let text = if out.stderr.trim().is_empty() {
            &out.stdout
        } else {
            &out.stderr
        };
        let text = text.trim();
        DemoError::Failed {
            what: what.to_owned(),
            command: self.display(),
            status: describe(out.status),
            detail: if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            },
        }
    }
}

/// What a finished command printed and how it ended.
#[derive(Debug)]
pub struct Output {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything it wrote to stdout (lossy UTF-8).
    pub stdout: String,
    /// Everything it wrote to stderr (lossy UTF-8).
    pub stderr: String,
}

/// `arg` as a POSIX shell word: unchanged when it has no special characters, else in single
/// quotes.
fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// An exit status in words ("status 1", "signal 9").
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("status {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "an unknown status".to_owned(),
    }
}

/// Waits for `child` until `limit`; kills it on timeout, or on Ctrl-C when `interruptible`.
fn wait_until(
    child: &mut Child,
    limit: Duration,
    what: &str,
    interruptible: bool,
) -> Result<ExitStatus, DemoError> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(source) => {
                return Err(DemoError::Spawn {
                    what: what.to_owned(),
                    command: format!("(waiting for pid {})", child.id()),
                    source,
                });
            }
        }
        let interrupted = interruptible && interrupt::requested();
        if interrupted || Instant::now() >= deadline {
            // Already-exited children make kill fail harmlessly; wait reaps either way.
            let _ = child.kill();
            let _ = child.wait();
            return Err(if interrupted {
                DemoError::Interrupted
            } else {
                DemoError::Timeout {
                    what: what.to_owned(),
                    limit,
                }
            });
        }
        thread::sleep(POLL);
    }
}

/// Reads a pipe to the end on its own thread, so a chatty child never blocks on a full pipe.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_ns_prefixes_ip_netns_exec() {
        let c = Cmd::in_ns("mqd1-lan", "curl", &["-s", "http://203.0.113.10/"]);
        assert_eq!(
            c.display(),
            "ip netns exec mqd1-lan curl -s http://203.0.113.10/"
        );
    }

    #[test]
    fn display_quotes_what_a_shell_would_split() {
        let c = Cmd::new("sh", &["-c", "echo hi | nc -u x 1", "it's", ""]);
        assert_eq!(c.display(), r"sh -c 'echo hi | nc -u x 1' 'it'\''s' ''");
    }

    #[test]
    fn run_reports_failure_with_stderr() {
        let c = Cmd::new("sh", &["-c", "echo oops >&2; exit 3"]);
        let e = c.run("a test step", Duration::from_secs(10)).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("a test step failed"), "{text}");
        assert!(text.contains("status 3"), "{text}");
        assert!(text.contains("oops"), "{text}");
    }

    #[test]
    fn output_captures_stdout() {
        let out = Cmd::new("sh", &["-c", "echo hello"])
            .run("echo", Duration::from_secs(10))
            .unwrap();
        assert_eq!(out.stdout, "hello\n");
    }

    #[test]
    fn slow_command_times_out_and_is_killed() {
        let started = Instant::now();
        let e = Cmd::new("sleep", &["30"])
            .output("sleeping", Duration::from_millis(200))
            .unwrap_err();
        assert!(matches!(e, DemoError::Timeout { .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let e = Cmd::new("/nonexistent/masq-demo-tool", &[] as &[&str])
            .output("a missing tool", Duration::from_secs(1))
            .unwrap_err();
        assert!(matches!(e, DemoError::Spawn { .. }), "{e}");
    }
}
