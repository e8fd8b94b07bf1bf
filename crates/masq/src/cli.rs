//! The command line: every subcommand, flag and help text, as clap derive definitions.
//!
//! Parsing only; `main.rs` decides what each command does. Flags that name interfaces or the
//! LAN address are checked here with the same rules as the config file, so a typo is a usage
//! error (exit code 2) rather than a runtime one.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  sudo masq up --uplink wlan0 --lan eth1        share wlan0's connection with eth1, until Ctrl-C
  sudo masq up --lan eth1 --lan-addr 192.168.137.1/24
  masq status                                    is sharing on? on which interfaces?
  masq translations --watch                      live table of translated connections
  masq inbound                                   who tried to get in, and why they could not
  masq clients                                   the LAN's hosts, their leases and traffic
  masq forward add tcp 8080 192.168.137.10:80    let the internet reach one LAN server
  sudo masq down                                 remove what a killed masq left behind
  masq doctor                                    what keeps sharing from working, and the fix
  sudo masq daemon --control-group masq          service mode, controlled by `masq start`/`stop`

Environment: MASQ_CONTROL (control socket), MASQ_CONFIG (config file),
MASQ_STATE_FILE (crash-cleanup journal), MASQ_LOG (log filter, e.g. debug or masq=trace).";

/// Share this computer's internet connection with a LAN by IP masquerading.
///
/// LAN hosts send their traffic into a virtual adapter; masq re-originates each conversation
/// from this computer's own uplink address. Nothing from the internet can reach a LAN host
/// inward, and refused inbound attempts are shown by `masq inbound`.
#[derive(Debug, Parser)]
#[command(name = "masq", version, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Share now, in the foreground, until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Examples:\n  sudo masq up --uplink wlan0 --lan eth1\n  sudo masq up --lan eth1 --lan-addr 10.42.0.1/24 --no-observe-inbound"
    )]
    Up(UpArgs),
    /// Remove what a killed masq left behind (routes, rules, forwarding), from its journal.
    Down(DownArgs),
    /// Show whether sharing runs, on which interfaces, with what totals.
    Status(ViewArgs),
    /// Show the live translations (one line per masqueraded conversation).
    #[command(
        after_help = "Examples:\n  masq translations --protocol tcp\n  masq translations --json | jq '.[].gateway'\n  masq translations --watch"
    )]
    Translations(TranslationsArgs),
    /// Show refused inbound attempts, and why masquerading refuses them.
    Inbound(ViewArgs),
    /// Show the hosts on the LAN: address, MAC, name, lease, flows and bytes.
    #[command(
        after_help = "Examples:\n  masq clients\n  masq clients --json | jq '.[] | {ip, hostname}'\n  masq clients --watch"
    )]
    Clients(ViewArgs),
    /// Port forwards: the only way connections from the internet reach a LAN host.
    #[command(subcommand)]
    Forward(ForwardCommand),
    /// Show the settings the daemon shares with.
    Settings(SettingsArgs),
    /// Ask the daemon to start sharing with its current settings.
    Start(ControlArgs),
    /// Ask the daemon to stop sharing.
    Stop(ControlArgs),
    /// Run as a service: sharing starts when asked through the control API
    /// (`masq start`, the GUI), or at once with `autostart = true` in the config file.
    Daemon(DaemonArgs),
    /// Install, remove, start or stop masq as a system service running `masq daemon`
    /// (macOS: a launchd daemon whose control socket the admin group may use).
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Build a throwaway test network in namespaces and share into it (Linux, root).
    Demo(DemoArgs),
    /// Work with the config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Show the daemon's recent log lines (what it did, what failed).
    #[command(
        after_help = "Examples:\n  masq logs\n  masq logs --level warn --lines 50\n  masq logs --json | jq -r '.[].message'"
    )]
    Logs(LogsArgs),
    /// Check what commonly keeps sharing from working, and say how to fix each thing.
    #[command(
        after_help = "Checks the config file, the uplink (default route, address), the LAN interface, that the\nLAN and the uplink's network do not overlap, the daemon, and changes a crashed run left.\nChanges nothing. Exit status 1 if sharing cannot work.\n\nExamples:\n  masq doctor\n  masq doctor --json | jq '.findings[] | select(.level != \"ok\")'"
    )]
    Doctor(DoctorArgs),
    /// Print the completion script for a shell, so Tab completes commands and flags.
    #[command(
        after_help = "Examples:\n  masq completions bash | sudo tee /etc/bash_completion.d/masq\n  masq completions zsh > ~/.zfunc/_masq\n  masq completions fish > ~/.config/fish/completions/masq.fish\n  masq completions powershell >> $PROFILE\n\nThe .deb and the macOS app install them for bash, zsh and fish already."
    )]
    Completions(CompletionsArgs),
    /// Write the manual pages (masq.1 and one per command) into a directory; the packages
    /// run it to ship them.
    #[command(hide = true)]
    Manpages(ManpagesArgs),
}

