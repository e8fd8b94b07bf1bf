// Every key of the daemon's settings as a form field, and the conversion between the
// `Settings` document and the form's text values.
//
// The form checks only syntax (a number where a number goes); whether a value is acceptable
// is decided by the daemon's own validation (`Settings::validate`), whose error names the key
// so the message is shown next to that field.

import type { Reservation, Settings } from "../api/types";

export type FieldKind =
  | { type: "text"; optional: boolean; placeholder?: string }
  | { type: "int"; unit?: string }
  | { type: "bool" }
  | { type: "select"; options: Array<{ value: string; label: string }> }
  | { type: "reservations" };

export interface Field {
  /** Dotted key as in the config file and in the daemon's errors. */
  key: string;
  label: string;
  help: string;
  kind: FieldKind;
  group: "Sharing" | "DHCP" | "DNS" | "IPv6" | "Port mapping" | "Limits" | "TCP" | "UDP" | "ICMP";
}

const text = (optional: boolean, placeholder?: string): FieldKind => ({ type: "text", optional, placeholder });
const int = (unit?: string): FieldKind => ({ type: "int", unit });

export const FIELDS: Field[] = [
  { key: "uplink", group: "Sharing", label: "Internet connection (uplink)", help: "Interface whose connection is shared. Empty: the interface of the default route, chosen when sharing starts.", kind: text(true, "automatic") },
  { key: "lan", group: "Sharing", label: "LAN interface", help: "Interface of the network to share with. Sharing cannot start without it.", kind: text(true, "e.g. eth1") },
  { key: "lan_addr", group: "Sharing", label: "Gateway address on the LAN", help: "This computer's address and prefix on the LAN, added if missing. Empty: the interface's first IPv4 address.", kind: text(true, "e.g. 192.168.137.1/24") },
  { key: "tun", group: "Sharing", label: "Virtual adapter name", help: "Name of the adapter masq creates.", kind: text(false) },
  { key: "observe_inbound", group: "Sharing", label: "Show refused inbound attempts", help: "Watch the uplink for connections from outside, so the Inbound screen can explain them.", kind: { type: "bool" } },
  { key: "dhcp.enabled", group: "DHCP", label: "Hand out addresses (DHCP)", help: "Devices that join the LAN get an address, gateway and DNS server automatically. Turn off if another DHCP server runs there.", kind: { type: "bool" } },
  { key: "dhcp.pool_start", group: "DHCP", label: "First address handed out", help: "Empty: host 10 of the LAN prefix.", kind: text(true, "automatic") },
  { key: "dhcp.pool_end", group: "DHCP", label: "Last address handed out", help: "Empty: the last host address of the LAN prefix.", kind: text(true, "automatic") },
  { key: "dhcp.lease_time", group: "DHCP", label: "Lease length", help: "How long a device keeps its address without renewing.", kind: int("s") },
  { key: "dhcp.reservations", group: "DHCP", label: "Fixed addresses", help: "One device per line: MAC address, IP address and an optional name.", kind: { type: "reservations" } },
  { key: "dhcp.lease_file", group: "DHCP", label: "Lease file", help: "Where leases are kept across restarts. Empty: masq's data directory.", kind: text(true, "automatic") },
  { key: "dns.enabled", group: "DNS", label: "Answer DNS at the gateway", help: "Devices on the LAN use this computer to look up names; it asks this computer's own resolvers.", kind: { type: "bool" } },
  { key: "dns.domain", group: "DNS", label: "Domain of LAN names", help: "A device called laptop is reachable as laptop.<domain>.", kind: text(false) },
  { key: "dns.resolv_conf", group: "DNS", label: "Resolver list file", help: "Where this computer's resolvers are listed; re-read when it changes.", kind: text(false) },
  { key: "dns.cache_entries", group: "DNS", label: "Answers cached", help: "0 turns the cache off.", kind: int() },
  { key: "dns.max_in_flight", group: "DNS", label: "Queries at once", help: "Beyond it devices are told to retry.", kind: int() },
  { key: "ipv6.enabled", group: "IPv6", label: "Offer IPv6 to the LAN", help: "Automatic: when the uplink has IPv6 (and the system can forward it per interface). On: sharing does not start without it.", kind: { type: "select", options: [ { value: "auto", label: "Automatic" }, { value: "on", label: "Always (fail without IPv6)" }, { value: "off", label: "Never" } ] } },
  { key: "ipv6.prefix", group: "IPv6", label: "LAN IPv6 prefix", help: "A /64 for the LAN. Empty: a private (unique local) prefix made once and kept.", kind: text(true, "automatic") },
  { key: "port_mapping.enabled", group: "Port mapping", label: "Let LAN programs open ports (NAT-PMP/PCP)", help: "Games and peer-to-peer programs may then ask for inbound ports themselves; each mapping is listed under Port forwards with its owner and expiry.", kind: { type: "bool" } },
  { key: "port_mapping.max_per_client", group: "Port mapping", label: "Mappings per device", help: "Most ports one device may hold open.", kind: int() },
  { key: "port_mapping.min_lifetime_secs", group: "Port mapping", label: "Shortest mapping", help: "Shorter requests are lengthened to this.", kind: int("s") },
  { key: "port_mapping.max_lifetime_secs", group: "Port mapping", label: "Longest mapping", help: "Longer requests are shortened to this; devices must renew.", kind: int("s") },
  { key: "port_mapping.external_port_min", group: "Port mapping", label: "Lowest port handed out", help: "Ports below 1024 need this lowered on purpose.", kind: int() },
  { key: "port_mapping.external_port_max", group: "Port mapping", label: "Highest port handed out", help: "Up to 65535.", kind: int() },
  { key: "engine.gateway_v4", group: "Limits", label: "Gateway address for ICMP errors", help: "Source of the ICMP errors the gateway itself sends to hidden hosts.", kind: text(false) },
  { key: "engine.lan_prefix_len", group: "Limits", label: "LAN prefix length", help: "Only sources inside this prefix around the gateway address are served.", kind: int("bits") },
  { key: "engine.tun_mtu", group: "Limits", label: "Adapter MTU", help: "Largest packet toward the LAN.", kind: int("bytes") },
  { key: "engine.max_flows", group: "Limits", label: "Most conversations at once", help: "TCP, UDP and ICMP together; beyond it new ones are refused.", kind: int() },
  { key: "engine.max_flows_per_host", group: "Limits", label: "Most conversations per hidden host", help: "So that one host cannot starve the others.", kind: int() },
  { key: "engine.inbound_log_capacity", group: "Limits", label: "Refused attempts remembered", help: "Distinct entries; repeats are merged.", kind: int() },
  { key: "engine.max_forward_ports", group: "Limits", label: "Most forwarded ports", help: "All port forwards and mappings together (each is a listening socket).", kind: int() },
  { key: "engine.tcp.established_idle_timeout", group: "TCP", label: "Idle timeout (established)", help: "RFC 5382 asks for at least 2 h 4 min.", kind: int("s") },
  { key: "engine.tcp.transitory_idle_timeout", group: "TCP", label: "Idle timeout (opening or closing)", help: "RFC 5382 asks for at least 4 min.", kind: int("s") },
  { key: "engine.tcp.connect_timeout", group: "TCP", label: "Connect timeout", help: "How long the upstream connect may take.", kind: int("s") },
  { key: "engine.tcp.handshake_timeout", group: "TCP", label: "Handshake timeout", help: "How long to wait for the hidden host's ACK.", kind: int("s") },
  { key: "engine.tcp.rto_min", group: "TCP", label: "Minimum retransmission timeout", help: "Toward the LAN.", kind: int("ms") },
  { key: "engine.tcp.rto_max", group: "TCP", label: "Maximum retransmission timeout", help: "Toward the LAN.", kind: int("ms") },
  { key: "engine.tcp.max_retransmits", group: "TCP", label: "Retransmissions before reset", help: "Of one segment.", kind: int() },
  { key: "engine.tcp.buffer_bytes", group: "TCP", label: "Starting buffer per connection and direction", help: "What every connection may hold at first.", kind: int("bytes") },
  { key: "engine.tcp.max_buffer_bytes", group: "TCP", label: "Largest buffer per connection and direction", help: "A fast connection's buffer grows up to this (fast or lossy Wi-Fi needs more than the starting buffer).", kind: int("bytes") },
  { key: "engine.tcp.buffer_budget_bytes", group: "TCP", label: "Buffer growth of all connections together", help: "The most memory fast connections may take beyond their starting buffers. 0 keeps every buffer at its start.", kind: int("bytes") },
  { key: "engine.tcp.time_wait", group: "TCP", label: "Time-wait", help: "How long a closed connection is remembered.", kind: int("s") },
  { key: "engine.tcp.connect_timeout_reply", group: "TCP", label: "When a connect times out", help: "What the hidden host is told.", kind: { type: "select", options: [ { value: "host_unreachable", label: "Tell it the host is unreachable" }, { value: "silence", label: "Say nothing" } ] } },
  { key: "engine.tcp.congestion_control", group: "TCP", label: "Congestion control toward the LAN", help: "How fast downloads to LAN devices speed up and how they react to loss. BBR keeps lossy Wi-Fi fast; CUBIC is what most systems use.", kind: { type: "select", options: [ { value: "", label: "Same as this computer" }, { value: "cubic", label: "CUBIC" }, { value: "bbr", label: "BBR" }, { value: "new_reno", label: "NewReno" } ] } },
  { key: "engine.udp.mapping_timeout", group: "UDP", label: "Mapping timeout", help: "RFC 4787: at least 120 s, 300 s recommended.", kind: int("s") },
  { key: "engine.udp.filtering", group: "UDP", label: "Who may answer a UDP mapping", help: "Which inbound datagrams a mapping lets through.", kind: { type: "select", options: [ { value: "address_and_port_dependent", label: "Only the exact address and port contacted (safest)" }, { value: "address_dependent", label: "Any port of a contacted address" }, { value: "endpoint_independent", label: "Anyone (friendliest to peer-to-peer)" } ] } },
  { key: "engine.icmp.echo_timeout", group: "ICMP", label: "Ping mapping timeout", help: "RFC 5508: at least 60 s.", kind: int("s") },
];

