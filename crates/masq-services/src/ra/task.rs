//! The advertiser's socket and task: a raw ICMPv6 socket pinned to the LAN interface (hop
//! limit 255, as RFC 4861 requires of every NDISC message; the kernel picks the interface's
//! link-local address as source for ff02::1), sending on the [`Schedule`] and reading router
//! solicitations sent to all-routers (ff02::2).
//!
//! Raw sockets need root, which the sharing runtime has. Linux only so far: elsewhere
//! [`RouterAdvertiser::start`] says so, and the LAN simply gets no IPv6.

use std::net::Ipv6Addr;
use std::time::Duration;

use crate::lan_socket::LanLink;
use crate::ra::message::Advert;

/// Router lifetime announced while running: three times the longest advertising interval.
const ROUTER_LIFETIME: Duration = Duration::from_secs(1800);
/// How long addresses from the prefix stay valid after the last advertisement.
const VALID_LIFETIME: Duration = Duration::from_secs(86_400);
/// How long they stay preferred.
const PREFERRED_LIFETIME: Duration = Duration::from_secs(14_400);
/// RDNSS lifetime: RFC 8106 asks for at least three times MaxRtrAdvInterval.
const DNS_LIFETIME: Duration = Duration::from_secs(1800);

/// What the advertiser announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaSpec {
    /// The LAN interface.
    pub lan: LanLink,
    /// The LAN's prefix (network address).
    pub prefix: Ipv6Addr,
    /// Its length (64 for SLAAC).
    pub prefix_len: u8,
    /// The LAN's MTU.
    pub mtu: u32,
    /// The DNS server to announce (the gateway's address), if DNS is served over IPv6.
    pub dns: Option<Ipv6Addr>,
}

impl RaSpec {
    /// The advertisement while running, or the goodbye (router lifetime 0, addresses
    /// deprecated) when stopping; public so every OS's tests and tools see the same message.
    pub fn advert(&self, goodbye: bool) -> Advert {
        Advert {
            prefix: self.prefix,
            prefix_len: self.prefix_len,
            router_lifetime: if goodbye {
                Duration::ZERO
            } else {
                ROUTER_LIFETIME
            },
            valid_lifetime: VALID_LIFETIME,
            preferred_lifetime: if goodbye {
                Duration::ZERO
            } else {
                PREFERRED_LIFETIME
            },
            mtu: self.mtu,
            dns: self.dns.map(|d| (d, DNS_LIFETIME)),
        }
    }
}

#[cfg(target_os = "linux")]
pub use linux::RouterAdvertiser;

