//! Every limit and timeout the engine obeys, with defaults from the RFCs that govern NATs.
//!
//! Nothing in the engine is a hidden constant: a knob lives here, has a documented default,
//! and is checked by [`Config::validate`], whose errors name the key and the accepted range
//! (the config file and the CLI show them to the user as they are).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How a UDP mapping filters datagrams arriving from the uplink (RFC 4787 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UdpFiltering {
    /// Anyone may send to a mapped port (full cone); friendliest to peer-to-peer apps.
    EndpointIndependent,
    /// Only addresses the hidden host has sent to.
    AddressDependent,
    /// Only address-and-port pairs the hidden host has sent to (the safest; default).
    #[default]
    AddressAndPortDependent,
}

/// What a hidden host is told when its TCP connect times out upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConnectTimeoutReply {
    /// Say nothing; the host's own SYN timer gives up (what a real path would look like).
    Silence,
    /// Send ICMP host unreachable so the host gives up at once.
    #[default]
    HostUnreachable,
}

/// TCP relay limits and timers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TcpConfig {
    /// Idle timeout of an established connection; RFC 5382 REQ-5 requires at least 2 h 4 min.
    #[serde(with = "secs")]
    pub established_idle_timeout: Duration,
    /// Idle timeout of connections being opened or closed; RFC 5382 REQ-5: at least 4 min.
    #[serde(with = "secs")]
    pub transitory_idle_timeout: Duration,
    /// How long the upstream connect may take before the LAN host is answered.
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    /// How long we wait for the LAN host's ACK of our SYN-ACK.
    #[serde(with = "secs")]
    pub handshake_timeout: Duration,
    /// Lower bound of the retransmission timeout toward the LAN (RFC 6298 says 1 s for the
    /// internet; a LAN hop is short, so Linux-like 200 ms is the default).
    #[serde(with = "millis")]
    pub rto_min: Duration,
    /// Upper bound of the retransmission timeout (RFC 6298 allows 60 s).
    #[serde(with = "millis")]
    pub rto_max: Duration,
    /// Retransmissions of one segment before the connection is reset on both sides.
    pub max_retransmits: u32,
    /// Bytes buffered per flow and direction at the start; the advertised window shrinks
    /// instead of growing the buffer.
    pub buffer_bytes: usize,
    /// Largest a flow's buffer grows to, per direction, while it keeps it full every round
    /// trip (a fast or lossy Wi-Fi LAN needs more than `buffer_bytes` in flight).
    pub max_buffer_bytes: usize,
    /// What all flows' growth beyond `buffer_bytes` may add up to: the most memory fast
    /// flows can take on top of their starting buffers.
    pub buffer_budget_bytes: usize,
    /// How long a closed connection is remembered to re-ACK a retransmitted FIN.
    #[serde(with = "secs")]
    pub time_wait: Duration,
    /// What a hidden host is told when the upstream connect times out.
    pub connect_timeout_reply: ConnectTimeoutReply,
    /// How the window toward LAN hosts grows and shrinks. Unset: what the host's own TCP
    /// uses where the OS says (Linux's `net.ipv4.tcp_congestion_control`), else CUBIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub congestion_control: Option<CongestionControl>,
}

/// Which congestion controller the LAN side of TCP flows uses (downloads to LAN hosts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CongestionControl {
    /// CUBIC (RFC 9438) with HyStart++ (RFC 9406): what Linux, Windows and macOS use.
    #[default]
    Cubic,
    /// NewReno (RFC 5681, RFC 6582): halves the window on loss, grows one segment per RTT.
    NewReno,
    /// BBR (version 1, as Linux's): paces at the measured bottleneck bandwidth and does not
    /// take random loss for congestion, which on a lossy radio LAN keeps downloads fast.
    Bbr,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            established_idle_timeout: Duration::from_secs(2 * 3600 + 4 * 60),
            transitory_idle_timeout: Duration::from_secs(240),
            connect_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(60),
            max_retransmits: 8,
            buffer_bytes: 256 * 1024,
            max_buffer_bytes: 4 * 1024 * 1024,
            buffer_budget_bytes: 64 * 1024 * 1024,
            time_wait: Duration::from_secs(5),
            connect_timeout_reply: ConnectTimeoutReply::default(),
            congestion_control: None,
        }
    }
}

