//! One period of sharing: the platform set-up, the engine loop, and their orderly teardown.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use masq_control::{EngineStatus, ForwardView, InboundAttempt, Translation};
use masq_control::{
    IfaceReport, Ipv6Status, LanClient, LanServicesReport, RoamingReport, Settings, UplinkMode,
};
use masq_engine::{Engine, ForwardError};

use crate::engine_api;
use masq_platform::sockets::Uplink;
use masq_platform::{GatewaySpec, InboundObserver, Ipv4Net};
use masq_services::LanServices;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::boot_wait::NotReady;
use super::event_loop;
use super::iface_report::iface_report;
use super::ipv6_plan::{self, Ipv6Plan};
use super::loop_parts::LoopParts;
use super::query::{ForwardChange, Query};
use super::roaming_state::Roaming;
use super::uplink_watch::{self, Follower};

/// Sharing that is running.
pub(crate) struct Session {
    /// The uplink in use and how it moved (issue 5, roaming).
    roaming: Roaming,
    /// The task that follows the uplink; `None` where the OS cannot watch it.
    follower: Option<JoinHandle<()>>,
    pub lan: IfaceReport,
    pub tun: String,
    pub started: Instant,
    queries: mpsc::Sender<Query>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<()>>,
    /// Signalled when `task` ends.
    ended: Arc<Notify>,
    /// DHCP server, DNS forwarder and client view (issue 5).
    services: Option<LanServices>,
    /// The NAT-PMP/PCP server (issue 5).
    port_mapping: Option<masq_services::portmap::listen::PortMapListener>,
    /// Whether the LAN is offered IPv6, and why not (issue 5).
    ipv6: Ipv6Plan,
    /// Per-client caps and rates, shown in the client view.
    client_limits: Vec<masq_control::ClientLimit>,
    /// Router advertisements, while IPv6 is offered.
    router_adverts: Option<masq_services::ra::RouterAdvertiser>,
}

