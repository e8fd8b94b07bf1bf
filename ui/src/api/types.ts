// The control API's data as the GUI receives it. These mirror the Rust types in
// crates/masq-control (response.rs, event.rs, settings.rs, translation.rs, engine_status.rs,
// forward_view.rs, engine_settings.rs) and crates/masq-vocab, whose serde forms are the
// contract; field names are the wire names.

export type Protocol = "tcp" | "udp" | "icmp";

export interface Translation {
  id: number;
  protocol: Protocol;
  lan: string;
  remote: string | null;
  gateway: string | null;
  state: string;
  inbound: boolean;
  bytes_out: number;
  bytes_in: number;
  packets_out: number;
  packets_in: number;
  age_s: number;
  idle_s: number;
  expires_in_s: number;
  /** TCP only: how the leg to the hidden host is doing (loss repair, round trip). */
  tcp?: TcpFlowStats | null;
}

/** The LAN leg of one TCP translation (crates/masq-control/src/translation.rs). */
export interface TcpFlowStats {
  retransmits: number;
  rtos: number;
  tail_loss_probes: number;
  tlp_recoveries: number;
  fast_recoveries: number;
  spurious_retransmits: number;
  undos: number;
  srtt_us: number | null;
  cwnd_bytes: number;
  mss: number;
}

export type RefusalReason = "no_translation" | "filtered_by_mapping" | "addressed_to_hidden_host";

export interface InboundAttempt {
  protocol: Protocol;
  remote: string;
  gateway: string;
  reason: RefusalReason;
  explanation: string;
  count: number;
  first_seen_s: number;
  last_seen_s: number;
}

export interface IfaceReport {
  name: string;
  addresses: string[];
}

export interface Counters {
  tun_packets_in: number;
  tun_packets_out: number;
  tun_bytes_in: number;
  tun_bytes_out: number;
  flows_created: number;
  flows_closed: number;
  tcp_retransmits: number;
  /** Loss repair toward LAN hosts; absent from daemons older than these counters. */
  tcp_rtos?: number;
  tcp_tail_loss_probes?: number;
  tcp_tlp_recoveries?: number;
  tcp_fast_recoveries?: number;
  tcp_spurious_retransmits?: number;
  tcp_undos?: number;
  /** The gateway's own ICMP errors over the rate limit (1000/s, burst 50), not sent. */
  icmp_errors_suppressed?: number;
  tun_write_failures?: number;
  /** IPv4 datagrams from the LAN put back together from fragments. */
  datagrams_reassembled?: number;
  /** LAN packets to the gateway's own public address, relayed back in (hairpinning). */
  hairpinned_packets?: number;
  /** Drops by reason name (`bad_checksum`, …); a newer daemon may add names. */
  drops: Record<string, number>;
}

export interface EngineStatus {
  flows_tcp: number;
  flows_udp: number;
  flows_icmp: number;
  max_flows: number;
  lan_hosts: number;
  counters: Counters;
  /** Bytes fast TCP flows' buffers grew beyond their start; absent from older daemons. */
  tcp_buffer_growth_bytes?: number;
}

export type ServiceState = { state: "disabled" } | { state: "running" } | { state: "failed"; message: string };

export interface LanServicesReport {
  dhcp: ServiceState;
  dns: ServiceState;
  leases: number;
  foreign_dhcp_servers: Array<{ server_id: string; offered: string; last_seen_s: number }>;
  dns_upstreams: string[];
  dns_counters: { queries: number; cache_hits: number; local: number; forwarded: number; tcp_fallbacks: number; upstream_failures: number; over_limit: number };
  /** Whether the LAN gets IPv6 (absent from daemons without IPv6 support). */
  ipv6?: { state: "offered"; gateway: string; router_advertisements: boolean } | { state: "not_offered"; reason: string } | null;
}

export interface StatusReport {
  running: boolean;
  version: string;
  uplink: IfaceReport | null;
  lan: IfaceReport | null;
  tun: string | null;
  uptime_s: number;
  engine: EngineStatus | null;
  last_error: string | null;
  /** The DHCP server and DNS forwarder while sharing (absent from daemons without them). */
  lan_services?: LanServicesReport | null;
  /** How sharing follows the uplink, while sharing (absent from older daemons). */
  roaming?: RoamingReport | null;
}

/** Whether sharing may move to another uplink, and what changed last. */
export interface RoamingReport {
  mode: "automatic" | "pinned";
  available: boolean;
  changes: number;
  last_change: {
    kind: "switched" | "readdressed" | "lost" | "restored";
    from: string;
    to: string;
    ago_s: number;
    /** Why a lost uplink cannot be used, when masq knows (e.g. it overlaps the LAN). */
    reason?: string;
  } | null;
}

export interface TranslationDelta {
  added: Translation[];
  updated: Translation[];
  removed: number[];
}

/** One subscription push, forwarded by the backend as the `masq://update` event. */
export interface Update {
  /** True for the first update of a (re)connected subscription: it carries everything. */
  first: boolean;
  status: StatusReport;
  translations: TranslationDelta;
  inbound: InboundAttempt[];
}

/** Whether the backend reaches the daemon; the `masq://daemon` event. */
export type DaemonState =
  | { connected: true; searching: false; socket: string }
  | { connected: false; searching: boolean; socket: string; message: string; can_start_service: boolean };