/// UDP relay limits and timers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UdpConfig {
    /// Mapping lifetime, refreshed by outbound traffic; RFC 4787 REQ-5: at least 120 s,
    /// 300 s recommended.
    #[serde(with = "secs")]
    pub mapping_timeout: Duration,
    /// Which inbound datagrams a mapping lets through.
    pub filtering: UdpFiltering,
}

impl Default for UdpConfig {
    fn default() -> Self {
        UdpConfig {
            mapping_timeout: Duration::from_secs(300),
            filtering: UdpFiltering::default(),
        }
    }
}

/// ICMP echo relay limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcmpConfig {
    /// Echo mapping lifetime; RFC 5508 REQ-1: at least 60 s.
    #[serde(with = "secs")]
    pub echo_timeout: Duration,
}

impl Default for IcmpConfig {
    fn default() -> Self {
        IcmpConfig {
            echo_timeout: Duration::from_secs(60),
        }
    }
}

/// Limits for one hidden host, beyond the ones every host gets (the per-client view's
/// "this device may use 10 Mbit/s"): its own flow cap and rates in each direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientLimit {
    /// The hidden host's address.
    pub ip: IpAddr,
    /// Most flows it may hold (instead of `max_flows_per_host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_flows: Option<usize>,
    /// Bytes per second it may send (TCP payload and UDP datagrams toward the uplink).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_bytes_per_s: Option<u64>,
    /// Bytes per second it may receive (TCP payload read for it, UDP datagrams to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_bytes_per_s: Option<u64>,
}

/// Slowest rate a client limit may set: below it TCP stalls on its own timers.
pub const MIN_CLIENT_RATE: u64 = 8_000;

/// Engine configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The gateway's address on the LAN: source of the ICMP errors the gateway itself sends.
    pub gateway_v4: Ipv4Addr,
    /// Prefix length of the LAN around `gateway_v4`: only sources inside it are served.
    pub lan_prefix_len: u8,
    /// The gateway's IPv6 address on the LAN when IPv6 is offered (the uplink has a routable
    /// IPv6 address and the LAN got a prefix); `None` drops every IPv6 packet as
    /// `ipv6_disabled`. A fact of the running session set by the runtime, not a user setting.
    #[serde(skip)]
    pub gateway_v6: Option<Ipv6Addr>,
    /// Prefix length of the LAN's IPv6 prefix around `gateway_v6` (64 for SLAAC).
    #[serde(skip)]
    pub lan_v6_prefix_len: u8,
    /// MTU of the virtual adapter; bounds the segments and datagrams sent toward the LAN.
    pub tun_mtu: u16,
    /// Most flows (TCP + UDP + ICMP) at once; on overflow TCP gets RST, UDP ICMP prohibited.
    pub max_flows: usize,
    /// Most flows one hidden host may hold, so one host cannot starve the others. TCP
    /// connections in TIME_WAIT (socket already closed) do not count.
    pub max_flows_per_host: usize,
    /// Refused inbound attempts remembered (distinct entries; repeats are merged).
    pub inbound_log_capacity: usize,
    /// Most public ports all port forwards together may hold (each is a listening socket);
    /// bounds what port-mapping clients on the LAN can make the gateway open.
    pub max_forward_ports: usize,
    /// Per-host flow caps and rate limits (`[[engine.client_limits]]`); hosts not listed get
    /// `max_flows_per_host` and no rate limit.
    pub client_limits: Vec<ClientLimit>,
    /// TCP settings.
    pub tcp: TcpConfig,
    /// UDP settings.
    pub udp: UdpConfig,
    /// ICMP settings.
    pub icmp: IcmpConfig,
    /// Whether the OS already decremented the TTL of LAN packets when it forwarded them into
    /// the adapter (Linux does): then the gateway's hop is counted once, not twice, and
    /// `traceroute` shows it as one hop. A platform fact set by the runtime, not a user setting.
    #[serde(skip)]
    pub os_counts_gateway_hop: bool,
    /// Whether the shell's adapter splits TCP super-segments for us (see
    /// [`crate::offload`]); a platform fact set by the runtime, not a user setting.
    #[serde(skip)]
    pub tun_offload: bool,
    /// Whether the adapter also cuts UDP super-datagrams (Linux USO, kernel 6.2 and later), so
    /// datagrams toward the LAN may be batched; a platform fact set by the runtime.
    #[serde(skip)]
    pub tun_udp_offload: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            gateway_v4: Ipv4Addr::new(192, 168, 137, 1),
            lan_prefix_len: 24,
            gateway_v6: None,
            lan_v6_prefix_len: 64,
            tun_mtu: 1500,
            max_flows: 65_536,
            max_flows_per_host: 8_192,
            inbound_log_capacity: 1_024,
            max_forward_ports: 1_024,
            client_limits: Vec::new(),
            tcp: TcpConfig::default(),
            udp: UdpConfig::default(),
            icmp: IcmpConfig::default(),
            os_counts_gateway_hop: false,
            tun_offload: false,
            tun_udp_offload: false,
        }
    }
}

