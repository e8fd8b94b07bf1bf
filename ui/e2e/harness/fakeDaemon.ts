// A scripted stand-in for the Rust backend and the daemon behind it, for Playwright tests and
// screenshots: answers the same commands (via @tauri-apps/api/mocks) and pushes the same
// `masq://update` deltas once a second. Tests steer it through `window.fake`.

import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";

import type { DaemonLogLine, DaemonState, ForwardKey, ForwardSpec, ForwardView, GuiError, InboundAttempt, LanClient, LogLine, Protocol, Settings, SetupFinding, SetupReport, StatusReport, Translation, TranslationDelta } from "../../src/api/types";

const SOCKET = "/run/masq/control.sock";

const DEFAULT_SETTINGS: Settings = {
  uplink: null,
  lan: "eth1",
  lan_addr: "192.168.137.1/24",
  tun: "masq0",
  observe_inbound: true,
  engine: {
    gateway_v4: "192.168.137.1",
    lan_prefix_len: 24,
    tun_mtu: 1500,
    max_flows: 65536,
    max_flows_per_host: 8192,
    inbound_log_capacity: 1024,
    max_forward_ports: 1024,
    client_limits: [],
    tcp: {
      established_idle_timeout: 7440,
      transitory_idle_timeout: 240,
      connect_timeout: 30,
      handshake_timeout: 10,
      rto_min: 200,
      rto_max: 60000,
      max_retransmits: 8,
      buffer_bytes: 262144,
      max_buffer_bytes: 4194304,
      buffer_budget_bytes: 67108864,
      time_wait: 5,
      connect_timeout_reply: "host_unreachable",
    },
    udp: { mapping_timeout: 300, filtering: "address_and_port_dependent" },
    icmp: { echo_timeout: 60 },
  },
  dhcp: { enabled: true, pool_start: null, pool_end: null, lease_time: 3600, reservations: [], lease_file: null },
  dns: { enabled: true, domain: "lan", resolv_conf: "/etc/resolv.conf", cache_entries: 1024, max_in_flight: 256 },
  ipv6: { enabled: "auto", prefix: null },
  port_mapping: { enabled: false, max_per_client: 16, min_lifetime_secs: 120, max_lifetime_secs: 86400, external_port_min: 1024, external_port_max: 65535 },
  forward: [],
};

class FakeDaemon {
  connected = true;
  running = false;
  settings: Settings = structuredClone(DEFAULT_SETTINGS);
  flows = new Map<number, Translation>();
  inbound = new Map<string, InboundAttempt>();
  startedAt = 0;
  bytesUp = 0;
  bytesDown = 0;
  nextId = 1;
  first = true;
  pending: TranslationDelta = { added: [], updated: [], removed: [] };
  pendingInbound: InboundAttempt[] = [];
  logs: LogLine[] = [];
  /** The service's own log (`daemon_logs`), as the control API's `logs` answers it. */
  serviceLogs: DaemonLogLine[] = [
    { unix_ms: Date.now() - 60_000, level: "info", target: "masq::runtime::session", message: "sharing wlan0 with eth1 through masq0" },
    { unix_ms: Date.now() - 30_000, level: "warn", target: "masq::runtime::uplink_watch", message: "the uplink cannot carry traffic now; sharing waits for it (or another) to come back" },
  ];
  /** Whether the window's user has only the observer role (no service log for them). */
  observerOnly = false;
  /** Whether the window's user is an operator: settings beyond client limits are refused. */
  operatorOnly = false;
  /** A service older than the app: it does not know `setup_check`. */
  legacy = false;
  /** Why sharing last stopped, as the daemon reports it. */
  lastError: string | null = null;
  /** Desktop notifications the window asked Tauri's notification plugin for. */
  notifications: { title: string; body: string }[] = [];
  /** Updates emitted so far; tests wait on it instead of sleeping. */
  ticks = 0;

