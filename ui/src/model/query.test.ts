import { describe, expect, it } from "vitest";

import { DEFAULT_QUERY, endpointKey, runQuery } from "./query";
import { TranslationTable } from "./translations";
import { flow } from "./fixtures";

function table() {
  const t = new TranslationTable();
  t.apply(
    {
      added: [
        flow(1, { protocol: "udp", lan: "192.168.137.10:5353", remote: "1.1.1.1:53", bytes_in: 10, age_s: 5 }),
        flow(2, { lan: "192.168.137.9:40000", remote: "198.51.100.7:443", bytes_in: 900, age_s: 1 }),
        flow(3, { protocol: "icmp", lan: "192.168.137.100:7", remote: "8.8.8.8:7", state: "active", age_s: 9 }),
      ],
      updated: [],
      removed: [],
    },
    true,
    0,
  );
  return t.all();
}

describe("runQuery", () => {
  it("filters by protocol", () => {
    expect(runQuery(table(), { ...DEFAULT_QUERY, protocol: "udp" }, 0).map((r) => r.id)).toEqual([1]);
  });

  it("searches hosts, remotes and states case-insensitively", () => {
    expect(runQuery(table(), { ...DEFAULT_QUERY, search: "8.8.8" }, 0).map((r) => r.id)).toEqual([3]);
    expect(runQuery(table(), { ...DEFAULT_QUERY, search: "ACTIVE" }, 0).map((r) => r.id)).toEqual([3]);
    expect(runQuery(table(), { ...DEFAULT_QUERY, search: "nothing" }, 0)).toEqual([]);
  });

  it("sorts addresses numerically, not as text", () => {
    const ids = runQuery(table(), { ...DEFAULT_QUERY, sort: "lan", dir: "asc" }, 0).map((r) => r.id);
    expect(ids).toEqual([2, 1, 3]);
  });

  it("sorts by bytes and age in both directions", () => {
    expect(runQuery(table(), { ...DEFAULT_QUERY, sort: "bytes", dir: "desc" }, 0).map((r) => r.id)).toEqual([2, 1, 3]);
    expect(runQuery(table(), { ...DEFAULT_QUERY, sort: "age", dir: "asc" }, 0).map((r) => r.id)).toEqual([2, 1, 3]);
  });

  it("breaks ties by id so equal rows never swap", () => {
    const rows = runQuery(table(), { ...DEFAULT_QUERY, sort: "state", dir: "desc" }, 0);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it("handles 10 000 rows quickly", () => {
    const t = new TranslationTable();
    t.apply({ added: Array.from({ length: 10_000 }, (_, i) => flow(i, { bytes_in: (i * 7919) % 10007 })), updated: [], removed: [] }, true, 0);
    const start = performance.now();
    const rows = runQuery(t.all(), { ...DEFAULT_QUERY, sort: "bytes", dir: "desc", search: "192.168" }, 0);
    expect(rows.length).toBe(10_000);
    expect(performance.now() - start).toBeLessThan(250);
  });
});

describe("endpointKey", () => {
  it("orders by address then port, absent last", () => {
    const input = ["10.0.0.10:1", null, "10.0.0.9:10", "10.0.0.9:2"];
    const sorted = [...input].sort((a, b) => (endpointKey(a) < endpointKey(b) ? -1 : 1));
    expect(sorted).toEqual(["10.0.0.9:2", "10.0.0.9:10", "10.0.0.10:1", null]);
  });
});
