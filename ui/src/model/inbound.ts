// Refused inbound attempts, merged from subscription updates.
//
// An update carries only entries that are new or were seen again; they are keyed like the
// engine's log (protocol, remote, gateway, reason), so a repeat replaces its older copy.

import type { InboundAttempt } from "../api/types";

export function inboundKey(a: InboundAttempt): string {
  return `${a.protocol}|${a.remote}|${a.gateway}|${a.reason}`;
}

export class InboundLog {
  private entries = new Map<string, InboundAttempt & { seenAt: number }>();
  version = 0;

  apply(attempts: InboundAttempt[], first: boolean, now: number): void {
    if (first) this.entries.clear();
    for (const a of attempts) this.entries.set(inboundKey(a), { ...a, seenAt: now });
    if (first || attempts.length > 0) this.version++;
  }

  clear(): void {
    this.entries.clear();
    this.version++;
  }

  /** Most recent first (smallest `last_seen_s` once extrapolated to `now`). */
  sorted(now: number): Array<InboundAttempt & { seenAt: number }> {
    const lastSeen = (a: InboundAttempt & { seenAt: number }) =>
      a.last_seen_s + (now - a.seenAt) / 1000;
    return Array.from(this.entries.values()).sort(
      (a, b) => lastSeen(a) - lastSeen(b) || inboundKey(a).localeCompare(inboundKey(b)),
    );
  }

  get size(): number {
    return this.entries.size;
  }
}