impl Session {
    /// Sets up the adapter and steering, then starts the engine loop.
    pub(crate) async fn start(settings: &Settings, files: &super::StateFiles) -> Result<Session> {
        engine_api::validate_settings(settings).map_err(|e| anyhow!("{e}"))?;
        let uplink = match &settings.uplink {
            Some(u) => u.clone(),
            None => masq_platform::default_uplink()
                .await
                .context("cannot look up the default route to pick the uplink")?
                .ok_or_else(|| {
                    anyhow::Error::new(NotReady(
                        "no default route, so no uplink to share: pass --uplink IFACE".into(),
                    ))
                })?,
        };
        let Some(lan) = settings.lan.clone() else {
            bail!(
                "which interface is the LAN to share with? pass --lan IFACE (or set `lan` in the config file)"
            );
        };
        let lan_addr = match &settings.lan_addr {
            Some(text) => Some(text.parse::<Ipv4Net>().map_err(|e| {
                anyhow!("invalid --lan-addr `{text}`: {e}; expected e.g. 192.168.137.1/24")
            })?),
            None => None,
        };
        let named = Settings {
            uplink: Some(uplink.clone()),
            ..settings.clone()
        };
        super::interface_check::check_interfaces(&named, None)?;
        let uplink_info = masq_platform::interface_info(&uplink)
            .with_context(|| format!("cannot read uplink {uplink}"))?;
        let planned_lan = lan_addr.or_else(|| {
            masq_platform::interface_info(&lan)
                .ok()?
                .ipv4
                .first()
                .and_then(|&(a, p)| Ipv4Net::new(a, p).ok())
        });
        if let Some(net) = planned_lan {
            super::interface_check::check_prefixes(&uplink_info, net)?;
        }
        let ipv6 = ipv6_plan::plan(settings, &uplink_info, &files.ipv6_prefix).await?;
        let mut spec = GatewaySpec::new(&uplink, &lan, &files.journal);
        spec.lan_addr = lan_addr;
        if let Ipv6Plan::Offered { gateway } = &ipv6 {
            spec.lan_v6 = Some(*gateway);
        }
        spec.tun_name = settings.tun.clone();
        spec.tun_mtu = settings.engine.tun_mtu;
        spec.tun_offload = offload_wanted();
        let gateway = masq_platform::start(&spec)
            .await
            .with_context(|| format!("cannot start sharing {uplink} with {lan}"))?;

        let mut config = engine_api::engine_config(&settings.engine);
        config.gateway_v4 = gateway.lan_net.addr();
        config.lan_prefix_len = gateway.lan_net.prefix_len();
        if let Some(v6) = spec.lan_v6 {
            config.gateway_v6 = Some(v6.addr());
            config.lan_v6_prefix_len = v6.prefix_len();
        }
        config.os_counts_gateway_hop = masq_platform::FORWARDING_DECREMENTS_TTL;
        if config.tcp.congestion_control.is_none() {
            config.tcp.congestion_control = host_congestion_control();
        }
        config.tun_offload = gateway.tun.offload();
        config.tun_udp_offload = gateway.tun.udp_offload();
        info!(
            tcp = config.tun_offload,
            udp = config.tun_udp_offload,
            "adapter segmentation offload"
        );
        info!(
            congestion_control = ?config.tcp.congestion_control.unwrap_or_default(),
            "TCP toward the LAN"
        );
        let seed = seed();
        let mut engine = match Engine::new(config, seed, Instant::now()) {
            Ok(e) => e,
            Err(e) => {
                let _ = gateway.stop().await;
                return Err(anyhow!("{e}"));
            }
        };
        for (i, forward) in settings.forwards.iter().enumerate() {
            if let Err(e) = engine.add_forward(Instant::now(), forward.clone(), None) {
                let _ = gateway.stop().await;
                bail!(
                    "port forward `forward[{i}]` ({} {} -> {}): {e}",
                    forward.protocol,
                    forward.public,
                    forward.target
                );
            }
        }
        let up = Uplink::from(&gateway.uplink);
        super::hairpin::point(&mut engine, &spec.tun_name, &up);
        let observer = if settings.observe_inbound {
            match InboundObserver::open(&up, gateway.lan_net.trunc()) {
                Ok(o) => Some(o),
                Err(e) => {
                    warn!(error = %e, "cannot watch {uplink} for inbound attempts; only filtered UDP will be listed");
                    None
                }
            }
        } else {
            None
        };
        // LAN services (issue 5): their own sockets on the LAN, never through the TUN.
        let (dns_uplink, dns_uplink_rx) = watch::channel(up.clone());
        let port_mapping_uplink = dns_uplink.subscribe();
        let services = super::lan_services::start(
            settings,
            &gateway.lan,
            gateway.lan_net,
            spec.lan_v6.map(|n| n.addr()),
            dns_uplink_rx,
            &files.leases,
        )
        .await;
        let dns_v6 = services
            .as_ref()
            .is_some_and(|s| s.report().dns == masq_control::ServiceState::Running);
        let router_adverts =
            super::router_adverts::start(&ipv6, &gateway.lan, settings.engine.tun_mtu, dns_v6);
        let uplink_report = iface_report(&gateway.uplink);
        let mode = if settings.uplink.is_some() {
            UplinkMode::Pinned
        } else {
            UplinkMode::Automatic
        };
        let roaming = Roaming::new(mode, up.clone(), uplink_report.clone());
        let (switch_tx, switch_rx) = mpsc::channel(4);
        let follower = uplink_watch::spawn(Follower {
            roaming: roaming.clone(),
            switches: switch_tx,
            dns_uplink,
            observe_hidden: settings.observe_inbound.then(|| gateway.lan_net.trunc()),
            lan: gateway.lan_net,
        });
        let lan_report = iface_report(&gateway.lan);
        let tun_name = spec.tun_name.clone();
        let (qtx, qrx) = mpsc::channel(64);
        let port_mapping = super::port_mapping::start(
            settings,
            &gateway.lan,
            gateway.lan_net,
            port_mapping_uplink,
            qtx.clone(),
        );
        let (stop_tx, stop_rx) = oneshot::channel();
        let (tun, gateway_rest) = gateway.into_parts();
        let ended = Arc::new(Notify::new());
        let ended_tx = ended.clone();
        let task = tokio::spawn(async move {
            let result = event_loop::run(LoopParts {
                engine,
                tun,
                uplink: up,
                observer,
                queries: qrx,
                uplink_switches: switch_rx,
                stop: stop_rx,
            })
            .await;
            let cleanup = gateway_rest
                .stop()
                .await
                .context("cleaning up the adapter and routes failed");
            ended_tx.notify_one();
            result.and(cleanup)
        });
        info!(uplink = %uplink_report.name, lan = %lan_report.name, tun = %tun_name, "sharing started");
        Ok(Session {
            roaming,
            follower,
            lan: lan_report,
            tun: tun_name,
            started: Instant::now(),
            queries: qtx,
            stop: Some(stop_tx),
            task,
            ended,
            services,
            port_mapping,
            ipv6,
            client_limits: settings.engine.client_limits.clone(),
            router_adverts,
        })
    }

