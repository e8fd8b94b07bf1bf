//! The LAN clients table (`masq clients`) and the one-line state of a LAN service.

use masq_control::{LanClient, ServiceState};

use super::table::{Align, Table};
use super::{bytes, duration, wire_name};

/// Renders the clients, one line each, or a note when there are none.
pub fn render_clients(clients: &[LanClient]) -> String {
    if clients.is_empty() {
        return "no LAN clients seen yet\n".to_owned();
    }
    let mut t = Table::new(&[
        ("IP", Align::Left),
        ("MAC", Align::Left),
        ("NAME", Align::Left),
        ("ADDRESS", Align::Left),
        ("LEASE", Align::Right),
        ("FLOWS", Align::Right),
        ("LIMIT", Align::Left),
        ("OUT", Align::Right),
        ("IN", Align::Right),
        ("FIRST", Align::Right),
        ("LAST", Align::Right),
    ]);
    for c in clients {
        t.push(vec![
            c.ip.to_string(),
            c.mac.map_or_else(|| "-".to_owned(), |m| m.to_string()),
            c.hostname.clone().unwrap_or_else(|| "-".to_owned()),
            wire_name(&c.assigned),
            c.lease_expires_in_s
                .map_or_else(|| "-".to_owned(), duration),
            match c.max_flows {
                Some(cap) => format!("{}/{cap}", c.flows),
                None => c.flows.to_string(),
            },
            rate_limit(c),
            bytes(c.bytes_out),
            bytes(c.bytes_in),
            format!("{} ago", duration(c.first_seen_s)),
            format!("{} ago", duration(c.last_seen_s)),
        ]);
    }
    t.render()
}

/// The client's rate limits, e.g. `up 1.0 MB/s, down 2.0 MB/s`, or `-`.
fn rate_limit(c: &LanClient) -> String {
    let parts: Vec<String> = [
        ("up", c.up_limit_bytes_per_s),
        ("down", c.down_limit_bytes_per_s),
    ]
    .into_iter()
    .filter_map(|(dir, r)| r.map(|r| format!("{dir} {}/s", bytes(r))))
    .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}

/// `running, <detail>` / `off` / `failed: <why>`.
pub fn service_line(state: &ServiceState, detail: &str) -> String {
    match state {
        ServiceState::Running => format!("running, {detail}"),
        ServiceState::Disabled => "off (disabled in the settings)".to_owned(),
        ServiceState::Failed { message } => format!("failed: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use masq_control::Assignment;

    use super::*;

    #[test]
    fn one_line_per_client() {
        let c = LanClient {
            ip: "192.168.137.10".parse().unwrap(),
            mac: Some("02:00:00:00:00:0a".parse().unwrap()),
            hostname: Some("laptop".into()),
            assigned: Assignment::Dhcp,
            lease_expires_in_s: Some(3000.0),
            first_seen_s: 65.0,
            last_seen_s: 2.0,
            flows: 3,
            max_flows: Some(8192),
            up_limit_bytes_per_s: None,
            down_limit_bytes_per_s: Some(1 << 20),
            bytes_out: 2048,
            bytes_in: 10,
        };
        let text = render_clients(&[c]);
        for part in [
            "192.168.137.10",
            "02:00:00:00:00:0a",
            "laptop",
            "dhcp",
            "50m00s",
            "3/8192",
            "2.0 KiB",
            "1m05s ago",
            "down 1.0 MiB/s",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        assert!(render_clients(&[]).starts_with("no LAN clients"));
    }
}
