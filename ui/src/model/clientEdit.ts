// Editing one device from the Clients screen: its own speed limits and conversation cap
// (`engine.client_limits`, applied by the daemon at once) and a fixed address for it
// (`dhcp.reservations`, used by the DHCP server from the next start of sharing). Each edit
// is a change to the settings document the daemon stores with `set_settings`.

import type { ClientLimit, LanClient, Settings } from "../api/types";

/** The limit form's fields as typed: KB/s (1 000 bytes) and a count; empty means none. */
export interface LimitForm {
  down: string;
  up: string;
  maxFlows: string;
}

/** A field the user must correct, and why. */
export interface FormError {
  field: keyof LimitForm;
  message: string;
}

/** The form filled from the device's current limit. */
export function limitForm(settings: Settings, ip: string): LimitForm {
  const l = settings.engine.client_limits.find((x) => x.ip === ip);
  const kb = (v: number | undefined) => (v === undefined ? "" : String(v / 1000));
  return { down: kb(l?.down_bytes_per_s), up: kb(l?.up_bytes_per_s), maxFlows: l?.max_flows === undefined ? "" : String(l.max_flows) };
}

function parse(text: string, field: keyof LimitForm, min: number, what: string): number | undefined | FormError {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n < min || (field === "maxFlows" && !Number.isInteger(n))) {
    return { field, message: `${what}: a number of at least ${min}, or empty for no limit` };
  }
  return n;
}

/** The settings with the device's limit replaced (or removed when every field is empty). */
export function withLimit(settings: Settings, ip: string, form: LimitForm): Settings | FormError {
  // The engine's floor is 8 000 bytes per second (64 kbit/s).
  const down = parse(form.down, "down", 8, "Download limit in KB/s");
  const up = parse(form.up, "up", 8, "Upload limit in KB/s");
  const maxFlows = parse(form.maxFlows, "maxFlows", 1, "Most conversations");
  for (const v of [down, up, maxFlows]) if (typeof v === "object") return v;
  const others = settings.engine.client_limits.filter((l) => l.ip !== ip);
  const limit: ClientLimit = { ip };
  if (typeof down === "number") limit.down_bytes_per_s = Math.round(down * 1000);
  if (typeof up === "number") limit.up_bytes_per_s = Math.round(up * 1000);
  if (typeof maxFlows === "number") limit.max_flows = maxFlows;
  const any = limit.down_bytes_per_s !== undefined || limit.up_bytes_per_s !== undefined || limit.max_flows !== undefined;
  return { ...settings, engine: { ...settings.engine, client_limits: any ? [...others, limit] : others } };
}

/** The settings with the device's address reserved for its MAC (replacing any reservation of either). */
export function withReservation(settings: Settings, client: LanClient): Settings {
  if (!client.mac) return settings;
  const mac = client.mac.toLowerCase();
  const others = settings.dhcp.reservations.filter((r) => r.mac.toLowerCase() !== mac && r.ip !== client.ip);
  return {
    ...settings,
    dhcp: { ...settings.dhcp, reservations: [...others, { mac: client.mac, ip: client.ip, hostname: client.hostname ?? null }] },
  };
}

/** The settings without the reservation of `ip`. */
export function withoutReservation(settings: Settings, ip: string): Settings {
  return { ...settings, dhcp: { ...settings.dhcp, reservations: settings.dhcp.reservations.filter((r) => r.ip !== ip) } };
}

/** Whether the stored settings reserve `ip`. */
export function isReserved(settings: Settings, ip: string): boolean {
  return settings.dhcp.reservations.some((r) => r.ip === ip);
}
