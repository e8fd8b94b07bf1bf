//! The host's resolvers, from resolv.conf, re-read when the file changes.
//!
//! A laptop moving between networks gets new resolvers written into resolv.conf by its
//! network manager; the forwarder must follow without a restart. [`Upstreams::current`]
//! checks the file's identity (modification time, size, inode) at most every
//! [`RECHECK`] and re-reads it only when that changed, so queries cost no file reads.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use masq_paths::private_file::read_bounded_text;
use tracing::{info, warn};

/// How stale the resolver list may get before the file is checked again.
pub const RECHECK: Duration = Duration::from_secs(2);
/// Largest resolv.conf read; real ones are a few hundred bytes. The file is read as root, so
/// a FIFO, a device or a huge file must not block or exhaust the resolver.
pub const MAX_RESOLV_CONF: u64 = 64 * 1024;
/// Most resolvers tried per query (glibc uses at most three as well).
pub const MAX_UPSTREAMS: usize = 3;

/// The `nameserver` addresses of resolv.conf text, in order, at most [`MAX_UPSTREAMS`].
pub fn parse(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            // A scoped IPv6 address (fe80::1%eth0) cannot be used from an uplink socket.
            words.next()?.parse::<IpAddr>().ok()
        })
        .filter(|ip| !ip.is_unspecified())
        .take(MAX_UPSTREAMS)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

/// The resolver list, kept fresh.
#[derive(Debug)]
pub struct Upstreams {
    path: PathBuf,
    servers: Vec<SocketAddr>,
    identity: Option<Identity>,
    checked: Option<Instant>,
}

impl Upstreams {
    /// Reads `path` now (a missing file gives no resolvers, with a warning).
    pub fn new(path: &Path, now: Instant) -> Upstreams {
        let mut u = Upstreams {
            path: path.to_owned(),
            servers: Vec::new(),
            identity: None,
            checked: None,
        };
        u.refresh(now);
        u
    }

    /// The resolvers to use now, re-reading the file if it changed.
    pub fn current(&mut self, now: Instant) -> &[SocketAddr] {
        let due = self
            .checked
            .is_none_or(|at| now.saturating_duration_since(at) >= RECHECK);
        if due {
            self.refresh(now);
        }
        &self.servers
    }

    /// The resolvers as last read, without checking the file.
    pub fn last(&self) -> &[SocketAddr] {
        &self.servers
    }

    fn refresh(&mut self, now: Instant) {
        self.checked = Some(now);
        let identity = identity(&self.path);
        if identity.is_some() && identity == self.identity {
            return;
        }
        self.identity = identity;
        let servers: Vec<SocketAddr> = match read_bounded_text(&self.path, MAX_RESOLV_CONF) {
            Ok(text) => parse(&text)
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 53))
                .collect(),
            Err(e) => {
                warn!(path = %self.path.display(), error = %e, "cannot read the resolver list; DNS queries will fail until it exists (set dns.resolv_conf)");
                Vec::new()
            }
        };
        if servers != self.servers {
            info!(path = %self.path.display(), upstreams = ?servers, "DNS forwarder resolvers");
            if servers.is_empty() {
                warn!(path = %self.path.display(), "no usable nameserver lines; DNS queries will fail");
            }
            self.servers = servers;
        }
    }
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Identity {
        modified: m.modified().ok(),
        len: m.len(),
        inode: m.ino(),
    })
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<Identity> {
    let m = std::fs::metadata(path).ok()?;
    Some(Identity {
        modified: m.modified().ok(),
        len: m.len(),
        inode: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nameservers_in_order_and_skips_the_rest() {
        let text = "# generated\nsearch example.com\nnameserver 203.0.113.10\nnameserver  2001:db8::1 \nnameserver fe80::1%eth0\nnameserver 0.0.0.0\noptions edns0\nnameserver 198.51.100.7\nnameserver 198.51.100.8\n";
        assert_eq!(
            parse(text),
            vec![
                "203.0.113.10".parse::<IpAddr>().unwrap(),
                "2001:db8::1".parse().unwrap(),
                "198.51.100.7".parse().unwrap(),
            ]
        );
        assert!(parse("").is_empty());
    }

    #[test]
    fn follows_changes_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resolv.conf");
        let t0 = Instant::now();
        let mut u = Upstreams::new(&path, t0);
        assert!(u.current(t0).is_empty(), "missing file");
        std::fs::write(&path, "nameserver 192.0.2.1\n").unwrap();
        assert!(
            u.current(t0 + Duration::from_millis(100)).is_empty(),
            "not rechecked yet"
        );
        assert_eq!(
            u.current(t0 + RECHECK).to_vec(),
            vec!["192.0.2.1:53".parse().unwrap()]
        );
        let tmp = dir.path().join("new");
        std::fs::write(&tmp, "nameserver 192.0.2.2\nnameserver 192.0.2.3\n").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(
            u.current(t0 + RECHECK * 2).len(),
            2,
            "replaced file re-read"
        );
        assert_eq!(u.last().len(), 2);
    }
}