/// `masq logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only lines at least this serious.
    #[arg(long, value_enum)]
    pub level: Option<LogLevelArg>,
    /// At most this many lines, the newest.
    #[arg(long, value_name = "N")]
    pub lines: Option<u32>,
    /// Print JSON exactly as the control API sends it.
    #[arg(long)]
    pub json: bool,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// Log levels as `--level` takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevelArg {
    /// Failures only.
    Error,
    /// Failures and warnings.
    Warn,
    /// What the daemon did, too.
    Info,
    /// Details for diagnosis.
    Debug,
    /// Everything kept.
    Trace,
}

impl From<LogLevelArg> for masq_control::LogLevel {
    fn from(l: LogLevelArg) -> Self {
        match l {
            LogLevelArg::Error => masq_control::LogLevel::Error,
            LogLevelArg::Warn => masq_control::LogLevel::Warn,
            LogLevelArg::Info => masq_control::LogLevel::Info,
            LogLevelArg::Debug => masq_control::LogLevel::Debug,
            LogLevelArg::Trace => masq_control::LogLevel::Trace,
        }
    }
}

/// `masq doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Config file [default: the daemon's].
    #[arg(long, env = "MASQ_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Crash journal to look for [default: the daemon's].
    #[arg(long, env = "MASQ_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// `masq completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `masq manpages`.
#[derive(Debug, Args)]
pub struct ManpagesArgs {
    /// Directory to write the pages into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `masq forward …`.
#[derive(Debug, Subcommand)]
pub enum ForwardCommand {
    /// List the port forwards and the port mappings LAN programs asked for (NAT-PMP/PCP).
    List(ForwardListArgs),
    /// Forward a public port (or range) on the uplink address to a LAN host.
    #[command(
        after_help = "Examples:\n  masq forward add tcp 8080 192.168.137.10:80 --name web\n  masq forward add udp 27015-27030 192.168.137.20\n\nThe LAN host sees the real address of whoever connects. The forward is saved and\nlistens at once if sharing is on."
    )]
    Add(ForwardAddArgs),
    /// Change a port forward in one step: its public ports, its LAN host or its name.
    #[command(
        after_help = "Examples:\n  masq forward edit tcp 8080 --public 8081\n  masq forward edit tcp 8080 --to 192.168.137.11:8080 --name web\n\nWhat is not given stays as it is. If the new forward does not fit (ports taken,\nhost outside the LAN), nothing changes."
    )]
    Edit(ForwardEditArgs),
    /// Remove a port forward (or a LAN program's port mapping).
    Remove(ForwardKeyArgs),
    /// Switch a port forward back on.
    Enable(ForwardKeyArgs),
    /// Switch a port forward off without forgetting it.
    Disable(ForwardKeyArgs),
}

