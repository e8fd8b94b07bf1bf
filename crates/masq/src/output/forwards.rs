//! The port forwards table (`masq forward list`): what is open inward, to whom, and who
//! opened it — the user, or a program on the LAN through NAT-PMP/PCP.

use masq_control::{ForwardOrigin, ForwardView, ListenerState, PortMapProtocol};

use super::duration;
use super::table::{Align, Table};

/// Renders the forwards, one line each, or a note saying that nothing is open inward.
pub fn render_forwards(forwards: &[ForwardView]) -> String {
    if forwards.is_empty() {
        return "no port forwards: nothing on the internet can open a connection to a LAN host\n\
                (add one with `masq forward add tcp 8080 192.168.137.10:80`)\n"
            .to_owned();
    }
    let mut t = Table::new(&[
        ("FORWARD", Align::Left),
        ("TO", Align::Left),
        ("STATE", Align::Left),
        ("BY", Align::Left),
        ("EXPIRES", Align::Right),
        ("USED", Align::Right),
        ("NAME", Align::Left),
    ]);
    for f in forwards {
        let to = if f.spec.public.len() == 1 {
            f.spec.target.to_string()
        } else {
            let last = f
                .spec
                .target
                .port()
                .saturating_add(f.spec.public.last() - f.spec.public.first());
            format!("{}-{last}", f.spec.target)
        };
        t.push(vec![
            format!("{} {}", f.spec.protocol, f.spec.public),
            to,
            state(&f.state),
            match &f.spec.origin {
                ForwardOrigin::User => "user".to_owned(),
                ForwardOrigin::PortMap {
                    client, protocol, ..
                } => format!(
                    "{client} ({})",
                    match protocol {
                        PortMapProtocol::NatPmp => "NAT-PMP",
                        PortMapProtocol::Pcp => "PCP",
                    }
                ),
            },
            f.expires_in_s.map_or_else(|| "-".to_owned(), duration),
            f.connections.to_string(),
            f.spec.name.clone().unwrap_or_default(),
        ]);
    }
    t.render()
}

fn state(s: &ListenerState) -> String {
    match s {
        ListenerState::Disabled => "disabled".to_owned(),
        ListenerState::Stopped => "waiting (sharing is off)".to_owned(),
        ListenerState::Opening => "opening".to_owned(),
        ListenerState::Listening => "listening".to_owned(),
        ListenerState::Failed { reason } => format!("failed: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use masq_control::ForwardSpec;

    use super::*;

    #[test]
    fn one_line_per_forward_with_owner_and_state() {
        let user: ForwardSpec = serde_json::from_str(
            r#"{"protocol":"udp","public":"27015-27016","target":"192.168.137.10:27015","name":"game"}"#,
        )
        .unwrap();
        let mut mapped: ForwardSpec = serde_json::from_str(
            r#"{"protocol":"tcp","public":"40000","target":"192.168.137.11:5000"}"#,
        )
        .unwrap();
        mapped.origin = ForwardOrigin::PortMap {
            client: "192.168.137.11".parse().unwrap(),
            protocol: PortMapProtocol::NatPmp,
            nonce: None,
        };
        let views = [
            ForwardView {
                key: user.key(),
                spec: user,
                state: ListenerState::Listening,
                enabled: true,
                expires_in_s: None,
                connections: 3,
            },
            ForwardView {
                key: mapped.key(),
                spec: mapped,
                state: ListenerState::Failed {
                    reason: "port in use".into(),
                },
                enabled: true,
                expires_in_s: Some(3600.0),
                connections: 0,
            },
        ];
        let text = render_forwards(&views);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let cells: Vec<&str> = lines[1]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            cells,
            [
                "udp 27015-27016",
                "192.168.137.10:27015-27016",
                "listening",
                "user",
                "-",
                "3",
                "game"
            ],
            "{text}"
        );
        assert!(
            lines[2].contains("failed: port in use")
                && lines[2].contains("192.168.137.11 (NAT-PMP)"),
            "{text}"
        );
        assert!(render_forwards(&[]).contains("nothing on the internet"));
    }
}
