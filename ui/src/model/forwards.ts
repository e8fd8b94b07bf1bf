// Port forwards in plain words, and the add form: what each forward does, who made it, what
// state its listener is in, and the form's syntax checks (the daemon decides the rest —
// overlaps, targets outside the LAN — and its sentence is shown next to the form).

import type { ForwardKey, ForwardProtocol, ForwardSpec, ForwardView, InboundAttempt, ListenerState } from "../api/types";
import { formatDuration, hostOf, portOf } from "./format";

/** The add form as typed: every field a string, so half-typed input is representable. */
export interface ForwardForm {
  protocol: ForwardProtocol;
  /** A port (`8080`) or a range (`27015-27030`). */
  public: string;
  /** The LAN host's IPv4 address. */
  host: string;
  /** The LAN host's (first) port; empty means the same as the public one. */
  targetPort: string;
  name: string;
}

export type ForwardField = "public" | "host" | "targetPort" | "name";

/** Either the spec to send, or a message per field that is wrong. */
export type FormCheck = { ok: true; spec: ForwardSpec } | { ok: false; errors: Partial<Record<ForwardField, string>> };

export const EMPTY_FORM: ForwardForm = { protocol: "tcp", public: "", host: "", targetPort: "", name: "" };

/** Inclusive port range, both ends in 1..=65535 and in order. */
export interface Ports {
  first: number;
  last: number;
}

function port(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : null;
}

/** `8080` or `27015-27030` as a range, or null when it is not one. */
export function parsePorts(text: string): Ports | null {
  const parts = text.split("-");
  if (parts.length > 2) return null;
  const first = port(parts[0]);
  const last = parts.length === 2 ? port(parts[1]) : first;
  if (first === null || last === null || last < first) return null;
  return { first, last };
}

/** A dotted-quad IPv4 address, or null. */
export function parseIpv4(text: string): string | null {
  const t = text.trim();
  const parts = t.split(".");
  if (parts.length !== 4) return null;
  if (!parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number).join(".");
}

/** Checks the form's syntax; the daemon checks what only it knows. */
export function checkForm(form: ForwardForm): FormCheck {
  const errors: Partial<Record<ForwardField, string>> = {};
  const pub = parsePorts(form.public);
  if (pub === null) errors.public = "Enter a port from 1 to 65535, or a range such as 27015-27030.";
  const host = parseIpv4(form.host);
  if (host === null) errors.host = "Enter the LAN device's IPv4 address, such as 192.168.137.10.";
  let target: number | null = null;
  if (form.targetPort.trim() === "") target = pub?.first ?? null;
  else {
    target = port(form.targetPort);
    if (target === null) errors.targetPort = "Enter a port from 1 to 65535, or leave it empty to use the public port.";
  }
  if (pub && target !== null && target + (pub.last - pub.first) > 65535) {
    errors.targetPort = `A range of ${pub.last - pub.first + 1} ports starting at ${target} would go past 65535.`;
  }
  if (form.name.length > 64) errors.name = "Keep the name under 64 characters.";
  if (Object.keys(errors).length > 0 || pub === null || host === null || target === null) return { ok: false, errors };
  const spec: ForwardSpec = {
    protocol: form.protocol,
    public: formatPorts(pub),
    target: `${host}:${target}`,
    enabled: true,
  };
  const name = form.name.trim();
  if (name) spec.name = name;
  return { ok: true, spec };
}

/** `8080` or `27015-27030`. */
export function formatPorts(p: Ports): string {
  return p.first === p.last ? String(p.first) : `${p.first}-${p.last}`;
}

/** The LAN host's port or ports of a forward: `80`, or `27015-27030` for a range. */
export function targetPorts(spec: ForwardSpec): string {
  const pub = parsePorts(spec.public);
  const first = portOf(spec.target);
  if (first === null) return "";
  if (!pub || pub.first === pub.last) return String(first);
  return `${first}-${first + pub.last - pub.first}`;
}

/** The LAN side of a forward: `192.168.137.10:80`, or `…:27015-27030` for a range. */
export function targetText(spec: ForwardSpec): string {
  return `${hostOf(spec.target)}:${targetPorts(spec)}`;
}

