//! Where the engine's types meet the control API's.
//!
//! The control API owns what clients read and write (`masq-control` does not depend on the
//! engine, so neither do the GUI and the CLI's output); the daemon is the one place that
//! knows both, and converts here. The conversions destructure every engine type whole, so a
//! field added to the engine does not compile until someone decides whether the API shows it.

use masq_control as api;
use masq_control::{EngineSettings, Settings, SettingsError};
use masq_engine as engine;

/// One live translation as the API shows it.
pub(crate) fn translation(t: engine::Translation) -> api::Translation {
    let engine::Translation {
        id,
        protocol,
        lan,
        remote,
        gateway,
        state,
        inbound,
        bytes_out,
        bytes_in,
        packets_out,
        packets_in,
        age_s,
        idle_s,
        expires_in_s,
        tcp,
    } = t;
    api::Translation {
        id,
        protocol,
        lan,
        remote,
        gateway,
        state,
        inbound,
        bytes_out,
        bytes_in,
        packets_out,
        packets_in,
        age_s,
        idle_s,
        expires_in_s,
        tcp: tcp.map(tcp_stats),
    }
}

fn tcp_stats(s: engine::TcpFlowStats) -> api::TcpFlowStats {
    let engine::TcpFlowStats {
        retransmits,
        rtos,
        tail_loss_probes,
        tlp_recoveries,
        fast_recoveries,
        spurious_retransmits,
        undos,
        srtt_us,
        cwnd_bytes,
        mss,
    } = s;
    api::TcpFlowStats {
        retransmits,
        rtos,
        tail_loss_probes,
        tlp_recoveries,
        fast_recoveries,
        spurious_retransmits,
        undos,
        srtt_us,
        cwnd_bytes,
        mss,
    }
}

/// One refused inbound attempt as the API shows it.
pub(crate) fn inbound_attempt(a: engine::InboundAttempt) -> api::InboundAttempt {
    let engine::InboundAttempt {
        protocol,
        remote,
        gateway,
        reason,
        explanation,
        count,
        first_seen_s,
        last_seen_s,
    } = a;
    api::InboundAttempt {
        protocol,
        remote,
        gateway,
        reason: match reason {
            engine::RefusalReason::NoTranslation => api::RefusalReason::NoTranslation,
            engine::RefusalReason::FilteredByMapping => api::RefusalReason::FilteredByMapping,
            engine::RefusalReason::AddressedToHiddenHost => {
                api::RefusalReason::AddressedToHiddenHost
            }
        },
        explanation,
        count,
        first_seen_s,
        last_seen_s,
    }
}

/// The engine's totals as the API shows them.
pub(crate) fn engine_status(s: engine::EngineStatus) -> api::EngineStatus {
    let engine::EngineStatus {
        flows_tcp,
        flows_udp,
        flows_icmp,
        max_flows,
        lan_hosts,
        counters,
        tcp_buffer_growth_bytes,
    } = s;
    api::EngineStatus {
        flows_tcp,
        flows_udp,
        flows_icmp,
        max_flows,
        lan_hosts,
        counters: counters_view(counters),
        tcp_buffer_growth_bytes,
    }
}

fn counters_view(c: engine::Counters) -> api::Counters {
    let engine::Counters {
        tun_packets_in,
        tun_packets_out,
        tun_bytes_in,
        tun_bytes_out,
        tun_write_failures,
        flows_created,
        flows_closed,
        tcp_retransmits,
        tcp_rtos,
        tcp_tail_loss_probes,
        tcp_tlp_recoveries,
        tcp_fast_recoveries,
        tcp_spurious_retransmits,
        tcp_undos,
        icmp_errors_suppressed,
        datagrams_reassembled,
        hairpinned_packets,
        drops,
    } = c;
    api::Counters {
        tun_packets_in,
        tun_packets_out,
        tun_bytes_in,
        tun_bytes_out,
        tun_write_failures,
        flows_created,
        flows_closed,
        tcp_retransmits,
        tcp_rtos,
        tcp_tail_loss_probes,
        tcp_tlp_recoveries,
        tcp_fast_recoveries,
        tcp_spurious_retransmits,
        tcp_undos,
        icmp_errors_suppressed,
        datagrams_reassembled,
        hairpinned_packets,
        drops: drops
            .into_iter()
            .map(|(reason, n)| (crate::output::wire_name(&reason), n))
            .collect(),
    }
}