  status(): StatusReport {
    const uptime = this.running ? (Date.now() - this.startedAt) / 1000 : 0;
    let tcp = 0, udp = 0, icmp = 0;
    const hosts = new Set<string>();
    for (const f of this.flows.values()) {
      if (f.protocol === "tcp") tcp++;
      else if (f.protocol === "udp") udp++;
      else icmp++;
      hosts.add(f.lan.split(":")[0]);
    }
    return {
      running: this.running,
      version: "0.1.0",
      uplink: this.running ? { name: "wlan0", addresses: ["198.51.100.2/24"] } : null,
      lan: this.running ? { name: "eth1", addresses: ["192.168.137.1/24"] } : null,
      tun: this.running ? "masq0" : null,
      uptime_s: uptime,
      engine: this.running
        ? {
            flows_tcp: tcp, flows_udp: udp, flows_icmp: icmp, max_flows: 65536, lan_hosts: hosts.size,
            counters: { tun_packets_in: 0, tun_packets_out: 0, tun_bytes_in: this.bytesUp, tun_bytes_out: this.bytesDown, flows_created: this.nextId - 1, flows_closed: 0, tcp_retransmits: 0, drops: {} },
          }
        : null,
      last_error: this.lastError,
      lan_services: this.running
        ? {
            dhcp: { state: "running" },
            dns: { state: "running" },
            leases: hosts.size,
            foreign_dhcp_servers: [],
            dns_upstreams: ["192.0.2.53"],
            dns_counters: { queries: 1280, cache_hits: 700, local: 40, forwarded: 540, tcp_fallbacks: 0, upstream_failures: 0, over_limit: 0 },
          }
        : null,
    };
  }

  clients(): LanClient[] {
    const byHost = new Map<string, LanClient>();
    for (const f of this.flows.values()) {
      const ip = f.lan.split(":")[0];
      const n = Number(ip.split(".")[3]);
      const c = byHost.get(ip) ?? {
        ip,
        mac: `52:54:00:12:34:${n.toString(16).padStart(2, "0")}`,
        hostname: ["laptop", "phone", "printer", "tv", null][n % 5],
        assigned: n % 5 === 2 ? "reserved" : n % 5 === 4 ? "static" : "dhcp",
        lease_expires_in_s: n % 5 === 4 ? null : 1800 + n * 10,
        first_seen_s: 3000 + n,
        last_seen_s: n % 3,
        flows: 0,
        max_flows: 8192,
        bytes_out: 0,
        bytes_in: 0,
      };
      c.flows++;
      c.bytes_out += f.bytes_out;
      c.bytes_in += f.bytes_in;
      byHost.set(ip, c);
    }
    for (const c of byHost.values()) {
      const l = this.settings.engine.client_limits.find((x) => x.ip === c.ip);
      if (l) {
        c.max_flows = l.max_flows ?? c.max_flows;
        c.up_limit_bytes_per_s = l.up_bytes_per_s ?? null;
        c.down_limit_bytes_per_s = l.down_bytes_per_s ?? null;
      }
      if (this.settings.dhcp.reservations.some((r) => r.ip === c.ip)) c.assigned = "reserved";
    }
    return Array.from(byHost.values()).sort((a, b) => Number(a.ip.split(".")[3]) - Number(b.ip.split(".")[3]));
  }

  /** Port forwards: one game console's PCP mapping to start with; tests add the user's. */
  forwards: ForwardView[] = [
    {
      key: { protocol: "udp", port: 3074 },
      spec: { protocol: "udp", public: "3074", target: "192.168.137.11:3074", origin: { kind: "port_map", client: "192.168.137.11", protocol: "pcp" }, enabled: true },
      state: "listening",
      enabled: true,
      expires_in_s: 6840,
      connections: 3,
    },
  ];