/// A configuration value outside what the engine accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid setting `{key}` = {value}: {expected}")]
pub struct ConfigError {
    /// Dotted key as in the config file, e.g. `tcp.rto_min_ms`.
    pub key: &'static str,
    /// The rejected value, as the user wrote it.
    pub value: String,
    /// The accepted range or values, in plain words.
    pub expected: &'static str,
}

impl Config {
    /// Checks every value against its accepted range; the first offender is reported.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn check(
            ok: bool,
            key: &'static str,
            value: String,
            expected: &'static str,
        ) -> Result<(), ConfigError> {
            if ok {
                Ok(())
            } else {
                Err(ConfigError {
                    key,
                    value,
                    expected,
                })
            }
        }
        let secs = |d: Duration| format!("{}", d.as_secs());
        let ms = |d: Duration| format!("{}", d.as_millis());
        check(
            (576..=65535).contains(&self.tun_mtu),
            "tun_mtu",
            self.tun_mtu.to_string(),
            "576 to 65535 bytes",
        )?;
        check(
            self.gateway_v4 != Ipv4Addr::UNSPECIFIED && !IpAddr::V4(self.gateway_v4).is_loopback(),
            "gateway_v4",
            self.gateway_v4.to_string(),
            "a unicast IPv4 address of the gateway on the LAN",
        )?;
        check(
            (8..=30).contains(&self.lan_prefix_len),
            "lan_prefix_len",
            self.lan_prefix_len.to_string(),
            "8 to 30",
        )?;
        if let Some(gw6) = self.gateway_v6 {
            check(
                !gw6.is_unspecified()
                    && !gw6.is_loopback()
                    && !gw6.is_multicast()
                    && !gw6.is_unicast_link_local(),
                "ipv6.gateway",
                gw6.to_string(),
                "a unicast, non-link-local IPv6 address of the gateway on the LAN",
            )?;
            check(
                (16..=64).contains(&self.lan_v6_prefix_len),
                "ipv6.prefix_len",
                self.lan_v6_prefix_len.to_string(),
                "16 to 64",
            )?;
        }
        check(
            (1..=10_000_000).contains(&self.max_flows),
            "max_flows",
            self.max_flows.to_string(),
            "1 to 10000000",
        )?;
        check(
            (1..=self.max_flows).contains(&self.max_flows_per_host),
            "max_flows_per_host",
            self.max_flows_per_host.to_string(),
            "1 to max_flows",
        )?;
        check(
            (1..=1_000_000).contains(&self.inbound_log_capacity),
            "inbound_log_capacity",
            self.inbound_log_capacity.to_string(),
            "1 to 1000000",
        )?;
        check(
            (1..=65_535).contains(&self.max_forward_ports),
            "max_forward_ports",
            self.max_forward_ports.to_string(),
            "1 to 65535",
        )?;
        for (i, l) in self.client_limits.iter().enumerate() {
            check(
                self.client_limits[..i].iter().all(|o| o.ip != l.ip),
                "client_limits.ip",
                l.ip.to_string(),
                "one entry per host",
            )?;
            if let Some(n) = l.max_flows {
                check(
                    (1..=self.max_flows).contains(&n),
                    "client_limits.max_flows",
                    n.to_string(),
                    "1 to max_flows",
                )?;
            }
            for (key, rate) in [
                ("client_limits.up_bytes_per_s", l.up_bytes_per_s),
                ("client_limits.down_bytes_per_s", l.down_bytes_per_s),
            ] {
                if let Some(r) = rate {
                    check(
                        r >= MIN_CLIENT_RATE,
                        key,
                        r.to_string(),
                        "at least 8000 bytes per second (64 kbit/s)",
                    )?;
                }
            }
        }
        let t = &self.tcp;
        check(
            t.established_idle_timeout >= Duration::from_secs(7440),
            "tcp.established_idle_timeout",
            secs(t.established_idle_timeout),
            "at least 7440 seconds (2 h 4 min, RFC 5382)",
        )?;
        check(
            t.transitory_idle_timeout >= Duration::from_secs(240),
            "tcp.transitory_idle_timeout",
            secs(t.transitory_idle_timeout),
            "at least 240 seconds (RFC 5382)",
        )?;
        check(
            (1..=600).contains(&t.connect_timeout.as_secs()),
            "tcp.connect_timeout",
            secs(t.connect_timeout),
            "1 to 600 seconds",
        )?;
        check(
            (1..=600).contains(&t.handshake_timeout.as_secs()),
            "tcp.handshake_timeout",
            secs(t.handshake_timeout),
            "1 to 600 seconds",
        )?;
        check(
            (10..=2000).contains(&t.rto_min.as_millis()),
            "tcp.rto_min",
            ms(t.rto_min),
            "10 to 2000 milliseconds",
        )?;
        check(
            t.rto_max >= t.rto_min && t.rto_max <= Duration::from_secs(120),
            "tcp.rto_max",
            ms(t.rto_max),
            "rto_min to 120000 milliseconds",
        )?;
        check(
            (1..=30).contains(&t.max_retransmits),
            "tcp.max_retransmits",
            t.max_retransmits.to_string(),
            "1 to 30",
        )?;
        check(
            (16 * 1024..=64 * 1024 * 1024).contains(&t.buffer_bytes),
            "tcp.buffer_bytes",
            t.buffer_bytes.to_string(),
            "16384 to 67108864 bytes",
        )?;
        check(
            (t.buffer_bytes..=64 * 1024 * 1024).contains(&t.max_buffer_bytes),
            "tcp.max_buffer_bytes",
            t.max_buffer_bytes.to_string(),
            "tcp.buffer_bytes to 67108864 bytes",
        )?;
        check(
            t.buffer_budget_bytes as u64 <= 16 << 30,
            "tcp.buffer_budget_bytes",
            t.buffer_budget_bytes.to_string(),
            "0 to 17179869184 bytes (0: buffers never grow)",
        )?;
        check(
            t.time_wait <= Duration::from_secs(240),
            "tcp.time_wait",
            secs(t.time_wait),
            "0 to 240 seconds",
        )?;
        check(
            self.udp.mapping_timeout >= Duration::from_secs(120)
                && self.udp.mapping_timeout <= Duration::from_secs(86_400),
            "udp.mapping_timeout",
            secs(self.udp.mapping_timeout),
            "120 to 86400 seconds (RFC 4787 forbids less than 2 minutes)",
        )?;
        check(
            self.icmp.echo_timeout >= Duration::from_secs(60)
                && self.icmp.echo_timeout <= Duration::from_secs(3600),
            "icmp.echo_timeout",
            secs(self.icmp.echo_timeout),
            "60 to 3600 seconds (RFC 5508)",
        )?;
        Ok(())
    }
}