/// A forward as the API lists it.
pub(crate) fn forward_view(v: engine::ForwardView) -> api::ForwardView {
    let engine::ForwardView {
        key,
        spec,
        state,
        enabled,
        expires_in_s,
        connections,
    } = v;
    api::ForwardView {
        key,
        spec,
        state: listener_state(state),
        enabled,
        expires_in_s,
        connections,
    }
}

/// A listener's state as the API shows it.
pub(crate) fn listener_state(s: engine::ListenerState) -> api::ListenerState {
    match s {
        engine::ListenerState::Disabled => api::ListenerState::Disabled,
        engine::ListenerState::Stopped => api::ListenerState::Stopped,
        engine::ListenerState::Opening => api::ListenerState::Opening,
        engine::ListenerState::Listening => api::ListenerState::Listening,
        engine::ListenerState::Failed { reason } => api::ListenerState::Failed { reason },
    }
}

/// The engine's configuration from the user's settings; the facts of the running session
/// (IPv6 gateway, offloads, the OS's TTL handling) keep their defaults for the runtime to set.
pub(crate) fn engine_config(s: &EngineSettings) -> engine::Config {
    let EngineSettings {
        gateway_v4,
        lan_prefix_len,
        tun_mtu,
        max_flows,
        max_flows_per_host,
        inbound_log_capacity,
        max_forward_ports,
        client_limits,
        tcp,
        udp,
        icmp,
    } = s.clone();
    let api::TcpSettings {
        established_idle_timeout,
        transitory_idle_timeout,
        connect_timeout,
        handshake_timeout,
        rto_min,
        rto_max,
        max_retransmits,
        buffer_bytes,
        max_buffer_bytes,
        buffer_budget_bytes,
        time_wait,
        connect_timeout_reply,
        congestion_control,
    } = tcp;
    let api::UdpSettings {
        mapping_timeout,
        filtering,
    } = udp;
    let api::IcmpSettings { echo_timeout } = icmp;
    engine::Config {
        gateway_v4,
        lan_prefix_len,
        tun_mtu,
        max_flows,
        max_flows_per_host,
        inbound_log_capacity,
        max_forward_ports,
        client_limits: client_limits.into_iter().map(client_limit).collect(),
        tcp: engine::TcpConfig {
            established_idle_timeout,
            transitory_idle_timeout,
            connect_timeout,
            handshake_timeout,
            rto_min,
            rto_max,
            max_retransmits,
            buffer_bytes,
            max_buffer_bytes,
            buffer_budget_bytes,
            time_wait,
            connect_timeout_reply: match connect_timeout_reply {
                api::ConnectTimeoutReply::Silence => engine::ConnectTimeoutReply::Silence,
                api::ConnectTimeoutReply::HostUnreachable => {
                    engine::ConnectTimeoutReply::HostUnreachable
                }
            },
            congestion_control: congestion_control.map(|c| match c {
                api::CongestionControl::Cubic => engine::CongestionControl::Cubic,
                api::CongestionControl::NewReno => engine::CongestionControl::NewReno,
                api::CongestionControl::Bbr => engine::CongestionControl::Bbr,
            }),
        },
        udp: engine::UdpConfig {
            mapping_timeout,
            filtering: match filtering {
                api::UdpFiltering::EndpointIndependent => engine::UdpFiltering::EndpointIndependent,
                api::UdpFiltering::AddressDependent => engine::UdpFiltering::AddressDependent,
                api::UdpFiltering::AddressAndPortDependent => {
                    engine::UdpFiltering::AddressAndPortDependent
                }
            },
        },
        icmp: engine::IcmpConfig { echo_timeout },
        ..engine::Config::default()
    }
}