export type FormValues = Record<string, string | boolean>;

/** The form's values for `s`: text for text and numbers, booleans for switches. */
export function toForm(s: Settings): FormValues {
  const out: FormValues = {};
  for (const f of FIELDS) {
    const v = getPath(s, f.key);
    out[f.key] =
      f.kind.type === "bool"
        ? Boolean(v)
        : f.kind.type === "reservations"
          ? formatReservations((v as Reservation[] | undefined) ?? [])
          : v === null || v === undefined
            ? ""
            : String(v);
  }
  return out;
}

/**
 * The settings the form describes, starting from `base` (so unknown future keys survive), or
 * the syntax errors by key.
 */
export function fromForm(
  base: Settings,
  values: FormValues,
): { settings: Settings; errors: Record<string, never> } | { settings: null; errors: Record<string, string> } {
  const s = structuredClone(base);
  const errors: Record<string, string> = {};
  for (const f of FIELDS) {
    const raw = values[f.key];
    switch (f.kind.type) {
      case "bool":
        setPath(s, f.key, Boolean(raw));
        break;
      case "int": {
        const t = String(raw ?? "").trim();
        if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) {
          errors[f.key] = "Enter a whole number.";
        } else {
          setPath(s, f.key, Number(t));
        }
        break;
      }
      case "text": {
        const t = String(raw ?? "").trim();
        if (t === "" && !f.kind.optional) errors[f.key] = "This cannot be empty.";
        setPath(s, f.key, t === "" && f.kind.optional ? null : t);
        break;
      }
      case "select": {
        // An empty choice stands for an unset key (the daemon's own default), which the daemon
        // leaves out of the document, so the key goes rather than becoming null.
        const t = String(raw ?? "");
        setPath(s, f.key, t === "" ? undefined : t);
        break;
      }
      case "reservations": {
        const parsed = parseReservations(String(raw ?? ""));
        if (typeof parsed === "string") errors[f.key] = parsed;
        else setPath(s, f.key, parsed);
        break;
      }
    }
  }
  return Object.keys(errors).length > 0 ? { settings: null, errors } : { settings: s, errors: {} };
}