export interface EngineSettings {
  gateway_v4: string;
  lan_prefix_len: number;
  tun_mtu: number;
  max_flows: number;
  max_flows_per_host: number;
  inbound_log_capacity: number;
  max_forward_ports: number;
  /** Per-host flow caps and rates (edited from the Clients screen's data, not the form). */
  client_limits: ClientLimit[];
  tcp: {
    established_idle_timeout: number;
    transitory_idle_timeout: number;
    connect_timeout: number;
    handshake_timeout: number;
    rto_min: number;
    rto_max: number;
    max_retransmits: number;
    buffer_bytes: number;
    max_buffer_bytes: number;
    buffer_budget_bytes: number;
    time_wait: number;
    connect_timeout_reply: "silence" | "host_unreachable";
    /** Absent: follow this computer's own TCP. */
    congestion_control?: "cubic" | "new_reno" | "bbr" | null;
  };
  udp: {
    mapping_timeout: number;
    filtering: "endpoint_independent" | "address_dependent" | "address_and_port_dependent";
  };
  icmp: { echo_timeout: number };
}

/** One host's own limits (`[[engine.client_limits]]`). */
export interface ClientLimit {
  ip: string;
  max_flows?: number;
  up_bytes_per_s?: number;
  down_bytes_per_s?: number;
}

export interface Reservation {
  mac: string;
  ip: string;
  hostname?: string | null;
}

export interface DhcpSettings {
  enabled: boolean;
  pool_start: string | null;
  pool_end: string | null;
  lease_time: number;
  reservations: Reservation[];
  lease_file: string | null;
}

export interface DnsSettings {
  enabled: boolean;
  domain: string;
  resolv_conf: string;
  cache_entries: number;
  max_in_flight: number;
}

/** The NAT-PMP/PCP server (`[port_mapping]`). */
export interface PortMappingSettings {
  enabled: boolean;
  max_per_client: number;
  min_lifetime_secs: number;
  max_lifetime_secs: number;
  external_port_min: number;
  external_port_max: number;
}

/** IPv6 on the LAN (`[ipv6]`). */
export interface Ipv6Settings {
  enabled: "auto" | "on" | "off";
  prefix: string | null;
}

export interface Settings {
  uplink: string | null;
  lan: string | null;
  lan_addr: string | null;
  tun: string;
  observe_inbound: boolean;
  engine: EngineSettings;
  dhcp: DhcpSettings;
  dns: DnsSettings;
  ipv6: Ipv6Settings;
  port_mapping: PortMappingSettings;
  /** Port forwards; changed through the forward commands, kept as they are by a settings save. */
  forward: ForwardSpec[];
}

/** One host on the LAN as the daemon's `clients` request reports it. */
export interface LanClient {
  ip: string;
  mac: string | null;
  hostname: string | null;
  assigned: "dhcp" | "reserved" | "static";
  lease_expires_in_s: number | null;
  first_seen_s: number;
  last_seen_s: number;
  flows: number;
  max_flows: number | null;
  /** Its rate limits in bytes per second, when it has its own (`engine.client_limits`). */
  up_limit_bytes_per_s?: number | null;
  down_limit_bytes_per_s?: number | null;
  bytes_out: number;
  bytes_in: number;
}

/** A refusal from the backend: `key` names the setting when the refusal is about one. */
export interface GuiError {
  code: string;
  message: string;
  key?: string | null;
}

export type LogLevel = "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";

export interface LogLine {
  seq: number;
  /** Milliseconds since the Unix epoch. */
  time_ms: number;
  level: LogLevel;
  target: string;
  message: string;
}

/** One line of the daemon's own log (the control API's `logs` answer). */
export interface DaemonLogLine {
  /** Milliseconds since the Unix epoch. */
  unix_ms: number;
  level: "error" | "warn" | "info" | "debug" | "trace";
  target: string;
  message: string;
}

export type ForwardProtocol = "tcp" | "udp";

/** Who made a forward: the user, or a LAN client through NAT-PMP/PCP (masq-vocab ForwardOrigin). */
export type ForwardOrigin =
  | { kind: "user" }
  | { kind: "port_map"; client: string; protocol: "nat_pmp" | "pcp"; /** PCP's mapping nonce. */ nonce?: number[] };

/** What to forward where (masq-vocab ForwardSpec): public is a port or "first-last". */
export interface ForwardSpec {
  protocol: ForwardProtocol;
  public: string;
  target: string;
  origin?: ForwardOrigin;
  enabled?: boolean;
  name?: string;
}

/** Names one forward: protocol and first public port. */
export interface ForwardKey {
  protocol: ForwardProtocol;
  port: number;
}

export type ListenerState = "listening" | "opening" | "disabled" | "stopped" | { failed: { reason: string } };

/** One forward as the daemon reports it (masq-control ForwardView). */
export interface ForwardView {
  key: ForwardKey;
  spec: ForwardSpec;
  state: ListenerState;
  enabled: boolean;
  expires_in_s: number | null;
  connections: number;
}

/** What an interface is (crates/masq-control/src/setup_check.rs); unknown kinds read "other". */
export type InterfaceKind = "ethernet" | "wifi" | "usb_tether" | "vpn" | "virtual" | "loopback" | "other";

/** One interface in the first-run check. */
export interface InterfaceView {
  name: string;
  kind: InterfaceKind;
  description?: string;
  running: boolean;
  addresses: string[];
  /** Why it cannot be the LAN, when it cannot. */
  not_a_lan?: string;
}

export type FindingLevel = "ok" | "warning" | "error";

export interface SetupFinding {
  level: FindingLevel;
  check: string;
  message: string;
  fix?: string;
}

/** Sharing with one LAN, as it would start. */
export interface LanPlan {
  lan: string;
  /** What `lan_addr` becomes: the gateway address with its prefix. */
  gateway: string;
  gateway_source: string;
  /** First and last DHCP address; null with DHCP off. */
  dhcp_range: [string, string] | null;
  findings: SetupFinding[];
  ready: boolean;
}

/** The answer to `setup_check`. */
export interface SetupReport {
  interfaces: InterfaceView[];
  uplink: { name: string; reason: string } | null;
  plan: LanPlan | null;
}
