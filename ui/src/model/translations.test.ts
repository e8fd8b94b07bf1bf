import { describe, expect, it } from "vitest";

import { flow } from "./fixtures";
import { ageAt, TranslationTable } from "./translations";

describe("TranslationTable", () => {
  it("adds, updates and removes from deltas", () => {
    const t = new TranslationTable();
    t.apply({ added: [flow(1), flow(2), flow(3)], updated: [], removed: [] }, true, 0);
    expect(t.size).toBe(3);
    t.apply({ added: [flow(4)], updated: [flow(2, { bytes_in: 500 })], removed: [1] }, false, 1000);
    expect(t.size).toBe(3);
    expect(t.get(1)).toBeUndefined();
    expect(t.get(2)?.bytes_in).toBe(500);
    expect(t.get(4)).toBeDefined();
  });

  it("a first update replaces everything from before", () => {
    const t = new TranslationTable();
    t.apply({ added: [flow(1), flow(2)], updated: [], removed: [] }, true, 0);
    t.apply({ added: [flow(7)], updated: [], removed: [] }, true, 0);
    expect(t.all().map((r) => r.id)).toEqual([7]);
  });

  it("bumps its version on every change", () => {
    const t = new TranslationTable();
    const v = t.version;
    t.apply({ added: [], updated: [], removed: [] }, false, 0);
    t.clear();
    expect(t.version).toBe(v + 2);
  });

  it("extrapolates age from when the row was last heard of", () => {
    const t = new TranslationTable();
    t.apply({ added: [flow(1, { age_s: 10 })], updated: [], removed: [] }, true, 5000);
    const row = t.get(1)!;
    expect(ageAt(row, 5000)).toBe(10);
    expect(ageAt(row, 7500)).toBe(12.5);
    expect(ageAt(row, 1000)).toBe(10);
  });
});
