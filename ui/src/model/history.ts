// The last minutes of live numbers, for the Overview's charts and the Clients' sparklines.
//
// One sample per status update (about one a second), kept in a fixed-size window so memory
// stays flat however long the window is open; sharing stopping starts the window over.

import type { Client } from "./clients";

/** One moment of the whole gateway. */
export interface Sample {
  /** Bytes per second toward the LAN and toward the internet. */
  down: number;
  up: number;
  /** Live conversations. */
  flows: number;
}

/** A fixed-capacity window of samples, oldest first. */
export class Window<T> {
  private items: T[] = [];
  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  values(): readonly T[] {
    return this.items;
  }

  clear(): void {
    this.items = [];
  }

  get length(): number {
    return this.items.length;
  }
}

/** Per-client rates from the clients' byte totals between two updates.
 *
 * A client's totals are sums over its live conversations, so they fall when a conversation
 * ends; such a fall counts as no traffic, not as negative traffic. */
export class ClientRates {
  private last = new Map<string, { t: number; down: number; up: number }>();
  private windows = new Map<string, Window<{ down: number; up: number }>>();
  constructor(readonly capacity = 60) {}

  /** Feeds the clients seen at `t` seconds (the daemon's uptime). */
  feed(clients: Client[], t: number): void {
    const seen = new Set<string>();
    for (const c of clients) {
      const key = plainAddress(c.address);
      seen.add(key);
      const prev = this.last.get(key);
      this.last.set(key, { t, down: c.bytes_in, up: c.bytes_out });
      if (!prev || t <= prev.t) continue;
      const dt = t - prev.t;
      let w = this.windows.get(key);
      if (!w) {
        w = new Window(this.capacity);
        this.windows.set(key, w);
      }
      w.push({ down: Math.max(0, c.bytes_in - prev.down) / dt, up: Math.max(0, c.bytes_out - prev.up) / dt });
    }
    for (const a of Array.from(this.last.keys())) {
      if (!seen.has(a)) {
        this.last.delete(a);
        this.windows.delete(a);
      }
    }
  }

  of(address: string): readonly { down: number; up: number }[] {
    return this.windows.get(plainAddress(address))?.values() ?? [];
  }

  clear(): void {
    this.last.clear();
    this.windows.clear();
  }
}

/** An IPv6 address without the brackets endpoints put around it, so both spellings match. */
function plainAddress(a: string): string {
  return a.replace(/^\[(.*)\]$/, "$1");
}

/** A round top for a chart's scale: 1, 2 or 5 times a power of ten, at least `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** An SVG path through `values`, right-aligned in a `width` × `height` box for `capacity`
 * samples, with `max` at the top; empty when there is nothing to draw. */
export function linePath(values: readonly number[], capacity: number, width: number, height: number, max: number): string {
  if (values.length === 0) return "";
  const step = capacity > 1 ? width / (capacity - 1) : width;
  const x0 = width - (values.length - 1) * step;
  return values
    .map((v, i) => {
      const x = x0 + i * step;
      const y = height - (Math.min(Math.max(v, 0), max) / max) * height;
      return `${i === 0 ? "M" : "L"}${x.toFixed(1)} ${y.toFixed(1)}`;
    })
    .join(" ");
}