/** The field an error key belongs to: `dhcp.reservations[2].ip` → `dhcp.reservations`. */
export function fieldForKey(key: string): string | null {
  const match = FIELDS.filter((f) => key === f.key || key.startsWith(`${f.key}[`) || key.startsWith(`${f.key}.`));
  return match.sort((a, b) => b.key.length - a.key.length)[0]?.key ?? null;
}

/** One reservation per line: `mac ip [name]`. */
export function formatReservations(rs: Reservation[]): string {
  return rs.map((r) => [r.mac, r.ip, r.hostname ?? ""].join(" ").trim()).join("\n");
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The reservations in `text`, or what is wrong with the first bad line. */
export function parseReservations(text: string): Reservation[] | string {
  const out: Reservation[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const parts = lines[i].trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0) continue;
    const [mac, ip, hostname, ...rest] = parts;
    const n = i + 1;
    if (!MAC.test(mac)) return `Line ${n}: "${mac}" is not a MAC address like aa:bb:cc:dd:ee:ff.`;
    const m = IPV4.exec(ip ?? "");
    if (!m || m.slice(1).some((p) => Number(p) > 255)) return `Line ${n}: expected an IPv4 address after the MAC address.`;
    if (rest.length > 0) return `Line ${n}: a name is one word; remove "${rest.join(" ")}".`;
    out.push({ mac: mac.toLowerCase(), ip, hostname: hostname ?? null });
  }
  return out;
}

function getPath(obj: unknown, key: string): unknown {
  return key.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function setPath(obj: unknown, key: string, value: unknown): void {
  const parts = key.split(".");
  let o = obj as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  const last = parts[parts.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
}
