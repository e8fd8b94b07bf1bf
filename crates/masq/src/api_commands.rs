//! The commands that talk to a running masq through the control API.
//!
//! Each connects to the control socket (`--control`, `MASQ_CONTROL`, or the default from
//! `paths.rs`), sends one request, and prints the answer as a table or as the API's JSON;
//! with `--watch` it hands over to `watch.rs`.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use masq_control::{Client, Request, Response};

use crate::cli::{ControlArgs, ForwardCommand, LogsArgs, SettingsArgs, TranslationsArgs, ViewArgs};
use crate::output;
use crate::paths;
use crate::watch::{self, View};

/// How often `masq clients --watch` asks again.
const CLIENTS_WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// `masq status`.
pub fn status(args: &ViewArgs) -> Result<()> {
    let mut client = connect(&args.control)?;
    if args.watch {
        return watch::run(client, View::Status, args.json);
    }
    let Response::Status(s) = client.request(Request::Status)? else {
        bail!("the daemon answered `status` with something else");
    };
    print(args.json, &s, || output::render_status(&s))
}

/// `masq translations`.
pub fn translations(args: &TranslationsArgs) -> Result<()> {
    let protocol = args.protocol.map(masq_control::Protocol::from);
    let mut client = connect(&args.view.control)?;
    if args.view.watch {
        return watch::run(client, View::Translations(protocol), args.view.json);
    }
    let Response::Translations(mut flows) = client.request(Request::Translations)? else {
        bail!("the daemon answered `translations` with something else");
    };
    flows.retain(|t| protocol.is_none_or(|p| t.protocol == p));
    print(args.view.json, &flows, || {
        output::render_translations(&flows)
    })
}

/// `masq inbound`.
pub fn inbound(args: &ViewArgs) -> Result<()> {
    let mut client = connect(&args.control)?;
    if args.watch {
        return watch::run(client, View::Inbound, args.json);
    }
    let Response::Inbound(mut attempts) = client.request(Request::Inbound)? else {
        bail!("the daemon answered `inbound` with something else");
    };
    attempts.sort_by(|a, b| a.last_seen_s.total_cmp(&b.last_seen_s));
    print(args.json, &attempts, || output::render_inbound(&attempts))
}

/// `masq clients`; `--watch` polls once a second (clients are not part of subscriptions).
pub fn clients(args: &ViewArgs) -> Result<()> {
    let mut client = connect(&args.control)?;
    let human = !args.json && std::io::stdout().is_terminal();
    loop {
        let Response::Clients(clients) = client.request(Request::Clients)? else {
            bail!("the daemon answered `clients` with something else");
        };
        if !args.watch {
            return print(args.json, &clients, || output::render_clients(&clients));
        }
        let text = if human {
            format!(
                "\x1b[2J\x1b[H{}\nupdated every second; Ctrl-C to quit\n",
                output::render_clients(&clients)
            )
        } else {
            let mut line =
                serde_json::to_string(&clients).context("cannot encode the clients as JSON")?;
            line.push('\n');
            line
        };
        output::emit(&text)?;
        std::thread::sleep(CLIENTS_WATCH_INTERVAL);
    }
}

/// `masq forward …`: one request, then the list as it is afterwards.
pub fn forward(command: ForwardCommand) -> Result<()> {
    let key = |protocol, port| masq_control::ForwardKey { protocol, port };
    let (request, control, json, done) = match command {
        ForwardCommand::Edit(a) => {
            let (request, done) = forward_edit(&a)?;
            (request, a.control, false, Some(done))
        }
        ForwardCommand::List(a) => (Request::Forwards, a.control, a.json, None),
        ForwardCommand::Add(a) => {
            let spec = masq_control::ForwardSpec {
                protocol: a.protocol,
                public: a.public,
                target: std::net::SocketAddrV4::new(
                    a.target.ip,
                    a.target.port.unwrap_or(a.public.first()),
                ),
                origin: masq_control::ForwardOrigin::User,
                enabled: !a.disabled,
                name: a.name,
            };
            let what = format!("{} {} -> {}", spec.protocol, spec.public, spec.target);
            (
                Request::AddForward { forward: spec },
                a.control,
                false,
                Some(format!("forwarding {what}")),
            )
        }
        ForwardCommand::Remove(a) => (
            Request::RemoveForward {
                key: key(a.protocol, a.port),
            },
            a.control,
            false,
            Some(format!("removed {}", key(a.protocol, a.port))),
        ),
        ForwardCommand::Enable(a) => (
            Request::EnableForward {
                key: key(a.protocol, a.port),
                enabled: true,
            },
            a.control,
            false,
            Some(format!("enabled {}", key(a.protocol, a.port))),
        ),
        ForwardCommand::Disable(a) => (
            Request::EnableForward {
                key: key(a.protocol, a.port),
                enabled: false,
            },
            a.control,
            false,
            Some(format!("disabled {}", key(a.protocol, a.port))),
        ),
    };
    let kind = request.kind();
    let Response::Forwards(list) = connect(&control)?
        .request(request)
        .with_context(|| format!("{kind} failed"))?
    else {
        bail!("the daemon answered `{kind}` with something else");
    };
    if let Some(done) = done {
        output::emit(&format!("{done}\n\n"))?;
    }
    print(json, &list, || output::render_forwards(&list))
}

