// The live translation table, kept from subscription deltas alone.
//
// The daemon sends each translation whole when it appears or changes and only its id when it
// ends; clock fields (age, idle, expiry) are not resent when only time passed, so the table
// remembers when it last heard about each row and extrapolates them (`ageAt`).

import type { Translation, TranslationDelta } from "../api/types";

/** A translation plus the local time (ms) its clock fields were last true. */
export interface Row extends Translation {
  seenAt: number;
}

export class TranslationTable {
  private rows = new Map<number, Row>();
  /** Bumped on every change, so views can tell cheaply whether to recompute. */
  version = 0;

  /** Applies one delta; `first` (a fresh subscription) replaces everything. */
  apply(delta: TranslationDelta, first: boolean, now: number): void {
    if (first) this.rows.clear();
    for (const t of delta.added) this.rows.set(t.id, { ...t, seenAt: now });
    for (const t of delta.updated) this.rows.set(t.id, { ...t, seenAt: now });
    for (const id of delta.removed) this.rows.delete(id);
    this.version++;
  }

  clear(): void {
    this.rows.clear();
    this.version++;
  }

  get size(): number {
    return this.rows.size;
  }

  all(): Row[] {
    return Array.from(this.rows.values());
  }

  get(id: number): Row | undefined {
    return this.rows.get(id);
  }
}

/** The row's age in seconds at local time `now` (ms). */
export function ageAt(row: Row, now: number): number {
  return row.age_s + Math.max(0, now - row.seenAt) / 1000;
}

/** The row's idle time in seconds at local time `now` (ms). */
export function idleAt(row: Row, now: number): number {
  return row.idle_s + Math.max(0, now - row.seenAt) / 1000;
}
