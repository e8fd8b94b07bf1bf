//! The translations table: one line per masqueraded conversation.

use masq_control::Translation;

use super::table::{Align, Table};
use super::{bytes, duration};

/// Renders translations as an aligned table (or a one-line note when there are none).
pub fn render_translations(flows: &[Translation]) -> String {
    if flows.is_empty() {
        return "no translations: no LAN host has a conversation going through masq right now\n"
            .to_owned();
    }
    let mut t = Table::new(&[
        ("ID", Align::Right),
        ("PROTO", Align::Left),
        ("LAN", Align::Left),
        ("REMOTE", Align::Left),
        ("GATEWAY", Align::Left),
        ("STATE", Align::Left),
        ("OUT", Align::Right),
        ("IN", Align::Right),
        ("AGE", Align::Right),
        ("IDLE", Align::Right),
        ("LAN RTT", Align::Right),
        ("RETX", Align::Right),
    ]);
    for f in flows {
        t.push(vec![
            f.id.0.to_string(),
            f.protocol.to_string(),
            f.lan.to_string(),
            f.remote.map_or_else(|| "-".to_owned(), |r| r.to_string()),
            f.gateway
                .map_or_else(|| "(binding)".to_owned(), |g| g.to_string()),
            if f.inbound {
                format!("{} (inbound)", f.state)
            } else {
                f.state.clone()
            },
            bytes(f.bytes_out),
            bytes(f.bytes_in),
            duration(f.age_s),
            duration(f.idle_s),
            f.tcp
                .and_then(|t| t.srtt_us)
                .map_or_else(|| "-".to_owned(), rtt),
            f.tcp
                .map_or_else(|| "-".to_owned(), |t| t.retransmits.to_string()),
        ]);
    }
    t.render()
}

/// A round trip to the hidden host: microseconds on a wired LAN, tens of milliseconds on a
/// busy Wi-Fi, so the unit follows the size.
fn rtt(us: u64) -> String {
    if us < 10_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else {
        format!("{}ms", us / 1000)
    }
}

#[cfg(test)]
mod tests {
    use masq_control::{
        FlowId, GatewayEndpoint, LanEndpoint, Protocol, RemoteEndpoint, TcpFlowStats,
    };

    use super::*;

    #[test]
    fn one_aligned_line_per_flow() {
        let f = Translation {
            id: FlowId(7),
            protocol: Protocol::Tcp,
            lan: LanEndpoint("192.168.137.10:40000".parse().unwrap()),
            remote: Some(RemoteEndpoint("198.51.100.7:443".parse().unwrap())),
            gateway: Some(GatewayEndpoint("203.0.113.2:51000".parse().unwrap())),
            state: "established".into(),
            inbound: false,
            bytes_out: 2048,
            bytes_in: 5 * 1024 * 1024,
            packets_out: 3,
            packets_in: 4,
            age_s: 185.0,
            idle_s: 2.0,
            expires_in_s: 7000.0,
            tcp: Some(TcpFlowStats {
                retransmits: 17,
                srtt_us: Some(2_400),
                ..TcpFlowStats::default()
            }),
        };
        let mut g = f.clone();
        g.id = FlowId(12);
        g.gateway = None;
        g.tcp = None;
        let text = render_translations(&[f, g]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID  PROTO  LAN"), "{text}");
        assert!(
            lines[1].contains("198.51.100.7:443")
                && lines[1].contains("2.0 KiB")
                && lines[1].contains("5.0 MiB"),
            "{text}"
        );
        assert!(lines[1].contains("3m05s"), "{text}");
        assert!(lines[1].ends_with("2.4ms    17"), "{text}");
        assert!(lines[2].ends_with("-     -"), "{text}");
        assert!(lines[2].contains("(binding)"), "{text}");
        assert_eq!(
            lines[1].find("tcp"),
            lines[0].find("PROTO"),
            "columns align:\n{text}"
        );
        assert!(render_translations(&[]).starts_with("no translations"));
    }
}