  forwardCommand(cmd: string, args: Record<string, unknown>): unknown {
    const refuse = (message: string) => Promise.reject({ code: "failed", message } satisfies GuiError);
    const find = (k: ForwardKey) => this.forwards.find((f) => f.key.protocol === k.protocol && f.key.port === k.port);
    const range = (p: string) => p.split("-").map(Number) as [number, number?];
    switch (cmd) {
      case "add_forward": {
        const spec = args.forward as ForwardSpec;
        const [first, last = first] = range(spec.public);
        const clash = this.forwards.find((f) => {
          const [a, b = a] = range(f.spec.public);
          return f.key.protocol === spec.protocol && a <= last && first <= b;
        });
        if (clash) return refuse(`${spec.protocol} ${spec.public} overlaps the forward ${clash.key.protocol}/${clash.key.port}; remove that one first`);
        if (!spec.target.startsWith("192.168.137.")) return refuse(`the target ${spec.target} is not on the LAN 192.168.137.0/24`);
        this.forwards.push({
          key: { protocol: spec.protocol, port: first },
          spec: { ...spec, origin: { kind: "user" } },
          state: this.running ? "listening" : "stopped",
          enabled: true,
          expires_in_s: null,
          connections: 0,
        });
        this.log("INFO", `adding a port forward ${spec.protocol} ${spec.public} -> ${spec.target}`);
        break;
      }
      case "update_forward": {
        const f = find(args.key as ForwardKey);
        if (!f) return refuse("no such forward");
        const spec = args.forward as ForwardSpec;
        const [first, last = first] = range(spec.public);
        const clash = this.forwards.find((o) => {
          const [a, b = a] = range(o.spec.public);
          return o !== f && o.key.protocol === spec.protocol && a <= last && first <= b;
        });
        if (clash) return refuse(`${spec.protocol} ${spec.public} overlaps the forward ${clash.key.protocol}/${clash.key.port}; remove that one first`);
        if (!spec.target.startsWith("192.168.137.")) return refuse(`the target ${spec.target} is not on the LAN 192.168.137.0/24`);
        f.key = { protocol: spec.protocol, port: first };
        f.spec = { ...spec, origin: f.spec.origin };
        this.log("INFO", `changing a port forward to ${spec.protocol} ${spec.public} -> ${spec.target}`);
        break;
      }
      case "remove_forward": {
        const f = find(args.key as ForwardKey);
        if (!f) return refuse("no such forward");
        this.forwards = this.forwards.filter((x) => x !== f);
        break;
      }
      case "enable_forward": {
        const f = find(args.key as ForwardKey);
        if (!f) return refuse("no such forward");
        f.enabled = Boolean(args.enabled);
        f.spec.enabled = f.enabled;
        f.state = f.enabled ? (this.running ? "listening" : "stopped") : "disabled";
        break;
      }
    }
    return structuredClone(this.forwards);
  }

  /** A conversation started from the internet through a forward (marked inbound). */
  addInboundFlow(): void {
    const id = this.nextId++;
    const t: Translation = {
      id, protocol: "tcp", lan: "192.168.137.10:80", remote: "203.0.113.50:51515", gateway: "198.51.100.2:8080",
      state: "established", inbound: true, bytes_out: 5120, bytes_in: 800, packets_out: 6, packets_in: 5,
      age_s: 3, idle_s: 0, expires_in_s: 7440,
    };
    this.flows.set(id, t);
    this.pending.added.push(t);
  }

  log(level: LogLine["level"], message: string): void {
    this.logs.push({ seq: this.logs.length + 1, time_ms: Date.now(), level, target: "masq_gui", message });
  }

