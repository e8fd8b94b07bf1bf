import { describe, expect, it } from "vitest";

import type { InboundAttempt, Settings, StatusReport } from "../api/types";
import { deriveClients } from "./clients";
import { InboundLog } from "./inbound";
import { describeLanServices, describeSharing } from "./plainWords";
import { FIELDS, fieldForKey, fromForm, parseReservations, toForm } from "./settingsForm";
import { ThroughputMeter } from "./throughput";
import { TranslationTable } from "./translations";
import { flow } from "./fixtures";

function knock(port: number, count: number, last: number): InboundAttempt {
  return {
    protocol: "tcp",
    remote: "198.51.100.9:5000",
    gateway: `203.0.113.2:${port}`,
    reason: "no_translation",
    explanation: "no hidden host has a connection using this gateway port",
    count,
    first_seen_s: 10,
    last_seen_s: last,
  };
}

export const SETTINGS: Settings = {
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

function status(running: boolean, uptime: number, up: number, down: number): StatusReport {
  return {
    running,
    version: "0.1.0",
    uplink: running ? { name: "wlan0", addresses: ["198.51.100.2/24"] } : null,
    lan: running ? { name: "eth1", addresses: ["192.168.137.1/24"] } : null,
    tun: running ? "masq0" : null,
    uptime_s: uptime,
    engine: running
      ? {
          flows_tcp: 1,
          flows_udp: 0,
          flows_icmp: 0,
          max_flows: 65536,
          lan_hosts: 1,
          counters: { tun_packets_in: 0, tun_packets_out: 0, tun_bytes_in: up, tun_bytes_out: down, flows_created: 1, flows_closed: 0, tcp_retransmits: 0, drops: {} },
        }
      : null,
    last_error: null,
  };
}

describe("InboundLog", () => {
  it("merges repeats and lists the most recent first", () => {
    const log = new InboundLog();
    log.apply([knock(1, 1, 5), knock(2, 1, 1)], true, 0);
    log.apply([knock(1, 2, 0)], false, 0);
    const sorted = log.sorted(0);
    expect(sorted.map((a) => [a.gateway, a.count])).toEqual([
      ["203.0.113.2:1", 2],
      ["203.0.113.2:2", 1],
    ]);
    log.apply([], true, 0);
    expect(log.size).toBe(0);
  });
});

describe("deriveClients", () => {
  it("groups translations by LAN address with totals", () => {
    const t = new TranslationTable();
    t.apply(
      {
        added: [
          flow(1, { lan: "192.168.137.10:1000", remote: "1.1.1.1:53", protocol: "udp", bytes_in: 100 }),
          flow(2, { lan: "192.168.137.10:1001", remote: "8.8.8.8:443", bytes_in: 5000 }),
          flow(3, { lan: "192.168.137.9:1000", remote: "8.8.8.8:443", bytes_out: 7 }),
        ],
        updated: [],
        removed: [],
      },
      true,
      0,
    );
    const clients = deriveClients(t.all());
    expect(clients.map((c) => c.address)).toEqual(["192.168.137.9", "192.168.137.10"]);
    expect(clients[1]).toMatchObject({ flows: 2, tcp: 1, udp: 1, bytes_in: 5100, top_remotes: ["8.8.8.8", "1.1.1.1"] });
  });
});

describe("ThroughputMeter", () => {
  it("rates are counter differences over uptime differences", () => {
    const m = new ThroughputMeter();
    expect(m.feed(status(true, 10, 1000, 5000))).toEqual({ up: 0, down: 0 });
    expect(m.feed(status(true, 12, 3000, 25000))).toEqual({ up: 1000, down: 10000 });
    expect(m.feed(status(false, 0, 0, 0))).toEqual({ up: 0, down: 0 });
    expect(m.feed(status(true, 1, 10, 10))).toEqual({ up: 0, down: 0 });
  });
});

describe("settings form", () => {
  it("covers every settings key", () => {
    const leaves: string[] = [];
    const walk = (o: object, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        if (v && typeof v === "object" && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
        else leaves.push(`${prefix}${k}`);
      }
    };
    walk(SETTINGS, "");
    // Port forwards have their own screen and client limits belong to a client's row; a
    // settings save keeps both as they are.
    const edited = leaves.filter((k) => k !== "forward" && k !== "engine.client_limits");
    const keys = FIELDS.map((f) => f.key);
    expect(edited.filter((k) => !keys.includes(k))).toEqual([]);
    // A field the document lacks must be a choice whose empty value means "unset".
    const absent = FIELDS.filter((f) => !edited.includes(f.key));
    expect(absent.filter((f) => f.kind.type !== "select").map((f) => f.key)).toEqual([]);
  });

  it("round-trips and turns empty optional text into null", () => {
    const values = toForm(SETTINGS);
    expect(values["engine.tcp.rto_min"]).toBe("200");
    expect(values["uplink"]).toBe("");
    const back = fromForm(SETTINGS, values);
    expect(back.settings).toEqual(SETTINGS);
  });

  it("an empty choice leaves a key to the daemon's default", () => {
    const values = { ...toForm(SETTINGS), "engine.tcp.congestion_control": "bbr" };
    const chosen = fromForm(SETTINGS, values).settings;
    expect(chosen?.engine.tcp.congestion_control).toBe("bbr");
    const back = fromForm(chosen!, { ...toForm(chosen!), "engine.tcp.congestion_control": "" });
    expect(back.settings?.engine.tcp).not.toHaveProperty("congestion_control");
  });

  it("reports syntax errors by key", () => {
    const values = { ...toForm(SETTINGS), "engine.tun_mtu": "15oo", tun: " " };
    const out = fromForm(SETTINGS, values);
    expect(out.settings).toBeNull();
    expect(Object.keys(out.errors).sort()).toEqual(["engine.tun_mtu", "tun"]);
  });
});

describe("reservations", () => {
  it("parse one per line, with an optional name", () => {
    expect(parseReservations("AA:bb:cc:dd:ee:01 192.168.137.20 printer\n\n aa:bb:cc:dd:ee:02   192.168.137.21 ")).toEqual([
      { mac: "aa:bb:cc:dd:ee:01", ip: "192.168.137.20", hostname: "printer" },
      { mac: "aa:bb:cc:dd:ee:02", ip: "192.168.137.21", hostname: null },
    ]);
  });

  it("name the bad line", () => {
    expect(parseReservations("aa:bb:cc:dd:ee:01 192.168.137.20\nnot-a-mac 1.2.3.4")).toMatch(/^Line 2: "not-a-mac"/);
    expect(parseReservations("aa:bb:cc:dd:ee:01 192.168.137.300")).toMatch(/^Line 1: expected an IPv4/);
    expect(parseReservations("aa:bb:cc:dd:ee:01 192.168.137.2 two words")).toMatch(/one word/);
  });

  it("round-trip through the form", () => {
    const s = { ...SETTINGS, dhcp: { ...SETTINGS.dhcp, reservations: [{ mac: "aa:bb:cc:dd:ee:01", ip: "192.168.137.20", hostname: "printer" }] } };
    expect(fromForm(s, toForm(s)).settings).toEqual(s);
  });

  it("daemon error keys find their field", () => {
    expect(fieldForKey("dhcp.reservations[2].ip")).toBe("dhcp.reservations");
    expect(fieldForKey("engine.tcp.rto_min")).toBe("engine.tcp.rto_min");
    expect(fieldForKey("nonsense")).toBeNull();
  });
});

describe("describeSharing", () => {
  it("says what happens now, or what turning on will do", () => {
    expect(describeSharing(status(true, 1, 0, 0), SETTINGS)).toMatch(/Sharing wlan0's internet connection with the network on eth1.*198\.51\.100\.2/);
    expect(describeSharing(status(false, 0, 0, 0), SETTINGS)).toMatch(/default route.*eth1 as gateway 192\.168\.137\.1\/24/);
    expect(describeSharing(status(false, 0, 0, 0), { ...SETTINGS, lan: null })).toMatch(/Choose the LAN interface/);
  });
});

describe("describeLanServices", () => {
  const base = {
    dhcp: { state: "running" as const },
    dns: { state: "running" as const },
    leases: 1,
    foreign_dhcp_servers: [],
    dns_upstreams: ["10.0.0.53"],
    dns_counters: { queries: 7, cache_hits: 0, local: 0, forwarded: 7, tcp_fallbacks: 0, upstream_failures: 0, over_limit: 0 },
  };

  it("says what runs", () => {
    const d = describeLanServices(base);
    expect(d.lines[0]).toMatch(/1 device has one now/);
    expect(d.lines[1]).toMatch(/7 lookups/);
    expect(d.warnings).toEqual([]);
  });

  it("warns about a competing DHCP server and failures", () => {
    const d = describeLanServices({
      ...base,
      dns: { state: "failed", message: "port 53 is in use" },
      foreign_dhcp_servers: [{ server_id: "192.168.137.254", offered: "192.168.137.99", last_seen_s: 3 }],
    });
    expect(d.warnings[0]).toMatch(/Another DHCP server \(192\.168\.137\.254\)/);
    expect(d.warnings[1]).toBe("DNS: port 53 is in use");
    expect(d.lines[1]).toMatch(/could not start: port 53 is in use/);
  });

  it("says whether IPv6 is offered, and why not", () => {
    expect(describeLanServices(base).lines).toHaveLength(2);
    const on = describeLanServices({ ...base, ipv6: { state: "offered", gateway: "fd12::1/64", router_advertisements: true } });
    expect(on.lines[2]).toMatch(/configure themselves in fd12::1\/64/);
    const off = describeLanServices({ ...base, ipv6: { state: "not_offered", reason: "uplink `wlan0` has no routable IPv6 address" } });
    expect(off.lines[2]).toBe("IPv6 is not offered: uplink `wlan0` has no routable IPv6 address.");
  });
});