    /// Completes when the engine loop has ended (on its own: an adapter error). Awaited
    /// instead of polled, so an idle daemon never wakes up to look.
    pub(crate) async fn ended(&self) {
        self.ended.notified().await;
    }

    /// Stops sharing and undoes the set-up; returns the loop's own error, if it failed.
    pub(crate) async fn stop(mut self) -> Result<()> {
        if let Some(follower) = self.follower.take() {
            follower.abort();
        }
        // The goodbye advertisement goes out while the LAN still routes IPv6.
        if let Some(ra) = self.router_adverts.take() {
            ra.stop().await;
        }
        if let Some(services) = self.services.take() {
            services.stop().await;
        }
        if let Some(p) = self.port_mapping.take() {
            p.stop().await;
        }
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(anyhow!("the masquerading task failed: {e}")),
        }
    }

    /// The uplink in use now (it moves when the default route does).
    pub(crate) fn uplink(&self) -> IfaceReport {
        self.roaming.iface()
    }

    /// How sharing has followed the uplink.
    pub(crate) fn roaming(&self) -> RoamingReport {
        self.roaming.report(Instant::now())
    }

    pub(crate) async fn status(&self) -> Option<EngineStatus> {
        let (tx, rx) = oneshot::channel();
        self.queries.send(Query::Status(tx)).await.ok()?;
        rx.await.ok().map(engine_api::engine_status)
    }

    pub(crate) async fn translations(&self) -> Option<Vec<Translation>> {
        let (tx, rx) = oneshot::channel();
        self.queries.send(Query::Translations(tx)).await.ok()?;
        let list = rx.await.ok()?;
        Some(list.into_iter().map(engine_api::translation).collect())
    }

    pub(crate) async fn inbound(&self) -> Option<Vec<InboundAttempt>> {
        let (tx, rx) = oneshot::channel();
        self.queries.send(Query::Inbound(tx)).await.ok()?;
        let list = rx.await.ok()?;
        Some(list.into_iter().map(engine_api::inbound_attempt).collect())
    }

    /// The port forwards and LAN clients' port mappings, as the engine runs them.
    pub(crate) async fn forwards(&self) -> Option<Vec<ForwardView>> {
        let (tx, rx) = oneshot::channel();
        self.queries.send(Query::Forwards(tx)).await.ok()?;
        let list = rx.await.ok()?;
        Some(list.into_iter().map(engine_api::forward_view).collect())
    }

    /// Applies a change to the running engine's forwards; `None` if the engine is gone.
    pub(crate) async fn change_forward(
        &self,
        change: ForwardChange,
    ) -> Option<Result<(), ForwardError>> {
        let (tx, rx) = oneshot::channel();
        self.queries
            .send(Query::ChangeForward(change, tx))
            .await
            .ok()?;
        rx.await.ok()
    }

    /// Applies new per-client limits to the running engine at once; `None` if the engine is
    /// gone, the engine's refusal (naming the key) if they are invalid.
    pub(crate) async fn set_client_limits(
        &mut self,
        limits: Vec<masq_control::ClientLimit>,
    ) -> Option<Result<(), String>> {
        let engine_limits = limits
            .iter()
            .cloned()
            .map(engine_api::client_limit)
            .collect();
        let (tx, rx) = oneshot::channel();
        self.queries
            .send(Query::SetClientLimits(engine_limits, tx))
            .await
            .ok()?;
        let result = rx.await.ok()?;
        if result.is_ok() {
            self.client_limits = limits;
        }
        Some(result.map_err(|e| {
            format!(
                "invalid setting `engine.{}` = {}: {}",
                e.key, e.value, e.expected
            )
        }))
    }

    pub(crate) async fn clear_inbound(&self) {
        let _ = self.queries.send(Query::ClearInbound).await;
    }

    /// The LAN's hosts (issue 5); `None` when the engine does not answer.
    pub(crate) async fn clients(&self) -> Option<Vec<LanClient>> {
        let translations = self.translations().await?;
        let mut clients = self
            .services
            .as_ref()
            .map(|s| s.clients(&translations))
            .unwrap_or_default();
        for c in &mut clients {
            if let Some(l) = self
                .client_limits
                .iter()
                .find(|l| l.ip == std::net::IpAddr::V4(c.ip))
            {
                if let Some(n) = l.max_flows {
                    c.max_flows = u32::try_from(n).ok();
                }
                c.up_limit_bytes_per_s = l.up_bytes_per_s;
                c.down_limit_bytes_per_s = l.down_bytes_per_s;
            }
        }
        Some(clients)
    }

    /// The LAN services' state (issue 5).
    pub(crate) fn lan_services(&self) -> Option<LanServicesReport> {
        let mut report = self.services.as_ref().map(LanServices::report)?;
        report.ipv6 = Some(match &self.ipv6 {
            Ipv6Plan::Offered { gateway } => Ipv6Status::Offered {
                gateway: gateway.to_string(),
                router_advertisements: self.router_adverts.is_some(),
            },
            Ipv6Plan::NotOffered { reason } => Ipv6Status::NotOffered {
                reason: reason.clone(),
            },
        });
        Some(report)
    }
}