  addFlows(n: number, protocol?: Protocol): void {
    const protos: Protocol[] = ["tcp", "tcp", "tcp", "udp", "icmp"];
    const remotes = ["151.101.1.69", "140.82.121.4", "1.1.1.1", "172.217.16.142", "185.199.108.153", "93.184.215.14"];
    for (let i = 0; i < n; i++) {
      const id = this.nextId++;
      const p = protocol ?? protos[id % protos.length];
      const host = `192.168.137.${10 + (id % 12)}`;
      const remotePort = p === "tcp" ? (id % 3 === 0 ? 80 : 443) : p === "udp" ? 53 : id % 65536;
      const t: Translation = {
        id, protocol: p,
        lan: `${host}:${p === "icmp" ? id % 65536 : 40000 + (id % 20000)}`,
        remote: `${remotes[id % remotes.length]}:${remotePort}`,
        gateway: `198.51.100.2:${32768 + (id % 28000)}`,
        state: p === "tcp" ? ["established", "established", "connecting", "fin_wait"][id % 4] : "active",
        inbound: false,
        bytes_out: (id * 7919) % 90000,
        bytes_in: (id * 104729) % 9_000_000,
        packets_out: id % 90, packets_in: id % 700,
        age_s: id % 300, idle_s: id % 7, expires_in_s: 300 - (id % 300),
        tcp: p === "tcp"
          ? {
              retransmits: id % 11 === 0 ? id % 40 : 0, rtos: id % 97 === 0 ? 1 : 0,
              tail_loss_probes: id % 13 === 0 ? 1 : 0, tlp_recoveries: 0,
              fast_recoveries: id % 11 === 0 ? 1 + (id % 5) : 0, spurious_retransmits: 0, undos: 0,
              srtt_us: 300 + ((id * 37) % 4000), cwnd_bytes: 14600 + (id % 64) * 1460, mss: 1460,
            }
          : null,
      };
      this.flows.set(id, t);
      this.pending.added.push(t);
    }
  }

  touch(n: number): void {
    let i = 0;
    for (const f of this.flows.values()) {
      if (i++ >= n) break;
      f.bytes_in += 1500;
      this.pending.updated.push(f);
    }
  }

  removeFlows(n: number): void {
    for (const id of Array.from(this.flows.keys()).slice(0, n)) {
      this.flows.delete(id);
      this.pending.removed.push(id);
    }
  }

  knock(remote: string, gateway: string, protocol: Protocol = "tcp", reason: InboundAttempt["reason"] = "no_translation"): void {
    const key = `${protocol}|${remote}|${gateway}|${reason}`;
    const old = this.inbound.get(key);
    const explanation = {
      no_translation: "no hidden host has a connection using this gateway port, and no port forward exists for it: with masquerading, connections can only be started from the LAN",
      filtered_by_mapping: "a hidden host uses this gateway port, but it never sent anything to this remote address and port, so the datagram was filtered",
      addressed_to_hidden_host: "the packet was addressed to a hidden host's private address; hidden hosts are only reachable through the gateway's own address and a port forward",
    }[reason];
    const a: InboundAttempt = { protocol, remote, gateway, reason, explanation, count: (old?.count ?? 0) + 1, first_seen_s: old ? old.first_seen_s : 0, last_seen_s: 0 };
    this.inbound.set(key, a);
    this.pendingInbound.push(a);
  }

  setConnected(on: boolean): void {
    this.connected = on;
    this.first = true;
    const state: DaemonState = on
      ? { connected: true, searching: false, socket: SOCKET }
      : { connected: false, searching: false, socket: SOCKET, message: `masq is not running (no control socket at ${SOCKET}); start it with \`masq up …\` or \`masq daemon\``, can_start_service: true };
    this.log(on ? "INFO" : "WARN", on ? "connected to masq" : "masq service not reachable");
    void emit("masq://daemon", state);
  }

