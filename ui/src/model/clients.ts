// The hidden hosts currently using the gateway, derived from the translation table.
//
// Until the control API reports clients itself (issue 5), a "client" is a LAN address with at
// least one live translation; hosts that are idle right now are therefore not listed.

import { hostOf } from "./format";
import type { Row } from "./translations";

export interface Client {
  address: string;
  flows: number;
  tcp: number;
  udp: number;
  icmp: number;
  bytes_out: number;
  bytes_in: number;
  /** The remote hosts it talks to most (by bytes), at most three. */
  top_remotes: string[];
}

/** One entry per LAN address, sorted by address numerically. */
export function deriveClients(rows: Row[]): Client[] {
  const byHost = new Map<string, { c: Client; remotes: Map<string, number> }>();
  for (const r of rows) {
    const address = hostOf(r.lan);
    let e = byHost.get(address);
    if (!e) {
      e = {
        c: { address, flows: 0, tcp: 0, udp: 0, icmp: 0, bytes_out: 0, bytes_in: 0, top_remotes: [] },
        remotes: new Map(),
      };
      byHost.set(address, e);
    }
    e.c.flows++;
    e.c[r.protocol]++;
    e.c.bytes_out += r.bytes_out;
    e.c.bytes_in += r.bytes_in;
    if (r.remote) {
      const host = hostOf(r.remote);
      e.remotes.set(host, (e.remotes.get(host) ?? 0) + r.bytes_in + r.bytes_out);
    }
  }
  return Array.from(byHost.values())
    .map(({ c, remotes }) => ({
      ...c,
      top_remotes: Array.from(remotes.entries())
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 3)
        .map(([h]) => h),
    }))
    .sort((a, b) => addressOrder(a.address) - addressOrder(b.address) || a.address.localeCompare(b.address));
}

function addressOrder(a: string): number {
  const parts = a.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return Number.MAX_SAFE_INTEGER;
  return ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3];
}