/// Seed for the engine's sequence numbers: from the OS, so LAN hosts cannot predict them.
fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Only predictability suffers; sequence numbers stay valid.
        warn!("no OS randomness: initial sequence numbers are predictable");
    }
    u64::from_le_bytes(bytes)
}

/// Whether to ask for segmentation offload on the adapter: yes unless `MASQ_TUN_OFFLOAD` says
/// `off` (or `0`, `false`). A switch for a kernel or driver that mishandles offload, and how the
/// end-to-end suite runs traffic through both paths.
fn offload_wanted() -> bool {
    !matches!(
        std::env::var("MASQ_TUN_OFFLOAD").as_deref(),
        Ok("off" | "0" | "false")
    )
}

/// The host's own TCP congestion control, as the engine names it: masq's TCP toward the LAN
/// then behaves as the host's would have (`None`: the engine's default, CUBIC).
fn host_congestion_control() -> Option<masq_engine::CongestionControl> {
    use masq_engine::CongestionControl;
    match masq_platform::host_tcp_congestion_control()?.as_str() {
        "bbr" => Some(CongestionControl::Bbr),
        "cubic" => Some(CongestionControl::Cubic),
        "reno" => Some(CongestionControl::NewReno),
        other => {
            tracing::debug!(
                host = other,
                "the host's TCP congestion control has no match here; using CUBIC"
            );
            None
        }
    }
}