/// A per-host limit as the engine enforces it.
pub(crate) fn client_limit(l: api::ClientLimit) -> engine::ClientLimit {
    let api::ClientLimit {
        ip,
        max_flows,
        up_bytes_per_s,
        down_bytes_per_s,
    } = l;
    engine::ClientLimit {
        ip,
        max_flows,
        up_bytes_per_s,
        down_bytes_per_s,
    }
}

/// The engine's own rules for the `[engine]` section, reported under `engine.…` keys.
pub(crate) fn check_engine_settings(s: &EngineSettings) -> Result<(), SettingsError> {
    engine_config(s).validate().map_err(|e| SettingsError {
        key: format!("engine.{}", e.key),
        value: e.value,
        expected: e.expected.to_owned(),
    })
}

/// Checks a whole settings document, the engine section by the engine's rules.
pub(crate) fn validate_settings(s: &Settings) -> Result<(), SettingsError> {
    s.validate(check_engine_settings)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The API's defaults are the engine's: a knob whose default differs in one of them (or
    /// exists in one only) would change behaviour depending on whether a config file names it.
    #[test]
    fn api_defaults_are_the_engines() {
        assert_eq!(
            engine_config(&EngineSettings::default()),
            engine::Config::default()
        );
        let api_json = serde_json::to_value(EngineSettings::default()).unwrap();
        let engine_json = serde_json::to_value(engine::Config::default()).unwrap();
        assert_eq!(api_json, engine_json);
    }

    /// Every key the engine's configuration accepts, the API's accepts with the same meaning:
    /// a document written for one reads identically as the other.
    #[test]
    fn a_full_engine_section_reads_the_same_both_ways() {
        let text = r#"{
            "gateway_v4": "10.9.0.1", "lan_prefix_len": 16, "tun_mtu": 1400,
            "max_flows": 1000, "max_flows_per_host": 100, "inbound_log_capacity": 10,
            "max_forward_ports": 20,
            "client_limits": [{"ip": "10.9.0.7", "max_flows": 5, "up_bytes_per_s": 9000,
                               "down_bytes_per_s": 10000}],
            "tcp": {"established_idle_timeout": 8000, "transitory_idle_timeout": 300,
                    "connect_timeout": 20, "handshake_timeout": 5, "rto_min": 50,
                    "rto_max": 30000, "max_retransmits": 6, "buffer_bytes": 65536,
                    "max_buffer_bytes": 1048576, "buffer_budget_bytes": 0, "time_wait": 1,
                    "connect_timeout_reply": "silence", "congestion_control": "bbr"},
            "udp": {"mapping_timeout": 600, "filtering": "endpoint_independent"},
            "icmp": {"echo_timeout": 90}
        }"#;
        let api: EngineSettings = serde_json::from_str(text).unwrap();
        let direct: engine::Config = serde_json::from_str(text).unwrap();
        assert_eq!(engine_config(&api), direct);
        assert_ne!(
            direct,
            engine::Config::default(),
            "the sample sets every knob"
        );
    }

    #[test]
    fn engine_errors_are_prefixed_with_engine() {
        let mut s = Settings::default();
        s.engine.udp.mapping_timeout = Duration::from_secs(30);
        let e = validate_settings(&s).unwrap_err();
        assert_eq!(e.key, "engine.udp.mapping_timeout");
        assert_eq!(e.value, "30");
        assert!(e.to_string().contains("120 to 86400 seconds"), "{e}");
        validate_settings(&Settings::default()).unwrap();
    }

    #[test]
    fn drop_reasons_keep_their_wire_names() {
        let mut c = engine::Counters::default();
        c.drop(engine::DropReason::FragmentExpired);
        assert_eq!(counters_view(c).drops.get("fragment_expired"), Some(&1));
    }
}