/// `masq forward list`.
#[derive(Debug, Args)]
pub struct ForwardListArgs {
    /// Print JSON exactly as the control API sends it.
    #[arg(long)]
    pub json: bool,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// `masq forward add`.
#[derive(Debug, Args)]
pub struct ForwardAddArgs {
    /// `tcp` or `udp`.
    #[arg(value_parser = forward_protocol)]
    pub protocol: masq_control::ForwardProtocol,
    /// Public port or range on the uplink address, e.g. `8080` or `27015-27030`.
    #[arg(value_parser = port_range)]
    pub public: masq_control::PortRange,
    /// The LAN host and its first port, e.g. `192.168.137.10:80` [default port: the public one].
    #[arg(value_parser = forward_target)]
    pub target: ForwardTarget,
    /// A name to recognise it by in lists.
    #[arg(long)]
    pub name: Option<String>,
    /// Add it switched off.
    #[arg(long)]
    pub disabled: bool,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// `masq forward edit`.
#[derive(Debug, Args)]
pub struct ForwardEditArgs {
    /// `tcp` or `udp`.
    #[arg(value_parser = forward_protocol)]
    pub protocol: masq_control::ForwardProtocol,
    /// The forward's (first) public port now.
    pub port: u16,
    /// New public port or range, e.g. `8081` or `27015-27030`.
    #[arg(long, value_parser = port_range)]
    pub public: Option<masq_control::PortRange>,
    /// New LAN host and first port, e.g. `192.168.137.11:80` [default port: the public one].
    #[arg(long, value_parser = forward_target)]
    pub to: Option<ForwardTarget>,
    /// New name (an empty one removes it).
    #[arg(long)]
    pub name: Option<String>,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// Which forward: protocol and first public port, e.g. `tcp 8080`.
#[derive(Debug, Args)]
pub struct ForwardKeyArgs {
    /// `tcp` or `udp`.
    #[arg(value_parser = forward_protocol)]
    pub protocol: masq_control::ForwardProtocol,
    /// The (first) public port.
    pub port: u16,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// A forward's LAN host, with its port if given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardTarget {
    /// The hidden host.
    pub ip: std::net::Ipv4Addr,
    /// Its first port; `None` means the same as the first public port.
    pub port: Option<u16>,
}

fn forward_protocol(s: &str) -> Result<masq_control::ForwardProtocol, String> {
    s.parse()
        .map_err(|e: masq_control::BadForwardProtocol| e.to_string())
}

fn port_range(s: &str) -> Result<masq_control::PortRange, String> {
    s.parse()
        .map_err(|e: masq_control::BadPortRange| e.to_string())
}

fn forward_target(s: &str) -> Result<ForwardTarget, String> {
    if let Ok(ip) = s.parse() {
        return Ok(ForwardTarget { ip, port: None });
    }
    match s.parse::<std::net::SocketAddrV4>() {
        Ok(a) if a.port() != 0 => Ok(ForwardTarget {
            ip: *a.ip(),
            port: Some(a.port()),
        }),
        _ => Err(format!(
            "{s:?} is not a LAN host: give an IPv4 address, optionally with a port (192.168.137.10:80)"
        )),
    }
}

/// `masq up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Interface with the internet connection [default: the default route's interface].
    #[arg(long, value_name = "IFACE", value_parser = iface("uplink"))]
    pub uplink: Option<String>,
    /// Interface of the LAN to share with (required unless the config file sets `lan`).
    #[arg(long, value_name = "IFACE", value_parser = iface("lan"))]
    pub lan: Option<String>,
    /// Gateway address and prefix on the LAN, added to the LAN interface if missing
    /// [default: the LAN interface's first IPv4 address].
    #[arg(long, value_name = "CIDR", value_parser = lan_addr)]
    pub lan_addr: Option<String>,
    /// Name of the virtual adapter to create [default: masq0].
    #[arg(long, value_name = "NAME", value_parser = iface("tun"))]
    pub tun: Option<String>,
    /// Watch the uplink for refused inbound attempts (the default).
    #[arg(long, overrides_with = "no_observe_inbound")]
    pub observe_inbound: bool,
    /// Do not watch the uplink for refused inbound attempts.
    #[arg(long, overrides_with = "observe_inbound")]
    pub no_observe_inbound: bool,
    /// Where to serve the control API [default: /run/masq/control.sock for root].
    #[arg(long, env = "MASQ_CONTROL", value_name = "PATH")]
    pub control: Option<PathBuf>,
    /// Config file; flags override its values [default: /etc/masq/masq.toml for root].
    #[arg(long, env = "MASQ_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Journal of system changes, for `masq down` after a crash [default: /run/masq/state.json for root].
    #[arg(long, env = "MASQ_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<PathBuf>,
}

impl UpArgs {
    /// The tri-state of `--observe-inbound` / `--no-observe-inbound` (last one wins).
    pub fn observe_inbound(&self) -> Option<bool> {
        match (self.observe_inbound, self.no_observe_inbound) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// `masq down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// The journal the killed masq wrote (same default as `masq up --state-file`).
    #[arg(long, env = "MASQ_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<PathBuf>,
}

/// Where a client finds the daemon.
#[derive(Debug, Args)]
pub struct ControlArgs {
    /// The daemon's control socket [default: this user's, else /run/masq/control.sock].
    #[arg(long, env = "MASQ_CONTROL", value_name = "PATH")]
    pub control: Option<PathBuf>,
}

/// `masq status`, `masq inbound` and `masq clients`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Print JSON exactly as the control API sends it.
    #[arg(long)]
    pub json: bool,
    /// Keep updating every second until Ctrl-C (JSON lines when not on a terminal).
    #[arg(long)]
    pub watch: bool,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// `masq translations`.
#[derive(Debug, Args)]
pub struct TranslationsArgs {
    /// Only this protocol.
    #[arg(long, value_enum)]
    pub protocol: Option<ProtocolArg>,
    /// What to print and how often.
    #[command(flatten)]
    pub view: ViewArgs,
}

/// `masq settings`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Print JSON exactly as the control API sends it (else TOML, as in the config file).
    #[arg(long)]
    pub json: bool,
    /// Where the daemon is.
    #[command(flatten)]
    pub control: ControlArgs,
}

/// `masq daemon`.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Where to serve the control API [default: /run/masq/control.sock for root].
    #[arg(long, env = "MASQ_CONTROL", value_name = "PATH")]
    pub control: Option<PathBuf>,
    /// Let members of this group use the control API too (socket mode 0660; on Windows a
    /// user or group name, or a SID, allowed on the control pipe).
    #[arg(long, value_name = "GROUP")]
    pub control_group: Option<String>,
    /// Let members of this group watch through the control API (status, translations,
    /// inbound attempts; no changes). Unix only.
    #[arg(long, value_name = "GROUP")]
    pub observer_group: Option<String>,
    /// Let this user (name or uid) administer through the control API, as the desktop app
    /// does for the user who started the daemon. Unix only.
    #[arg(long, value_name = "USER")]
    pub control_user: Option<String>,
    /// Config file [default: /etc/masq/masq.toml for root].
    #[arg(long, env = "MASQ_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Journal of system changes, for `masq down` after a crash [default: /run/masq/state.json for root].
    #[arg(long, env = "MASQ_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Started by the Windows service control manager (`masq service install` sets it).
    #[cfg(windows)]
    #[arg(long, hide = true)]
    pub service: bool,
}

/// `masq service …`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Install the service and start it now and at every boot (root).
    Install(ServiceInstallArgs),
    /// Stop the service and remove it (root).
    Uninstall,
    /// Start the installed service (root).
    Start,
    /// Stop the service until the next boot or `masq service start` (root).
    Stop,
    /// Print the service definition that runs `masq daemon`, for packages and hand-made set-ups
    /// (a systemd unit, or the launchd plist `install` writes on macOS).
    #[command(
        after_help = "Examples:\n  masq service definition systemd --program /usr/bin/masq > /etc/systemd/system/masq.service\n  masq service definition launchd --program /Applications/masq.app/Contents/MacOS/masq"
    )]
    Definition(ServiceDefinitionArgs),
}