/// The `update_forward` request for `masq forward edit`: the forward as the daemon lists it,
/// with what the user gave changed.
fn forward_edit(a: &crate::cli::ForwardEditArgs) -> Result<(Request, String)> {
    let key = masq_control::ForwardKey {
        protocol: a.protocol,
        port: a.port,
    };
    let Response::Forwards(list) = connect(&a.control)?.request(Request::Forwards)? else {
        bail!("the daemon answered `forwards` with something else");
    };
    let Some(current) = list.into_iter().find(|f| f.key == key) else {
        bail!("no forward {key}; `masq forward list` shows the existing ones");
    };
    if a.public.is_none() && a.to.is_none() && a.name.is_none() {
        bail!("nothing to change: give --public, --to or --name");
    }
    let mut spec = current.spec;
    let old = format!("{} {} -> {}", spec.protocol, spec.public, spec.target);
    if let Some(public) = a.public {
        // The target's first port moves with the public one when they were the same.
        if spec.target.port() == spec.public.first() && a.to.is_none() {
            spec.target.set_port(public.first());
        }
        spec.public = public;
    }
    if let Some(to) = a.to {
        spec.target = std::net::SocketAddrV4::new(to.ip, to.port.unwrap_or(spec.public.first()));
    }
    if let Some(name) = &a.name {
        spec.name = (!name.is_empty()).then(|| name.clone());
    }
    let new = format!("{} {} -> {}", spec.protocol, spec.public, spec.target);
    Ok((
        Request::UpdateForward { key, forward: spec },
        format!("changed {old} to {new}"),
    ))
}

/// `masq settings`.
pub fn settings(args: &SettingsArgs) -> Result<()> {
    let mut client = connect(&args.control)?;
    let Response::Settings(settings) = client.request(Request::GetSettings)? else {
        bail!("the daemon answered `get_settings` with something else");
    };
    print(args.json, &settings, || {
        toml::to_string_pretty(&settings)
            .unwrap_or_else(|e| format!("# cannot render as TOML: {e}\n"))
    })
}

/// `masq start`.
pub fn start(args: &ControlArgs) -> Result<()> {
    connect(args)?
        .request(Request::Start)
        .context("cannot start sharing")?;
    output::emit("sharing started; see `masq status`\n")?;
    Ok(())
}

/// `masq stop`.
pub fn stop(args: &ControlArgs) -> Result<()> {
    connect(args)?
        .request(Request::Stop)
        .context("cannot stop sharing")?;
    output::emit("sharing stopped\n")?;
    Ok(())
}

/// `masq logs`.
pub fn logs(args: &LogsArgs) -> Result<()> {
    let mut client = connect(&args.control)?;
    let request = Request::Logs {
        level: args.level.map(Into::into),
        limit: args.lines,
    };
    let Response::Logs(lines) = client.request(request)? else {
        bail!("the daemon answered `logs` with something else");
    };
    print(args.json, &lines, || output::render_logs(&lines))
}

fn connect(args: &ControlArgs) -> Result<Client> {
    let path = args
        .control
        .clone()
        .unwrap_or_else(paths::client_control_socket);
    Ok(Client::connect(&path)?)
}

fn print<T: serde::Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) -> Result<()> {
    let text = if json {
        let mut text =
            serde_json::to_string_pretty(value).context("cannot encode the answer as JSON")?;
        text.push('\n');
        text
    } else {
        human()
    };
    output::emit(&text)?;
    Ok(())
}