  tick(): void {
    if (!this.connected) return;
    if (this.running) {
      this.bytesUp += 180_000 + Math.round(Math.random() * 40_000);
      this.bytesDown += 2_400_000 + Math.round(Math.random() * 400_000);
      // A few busy conversations, so per-client numbers move as they would.
      let i = 0;
      for (const f of this.flows.values()) {
        if (i++ >= 24 || f.inbound) break;
        f.bytes_in += 20_000 + ((this.ticks * 7919 + f.id * 104729) % 180_000);
        this.pending.updated.push(f);
      }
    }
    const delta = this.first ? { added: Array.from(this.flows.values()), updated: [], removed: [] } : this.pending;
    const inbound = this.first ? Array.from(this.inbound.values()) : this.pendingInbound;
    void emit("masq://update", { first: this.first, status: this.status(), translations: delta, inbound });
    this.first = false;
    this.pending = { added: [], updated: [], removed: [] };
    this.pendingInbound = [];
    this.ticks++;
  }

  /** The first-run check, modelled on a laptop: Wi-Fi uplink, a free Ethernet port, a phone. */
  setupCheck(lan: string | null, lanAddr: string | null): SetupReport | Promise<never> {
    const interfaces: SetupReport["interfaces"] = [
      { name: "lo", kind: "loopback", running: true, addresses: ["127.0.0.1/8"], not_a_lan: "lo is this computer talking to itself" },
      { name: "wlan0", kind: "wifi", running: true, addresses: ["192.168.1.20/24"], not_a_lan: "wlan0 is the uplink: the LAN must be another interface" },
      { name: "eth1", kind: "ethernet", description: "Intel I219-LM", running: true, addresses: [] },
      { name: "usb0", kind: "usb_tether", running: false, addresses: [] },
    ];
    const report: SetupReport = { interfaces, uplink: { name: "wlan0", reason: "it carries the default route" }, plan: null };
    if (!lan) return report;
    if (lanAddr && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(lanAddr)) {
      return Promise.reject({ code: "invalid_request", message: `lan_addr "${lanAddr}": an IPv4 address with prefix length, such as 192.168.137.1/24` });
    }
    const gateway = lanAddr ?? "192.168.137.1/24";
    const findings: SetupFinding[] = [
      { level: "ok", check: "uplink", message: "uplink wlan0 (it carries the default route) has the address 192.168.1.20" },
      { level: "ok", check: "lan", message: `LAN interface ${lan}` },
    ];
    if (gateway.startsWith("192.168.1.")) {
      findings.unshift({ level: "error", check: "addresses", message: "the LAN 192.168.1.0/24 and the uplink's network 192.168.1.0/24 overlap: hosts on one side could not be told from the other", fix: "give the LAN a prefix of its own: `lan_addr = \"192.168.137.1/24\"`" });
    }
    if (lan === "usb0") {
      findings.unshift({ level: "warning", check: "link", message: "usb0 has no link now (no cable, or the other side is off)", fix: "sharing can start anyway; devices appear once the link is up" });
    }
    const net = gateway.split("/")[0].split(".").slice(0, 3).join(".");
    return {
      ...report,
      plan: {
        lan, gateway,
        gateway_source: lanAddr ? "as you typed it" : `${lan} has no IPv4 address, so masq picked a prefix the uplink does not use`,
        dhcp_range: [`${net}.10`, `${net}.253`],
        findings, ready: !findings.some((f) => f.level === "error"),
      },
    };
  }