/// `masq service definition`.
#[derive(Debug, Args)]
pub struct ServiceDefinitionArgs {
    /// Which service manager the definition is for.
    #[arg(value_enum)]
    pub manager: ServiceManagerArg,
    /// Absolute path of the installed masq binary the service runs.
    #[arg(long, value_name = "PATH")]
    pub program: PathBuf,
    /// Config file the service reads [default: the daemon's own default].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The service managers `masq service definition` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServiceManagerArg {
    /// A systemd unit (Linux).
    Systemd,
    /// A launchd property list (macOS).
    Launchd,
}

/// `masq service install`.
#[derive(Debug, Args)]
pub struct ServiceInstallArgs {
    /// Config file the service reads [default: /etc/masq/masq.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Journal the service keeps of its system changes, so an uninstaller's `masq down
    /// --state-file` finds it [default: the service account's own].
    #[cfg(windows)]
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
}

/// `masq demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Leave the namespaces in place afterwards, to look around.
    #[arg(long)]
    pub keep: bool,
}

/// `masq config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file and print the effective settings.
    #[command(after_help = "Examples:\n  masq config check\n  masq config check ./masq.toml")]
    Check {
        /// The file to check [default: $MASQ_CONFIG, else /etc/masq/masq.toml for root].
        #[arg(value_name = "FILE", env = "MASQ_CONFIG")]
        file: Option<PathBuf>,
    },
}

/// The protocols `--protocol` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// TCP connections.
    Tcp,
    /// UDP mappings.
    Udp,
    /// ICMP echo (ping) mappings.
    Icmp,
}

impl From<ProtocolArg> for masq_control::Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Tcp => masq_control::Protocol::Tcp,
            ProtocolArg::Udp => masq_control::Protocol::Udp,
            ProtocolArg::Icmp => masq_control::Protocol::Icmp,
        }
    }
}

fn iface(
    key: &'static str,
) -> impl Fn(&str) -> Result<String, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        masq_control::check_iface_name(key, s)
            .map(|()| s.to_owned())
            .map_err(|e| e.expected)
    }
}

fn lan_addr(s: &str) -> Result<String, String> {
    s.parse::<masq_control::LanCidr>()
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn observe_inbound_last_flag_wins() {
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            let Command::Up(up) = cli.command else {
                panic!()
            };
            up.observe_inbound()
        };
        assert_eq!(parse(&["masq", "up"]), None);
        assert_eq!(parse(&["masq", "up", "--no-observe-inbound"]), Some(false));
        assert_eq!(
            parse(&["masq", "up", "--no-observe-inbound", "--observe-inbound"]),
            Some(true)
        );
        assert_eq!(
            parse(&["masq", "up", "--observe-inbound", "--no-observe-inbound"]),
            Some(false)
        );
    }

    #[test]
    fn bad_interface_and_cidr_flags_are_usage_errors() {
        for args in [
            // Invalid on every OS ("Ethernet 2" is a valid Windows adapter name).
            &["masq", "up", "--lan", "eth/1"][..],
            &[
                "masq",
                "up",
                "--lan",
                "eth1",
                "--lan-addr",
                "192.168.1.0/24",
            ],
            &["masq", "up", "--tun", "tab\tname"],
            &["masq", "translations", "--protocol", "sctp"],
        ] {
            let e = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
    }
}
