// How numbers look on screen: bytes, rates and durations in short, stable forms (fixed
// precision so that live values do not make columns jump).

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** `1536` → `1.5 KB`; decimal units, one decimal above bytes. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "–";
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** Bytes per second as bits per second, as network speeds are usually quoted. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return "–";
  const bits = bytesPerSecond * 8;
  if (bits < 1000) return `${Math.round(bits)} bit/s`;
  const units = ["kbit/s", "Mbit/s", "Gbit/s"];
  let v = bits / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `75` → `1m 15s`, `3725` → `1h 2m`; whole seconds below a minute. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A round trip in microseconds: `850` → `0.85 ms`, `2400` → `2.4 ms`, `48000` → `48 ms`. */
export function formatRtt(us: number): string {
  if (!Number.isFinite(us) || us < 0) return "–";
  const ms = us / 1000;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** The address part of `a.b.c.d:port` (the whole text when it has no port). */
export function hostOf(endpoint: string): string {
  const i = endpoint.lastIndexOf(":");
  return i > 0 ? endpoint.slice(0, i) : endpoint;
}

/** The port part of `a.b.c.d:port`, or null. */
export function portOf(endpoint: string): number | null {
  const i = endpoint.lastIndexOf(":");
  if (i < 0) return null;
  const p = Number(endpoint.slice(i + 1));
  return Number.isInteger(p) ? p : null;
}