  handle(cmd: string, args: Record<string, unknown>): unknown {
    const refuse = (e: GuiError) => Promise.reject(e);
    if (!this.connected && cmd !== "daemon_state" && cmd !== "start_service" && cmd !== "logs") {
      return refuse({ code: "not_running", message: `masq is not running (no control socket at ${SOCKET})` });
    }
    switch (cmd) {
      case "status":
        return this.status();
      case "translations":
        return Array.from(this.flows.values());
      case "inbound":
        return Array.from(this.inbound.values());
      case "clients":
        return this.clients();
      case "get_settings":
        return structuredClone(this.settings);
      case "set_settings": {
        const s = args.settings as Settings;
        if (this.operatorOnly && JSON.stringify(s.dhcp) !== JSON.stringify(this.settings.dhcp)) {
          return refuse({ code: "permission_denied", message: "changing `dhcp` needs the administrator role and you are an operator (ask an administrator)" });
        }
        const slow = s.engine.client_limits.find((l) => (l.down_bytes_per_s ?? 8000) < 8000 || (l.up_bytes_per_s ?? 8000) < 8000);
        if (slow) {
          return refuse({ code: "invalid_settings", key: "engine.client_limits.up_bytes_per_s", message: "invalid setting `engine.client_limits.up_bytes_per_s`: expected at least 8000 bytes per second (64 kbit/s)" });
        }
        const outside = s.dhcp.reservations.findIndex((r) => !r.ip.startsWith("192.168.137."));
        if (outside >= 0) {
          const r = s.dhcp.reservations[outside];
          return refuse({ code: "invalid_settings", key: `dhcp.reservations[${outside}].ip`, message: `invalid setting \`dhcp.reservations[${outside}].ip\` = ${r.ip}: expected an address inside the LAN 192.168.137.0/24` });
        }
        const r = s.engine.tcp.max_retransmits;
        if (r < 1 || r > 30) {
          return refuse({ code: "invalid_settings", key: "engine.tcp.max_retransmits", message: `invalid setting \`engine.tcp.max_retransmits\` = ${r}: expected 1 to 30 retransmissions` });
        }
        this.settings = structuredClone(s);
        return structuredClone(s);
      }
      case "plugin:notification|notify": {
        const o = args.options as { title: string; body: string };
        this.notifications.push({ title: o.title, body: o.body });
        return null;
      }
      case "setup_check":
        if (this.legacy) return refuse({ code: "malformed_request", message: "unknown variant `setup_check`" });
        return this.setupCheck((args.lan as string | null) ?? null, (args.lanAddr as string | null) ?? null);
      case "start":
        if (this.running) return refuse({ code: "already_running", message: "sharing already runs" });
        if (!this.settings.lan) return refuse({ code: "failed", message: "no LAN interface is named: set `lan` first" });
        this.running = true;
        this.startedAt = Date.now() - 1000;
        this.log("INFO", "turning sharing on");
        return null;
      case "stop":
        if (!this.running) return refuse({ code: "not_running", message: "sharing is not running" });
        this.running = false;
        this.log("INFO", "turning sharing off");
        return null;
      case "forwards":
      case "add_forward":
      case "update_forward":
      case "remove_forward":
      case "enable_forward":
        return this.forwardCommand(cmd, args);
      case "clear_inbound":
        this.inbound.clear();
        return null;
      case "daemon_state":
        return this.connected
          ? { connected: true, searching: false, socket: SOCKET }
          : { connected: false, searching: false, socket: SOCKET, message: "masq is not running", can_start_service: true };
      case "start_service":
        this.log("INFO", "asking for administrator rights to start masq daemon");
        this.setConnected(true);
        return null;
      case "logs": {
        const after = Number(args.after ?? 0);
        return this.logs.filter((l) => l.seq > after);
      }
      case "daemon_logs":
        if (this.observerOnly) {
          return refuse({ code: "permission_denied", message: "logs needs the operator role and you are an observer (ask an administrator to add you to masq's control group, then log in again)" });
        }
        return this.serviceLogs.slice(-Number(args.limit ?? 1000));
      default:
        return refuse({ code: "unknown_command", message: `no command ${cmd}` });
    }
  }
}

declare global {
  interface Window {
    fake: FakeDaemon;
  }
}

export function installFakeDaemon(): void {
  const fake = new FakeDaemon();
  window.fake = fake;
  mockIPC((cmd, args) => fake.handle(cmd, (args ?? {}) as Record<string, unknown>), { shouldMockEvents: true });
  fake.log("INFO", "connected to masq socket=/run/masq/control.sock");
  setInterval(() => fake.tick(), 1000);
}
