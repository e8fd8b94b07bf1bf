//! The engine's limits and timers as users set them (the `[engine]` section of the config
//! file and of `set_settings`).
//!
//! The API owns this document so that clients never depend on the engine: the daemon turns it
//! into the engine's configuration when sharing starts, and the engine's own check
//! ([`Settings::validate`](crate::Settings::validate) takes it as an argument) decides what is
//! accepted. Defaults and names here must equal the engine's; a test in the daemon compares
//! the two, so a knob added to one and not the other fails CI instead of vanishing silently.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

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

/// Which congestion controller the LAN side of TCP flows uses (downloads to LAN hosts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CongestionControl {
    /// CUBIC (RFC 9438) with HyStart++ (RFC 9406): what Linux, Windows and macOS use.
    Cubic,
    /// NewReno (RFC 5681, RFC 6582): halves the window on loss, grows one segment per RTT.
    NewReno,
    /// BBR (version 1, as Linux's): paces at the measured bottleneck bandwidth and does not
    /// take random loss for congestion.
    Bbr,
}

/// TCP relay limits and timers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TcpSettings {
    /// Idle timeout of an established connection; RFC 5382 REQ-5 requires at least 2 h 4 min.
    #[serde(with = "secs")]
    pub established_idle_timeout: Duration,
    /// Idle timeout of connections being opened or closed; RFC 5382 REQ-5: at least 4 min.
    #[serde(with = "secs")]
    pub transitory_idle_timeout: Duration,
    /// How long the upstream connect may take before the LAN host is answered.
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    /// How long the gateway waits for the LAN host's ACK of its SYN-ACK.
    #[serde(with = "secs")]
    pub handshake_timeout: Duration,
    /// Lower bound of the retransmission timeout toward the LAN (a LAN hop is short, so
    /// Linux-like 200 ms rather than RFC 6298's 1 s).
    #[serde(with = "millis")]
    pub rto_min: Duration,
    /// Upper bound of the retransmission timeout (RFC 6298 allows 60 s).
    #[serde(with = "millis")]
    pub rto_max: Duration,
    /// Retransmissions of one segment before the connection is reset on both sides.
    pub max_retransmits: u32,
    /// Bytes buffered per flow and direction at the start.
    pub buffer_bytes: usize,
    /// Largest a flow's buffer grows to, per direction, while it keeps it full.
    pub max_buffer_bytes: usize,
    /// What all flows' growth beyond `buffer_bytes` may add up to.
    pub buffer_budget_bytes: usize,
    /// How long a closed connection is remembered to re-ACK a retransmitted FIN.
    #[serde(with = "secs")]
    pub time_wait: Duration,
    /// What a hidden host is told when the upstream connect times out.
    pub connect_timeout_reply: ConnectTimeoutReply,
    /// How the window toward LAN hosts grows and shrinks; unset: the OS's choice, else CUBIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub congestion_control: Option<CongestionControl>,
}

impl Default for TcpSettings {
    fn default() -> Self {
        TcpSettings {
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
pub struct UdpSettings {
    /// Mapping lifetime, refreshed by outbound traffic; RFC 4787 REQ-5: at least 120 s.
    #[serde(with = "secs")]
    pub mapping_timeout: Duration,
    /// Which inbound datagrams a mapping lets through.
    pub filtering: UdpFiltering,
}

impl Default for UdpSettings {
    fn default() -> Self {
        UdpSettings {
            mapping_timeout: Duration::from_secs(300),
            filtering: UdpFiltering::default(),
        }
    }
}

/// ICMP echo relay limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IcmpSettings {
    /// Echo mapping lifetime; RFC 5508 REQ-1: at least 60 s.
    #[serde(with = "secs")]
    pub echo_timeout: Duration,
}

impl Default for IcmpSettings {
    fn default() -> Self {
        IcmpSettings {
            echo_timeout: Duration::from_secs(60),
        }
    }
}

/// Limits for one hidden host beyond the ones every host gets: its own flow cap and rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientLimit {
    /// The hidden host's address.
    pub ip: IpAddr,
    /// Most flows it may hold (instead of `max_flows_per_host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_flows: Option<usize>,
    /// Bytes per second it may send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_bytes_per_s: Option<u64>,
    /// Bytes per second it may receive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_bytes_per_s: Option<u64>,
}

/// The engine's knobs as users set them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// The gateway's address on the LAN: source of the ICMP errors the gateway itself sends.
    pub gateway_v4: Ipv4Addr,
    /// Prefix length of the LAN around `gateway_v4`: only sources inside it are served.
    pub lan_prefix_len: u8,
    /// MTU of the virtual adapter.
    pub tun_mtu: u16,
    /// Most flows (TCP + UDP + ICMP) at once.
    pub max_flows: usize,
    /// Most flows one hidden host may hold, so one host cannot starve the others.
    pub max_flows_per_host: usize,
    /// Refused inbound attempts remembered (distinct entries; repeats are merged).
    pub inbound_log_capacity: usize,
    /// Most public ports all port forwards together may hold.
    pub max_forward_ports: usize,
    /// Per-host flow caps and rate limits (`[[engine.client_limits]]`).
    pub client_limits: Vec<ClientLimit>,
    /// TCP settings.
    pub tcp: TcpSettings,
    /// UDP settings.
    pub udp: UdpSettings,
    /// ICMP settings.
    pub icmp: IcmpSettings,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            gateway_v4: Ipv4Addr::new(192, 168, 137, 1),
            lan_prefix_len: 24,
            tun_mtu: 1500,
            max_flows: 65_536,
            max_flows_per_host: 8_192,
            inbound_log_capacity: 1_024,
            max_forward_ports: 1_024,
            client_limits: Vec::new(),
            tcp: TcpSettings::default(),
            udp: UdpSettings::default(),
            icmp: IcmpSettings::default(),
        }
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
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