/// Durations in whole seconds in config files.
mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// Durations in milliseconds in config files.
mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn rfc_minimums_are_enforced() {
        let mut c = Config::default();
        c.udp.mapping_timeout = Duration::from_secs(60);
        let e = c.validate().unwrap_err();
        assert_eq!(e.key, "udp.mapping_timeout");
        assert!(e.to_string().contains("120"), "{e}");

        let mut c = Config::default();
        c.tcp.established_idle_timeout = Duration::from_secs(3600);
        assert_eq!(
            c.validate().unwrap_err().key,
            "tcp.established_idle_timeout"
        );

        let mut c = Config::default();
        c.max_flows_per_host = c.max_flows + 1;
        assert_eq!(c.validate().unwrap_err().key, "max_flows_per_host");
    }

    #[test]
    fn ipv6_gateway_is_checked_only_when_set() {
        let mut c = Config {
            lan_v6_prefix_len: 0,
            ..Config::default()
        };
        c.validate().unwrap();
        c.gateway_v6 = Some("fe80::1".parse().unwrap());
        assert_eq!(c.validate().unwrap_err().key, "ipv6.gateway");
        c.gateway_v6 = Some("fd00:6d71::1".parse().unwrap());
        assert_eq!(c.validate().unwrap_err().key, "ipv6.prefix_len");
        c.lan_v6_prefix_len = 64;
        c.validate().unwrap();
    }

    #[test]
    fn toml_style_round_trip_through_json() {
        let c = Config::default();
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"rto_min\":200"), "{text}");
        let back: Config = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
    }
}