/** What the form's forward will do, in one sentence (or null while it cannot be said). */
export function forwardSentence(form: ForwardForm, gateway: string | null): string | null {
  const c = checkForm(form);
  if (!c.ok) return null;
  const pub = parsePorts(c.spec.public);
  const s = pub !== null && pub.first !== pub.last ? "s" : "";
  const where = gateway ?? "this computer's internet address";
  return (
    `Anyone on the internet can then connect to ${where} on ${c.spec.protocol.toUpperCase()} port${s} ` +
    `${c.spec.public} and reach ${hostOf(c.spec.target)} on port${s} ${targetPorts(c.spec)}; ` +
    "the LAN device sees their real address."
  );
}

/** The listener's state in plain words. */
export function stateText(state: ListenerState): string {
  if (typeof state === "object") return `Failed: ${state.failed.reason}`;
  switch (state) {
    case "listening":
      return "Listening";
    case "opening":
      return "Opening…";
    case "disabled":
      return "Switched off";
    case "stopped":
      return "Waiting for sharing to start";
  }
  return String(state);
}

/** A class name for the state's colour. */
export function stateTone(state: ListenerState): "ok" | "error" | "muted" {
  if (typeof state === "object") return "error";
  return state === "listening" ? "ok" : "muted";
}

const MAPPING_PROTOCOL = { nat_pmp: "NAT-PMP", pcp: "PCP" } as const;

/** Who opened the forward, and for how long: "you", or "192.168.137.11 via PCP, expires in 59m 0s". */
export function originText(view: ForwardView): string {
  const origin = view.spec.origin ?? { kind: "user" };
  const who = origin.kind === "user" ? "you" : `${origin.client} via ${MAPPING_PROTOCOL[origin.protocol] ?? origin.protocol}`;
  return view.expires_in_s === null ? who : `${who}, expires in ${formatDuration(view.expires_in_s)}`;
}

/** A stable text key for a forward (list keys, test ids). */
export function keyText(key: ForwardKey): string {
  return `${key.protocol}/${key.port}`;
}

/** The forwards in display order: by protocol, then public port. */
export function sortForwards(list: ForwardView[]): ForwardView[] {
  return [...list].sort((a, b) => a.key.protocol.localeCompare(b.key.protocol) || a.key.port - b.key.port);
}

/** The add form filled from a refused attempt: its protocol and gateway port; its address too
 * when the attempt was addressed to a hidden host directly. */
export function formFromAttempt(a: Pick<InboundAttempt, "protocol" | "gateway" | "reason">): ForwardForm {
  const p = portOf(a.gateway);
  return {
    ...EMPTY_FORM,
    protocol: a.protocol === "udp" ? "udp" : "tcp",
    public: p === null ? "" : String(p),
    host: a.reason === "addressed_to_hidden_host" ? hostOf(a.gateway) : "",
  };
}

/** The prefill carried in the screen's address: `#/forwards?add=tcp/8080[/host]`. */
export function prefillQuery(form: ForwardForm): string {
  return `add=${form.protocol}/${form.public}${form.host ? `/${form.host}` : ""}`;
}

/** The form from `prefillQuery`'s text, or null when there is none or it is malformed. */
export function formFromQuery(query: string): ForwardForm | null {
  const add = new URLSearchParams(query).get("add");
  if (!add) return null;
  const [protocol, pub, host] = add.split("/");
  if (protocol !== "tcp" && protocol !== "udp") return null;
  return { ...EMPTY_FORM, protocol, public: parsePorts(pub ?? "") ? pub : "", host: host && parseIpv4(host) ? host : "" };
}

/** The form filled in with a forward as it is, to change it. */
export function formFromView(v: ForwardView): ForwardForm {
  const first = Number(v.spec.public.split("-")[0]);
  const targetPort = portOf(v.spec.target);
  return {
    protocol: v.spec.protocol,
    public: v.spec.public,
    host: hostOf(v.spec.target),
    targetPort: targetPort === first ? "" : String(targetPort),
    name: v.spec.name ?? "",
  };
}

/** Whether the user may change a forward here: their own, not a LAN device's mapping. */
export function editable(v: ForwardView): boolean {
  return (v.spec.origin?.kind ?? "user") === "user";
}