#[cfg(not(target_os = "linux"))]
pub use other::RouterAdvertiser;

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{self, Read};
    use std::net::{Ipv6Addr, SocketAddrV6};
    use std::time::Instant;

    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    use tokio::io::unix::AsyncFd;
    use tokio::sync::oneshot;
    use tokio::task::JoinHandle;
    use tracing::{debug, info, warn};

    use super::RaSpec;
    use crate::error::ServiceError;
    use crate::lan_socket::LanLink;
    use crate::ra::message::{is_router_solicitation, router_advertisement};
    use crate::ra::schedule::Schedule;

    /// All-nodes: where advertisements go.
    const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    /// All-routers: where hosts send solicitations.
    const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

    /// The running advertiser of one session.
    #[derive(Debug)]
    pub struct RouterAdvertiser {
        stop: Option<oneshot::Sender<()>>,
        task: JoinHandle<()>,
    }

    impl RouterAdvertiser {
        /// Opens the socket and starts advertising at once.
        pub fn start(spec: RaSpec) -> Result<RouterAdvertiser, ServiceError> {
            let bind_error = |source| ServiceError::Bind {
                service: "IPv6 router advertiser",
                hint: "it needs root (a raw ICMPv6 socket) and IPv6 enabled on the LAN interface",
                source,
            };
            let sock = open(&spec.lan).map_err(bind_error)?;
            // SAFETY: the socket owns one open descriptor from creation to drop and always
            // returns it from `as_raw_fd`; the `AsyncFd` takes ownership of it, so the
            // descriptor stays open and the same until the `AsyncFd` is dropped.
            let fd =
                unsafe { AsyncFd::register(sock) }.map_err(|e| bind_error(e.into_parts().1))?;
            let (tx, rx) = oneshot::channel();
            info!(lan = %spec.lan.name, prefix = %spec.prefix, "advertising IPv6 on the LAN");
            let task = tokio::spawn(run(fd, spec, rx));
            Ok(RouterAdvertiser {
                stop: Some(tx),
                task,
            })
        }

        /// Sends the goodbye advertisement and ends the task.
        pub async fn stop(mut self) {
            if let Some(tx) = self.stop.take() {
                let _ = tx.send(());
            }
            if let Err(e) = (&mut self.task).await {
                warn!(error = %e, "the router advertiser task failed");
            }
        }
    }

    fn open(lan: &LanLink) -> io::Result<Socket> {
        let context = |what: &str, e: io::Error| {
            io::Error::new(e.kind(), format!("{what} on {}: {e}", lan.name))
        };
        let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))
            .map_err(|e| context("cannot open a raw ICMPv6 socket", e))?;
        sock.bind_device(Some(lan.name.as_bytes()))
            .map_err(|e| context("cannot pin the socket to the interface", e))?;
        sock.set_multicast_hops_v6(255)
            .and_then(|()| sock.set_unicast_hops_v6(255))
            .map_err(|e| context("cannot set hop limit 255", e))?;
        sock.set_multicast_if_v6(lan.index)
            .map_err(|e| context("cannot choose the multicast interface", e))?;
        sock.set_multicast_loop_v6(false)
            .map_err(|e| context("cannot turn off multicast loopback", e))?;
        match sock.join_multicast_v6(&ALL_ROUTERS, lan.index) {
            Ok(()) => {}
            // A forwarding interface has joined all-routers already.
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {}
            Err(e) => return Err(context("cannot join ff02::2", e)),
        }
        sock.set_nonblocking(true)
            .map_err(|e| context("cannot make the socket non-blocking", e))?;
        Ok(sock)
    }

    async fn run(fd: AsyncFd<Socket>, spec: RaSpec, mut stop: oneshot::Receiver<()>) {
        let dst = SockAddr::from(SocketAddrV6::new(ALL_NODES, 0, 0, spec.lan.index));
        let live = router_advertisement(&spec.advert(false));
        let mut schedule = Schedule::new(Instant::now());
        let mut buf = [0u8; 2048];
        loop {
            let due = tokio::time::Instant::from_std(schedule.next());
            tokio::select! {
                _ = &mut stop => break,
                () = tokio::time::sleep_until(due) => {
                    send(&fd, &live, &dst, &spec.lan);
                    schedule.sent(Instant::now(), random_unit());
                }
                ready = fd.readable() => {
                    let Ok(mut guard) = ready else { break };
                    match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
                        Ok(Ok(n)) if is_router_solicitation(&buf[..n]) => {
                            debug!(lan = %spec.lan.name, "router solicitation");
                            schedule.solicited(Instant::now());
                        }
                        Ok(Ok(_)) | Err(_) => {}
                        Ok(Err(e)) => warn!(lan = %spec.lan.name, error = %e, "reading ICMPv6 failed"),
                    }
                }
            }
        }
        send(
            &fd,
            &router_advertisement(&spec.advert(true)),
            &dst,
            &spec.lan,
        );
        info!(lan = %spec.lan.name, "sent the goodbye router advertisement");
    }

    fn send(fd: &AsyncFd<Socket>, bytes: &[u8], dst: &SockAddr, lan: &LanLink) {
        match fd.get_ref().send_to(bytes, dst) {
            Ok(_) => debug!(lan = %lan.name, "router advertisement sent"),
            Err(e) => warn!(lan = %lan.name, error = %e, "cannot send a router advertisement"),
        }
    }

    /// A number in 0..=1 from the OS, to spread advertisements of several routers apart.
    fn random_unit() -> f64 {
        let mut b = [0u8; 4];
        if getrandom::fill(&mut b).is_err() {
            return 0.5;
        }
        f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX)
    }
}

#[cfg(not(target_os = "linux"))]
mod other {
    use super::RaSpec;
    use crate::error::ServiceError;

    /// Router advertisements are sent only by the Linux runtime so far.
    #[derive(Debug)]
    pub struct RouterAdvertiser;

    impl RouterAdvertiser {
        /// Always fails: not implemented on this OS yet.
        pub fn start(_spec: RaSpec) -> Result<RouterAdvertiser, ServiceError> {
            Err(ServiceError::Config {
                service: "IPv6 router advertiser",
                message: "not implemented on this OS yet".to_owned(),
            })
        }

        /// Nothing to stop.
        pub async fn stop(self) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goodbye_ends_the_route_and_deprecates_addresses() {
        let spec = RaSpec {
            lan: LanLink {
                name: "eth1".into(),
                index: 3,
                address: std::net::Ipv4Addr::new(192, 168, 137, 1),
            },
            prefix: "fd00:6d71:1::".parse().unwrap(),
            prefix_len: 64,
            mtu: 1500,
            dns: Some("fd00:6d71:1::1".parse().unwrap()),
        };
        let live = spec.advert(false);
        assert_eq!(live.router_lifetime, ROUTER_LIFETIME);
        assert!(live.preferred_lifetime > Duration::ZERO);
        let bye = spec.advert(true);
        assert_eq!(bye.router_lifetime, Duration::ZERO);
        assert_eq!(bye.preferred_lifetime, Duration::ZERO);
        assert_eq!(bye.prefix, live.prefix);
    }
}
