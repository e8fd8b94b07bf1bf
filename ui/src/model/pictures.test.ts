import { describe, expect, it } from "vitest";

import type { InboundAttempt, StatusReport } from "../api/types";
import { deriveClients } from "./clients";
import { flow } from "./fixtures";
import { ClientRates, Window, linePath, niceMax } from "./history";
import { SHOWN_HOSTS, lanPicture } from "./lanPicture";
import { endpoint, pathOf, refusedPathOf } from "./masqPath";
import type { Row } from "./translations";

const STATUS = {
  running: true,
  version: "x",
  uplink: { name: "wlan0", addresses: ["203.0.113.2/24", "2001:db8::2/64"] },
  lan: { name: "eth1", addresses: ["192.168.137.1/24", "fd00::1/64"] },
  tun: "masq0",
  uptime_s: 10,
  engine: null,
  last_error: null,
} as StatusReport;

const row = (id: number, over = {}): Row => ({ ...flow(id, over), seenAt: 0 });

describe("endpoint", () => {
  it.each([
    ["192.168.137.10:40001", { address: "192.168.137.10", port: 40001 }],
    ["[fd00::10]:443", { address: "fd00::10", port: 443 }],
    ["192.168.137.10", { address: "192.168.137.10", port: null }],
    [null, { address: "–", port: null }],
  ])("splits %s", (text, want) => expect(endpoint(text)).toEqual(want));
});

describe("pathOf", () => {
  it("marks the source rewritten going out and the destination rewritten coming back", () => {
    const p = pathOf(flow(1), STATUS);
    expect(p.stops.map((s) => s.address)).toEqual(["192.168.137.11:40001", "192.168.137.1", "203.0.113.2:50001", "198.51.100.7:443"]);
    const [before, after] = p.first;
    expect([before.side, after.side]).toEqual(["lan", "internet"]);
    expect(before.fromRewritten).toEqual({ address: false, port: false });
    expect(after.from).toEqual({ address: "203.0.113.2", port: 50001 });
    expect(after.fromRewritten).toEqual({ address: true, port: true });
    expect(after.toRewritten).toEqual({ address: false, port: false });
    const [replyIn, replyLan] = p.reply;
    expect([replyIn.side, replyLan.side]).toEqual(["internet", "lan"]);
    expect(replyLan.to).toEqual({ address: "192.168.137.11", port: 40001 });
    expect(replyLan.toRewritten).toEqual({ address: true, port: true });
    expect(p.explanation).toContain("198.51.100.7:443 sees 203.0.113.2:50001, never 192.168.137.11:40001");
    expect(p.explanation).toContain("refused and listed under Inbound");
  });

  it("marks only the address when masq kept the host's port", () => {
    const p = pathOf(flow(1, { lan: "192.168.137.11:50001" }), STATUS);
    expect(p.first[1].fromRewritten).toEqual({ address: true, port: false });
  });

  it("draws a forwarded conversation from the internet side, destination rewritten", () => {
    const p = pathOf(flow(2, { inbound: true, lan: "192.168.137.10:80", gateway: "203.0.113.2:8080", remote: "198.51.100.9:5000" }), STATUS);
    const [arrives, handed] = p.first;
    expect([arrives.side, handed.side]).toEqual(["internet", "lan"]);
    expect(handed.from).toEqual({ address: "198.51.100.9", port: 5000 });
    expect(handed.fromRewritten).toEqual({ address: false, port: false });
    expect(handed.toRewritten).toEqual({ address: true, port: true });
    expect(p.reply[1].fromRewritten).toEqual({ address: true, port: true });
    expect(p.explanation).toContain("port forward");
  });

  it("uses the LAN's IPv6 address for an IPv6 conversation and names ping identifiers", () => {
    const p = pathOf(flow(3, { protocol: "icmp", lan: "[fd00::10]:7", gateway: "[2001:db8::2]:7", remote: "[2001:db8:1::1]:7" }), STATUS);
    expect(p.stops[1].address).toBe("fd00::1");
    expect(p.first[1].fromRewritten).toEqual({ address: true, port: false });
    expect(p.explanation).toContain("ping identifier");
  });

  it("says so while the gateway port is still opening", () => {
    const p = pathOf(flow(4, { gateway: null }), null);
    expect(p.stops[2].address).toBe("opening…");
    expect(p.stops[1].address).toBe("–");
    expect(p.explanation).toContain("still opening");
  });
});

describe("refusedPathOf", () => {
  const a: InboundAttempt = {
    protocol: "udp", remote: "192.0.2.77:4000", gateway: "203.0.113.2:33001", reason: "filtered_by_mapping",
    explanation: "x", count: 1, first_seen_s: 0, last_seen_s: 0,
  };
  it("stops at the gateway with the reason in plain words", () => {
    const p = refusedPathOf(a, STATUS);
    expect(p).toEqual({ remote: "192.0.2.77:4000", gateway: "203.0.113.2:33001", lan: "192.168.137.1/24 on eth1", stoppedBecause: "a hidden host uses this port, but only for another remote" });
  });
  it("falls back to the daemon's explanation for a reason it does not know", () => {
    expect(refusedPathOf({ ...a, reason: "later" as InboundAttempt["reason"] }, null)).toMatchObject({ lan: "the hidden hosts", stoppedBecause: "x" });
  });
});

describe("history", () => {
  it("keeps only the newest samples", () => {
    const w = new Window<number>(3);
    [1, 2, 3, 4, 5].forEach((v) => w.push(v));
    expect(w.values()).toEqual([3, 4, 5]);
    w.clear();
    expect(w.length).toBe(0);
  });

  it.each([
    [0, 1], [0.3, 0.5], [1, 1], [1.2, 2], [3, 5], [7, 10], [120_000, 200_000], [Number.NaN, 1],
  ])("rounds the scale of %d up to %d", (v, want) => expect(niceMax(v)).toBe(want));

  it("draws right-aligned and clamps to the box", () => {
    expect(linePath([], 4, 300, 100, 10)).toBe("");
    expect(linePath([0, 10, 20], 4, 300, 100, 10)).toBe("M100.0 100.0 L200.0 0.0 L300.0 0.0");
  });

  it("computes per-client rates from byte totals, never negative, forgetting gone clients", () => {
    const rates = new ClientRates(10);
    const at = (bytesIn: number, t: number, ids = [1]) =>
      rates.feed(deriveClients(ids.map((id) => row(id, { lan: "[fd00::10]:1", bytes_in: bytesIn }))), t);
    at(1000, 1);
    at(3000, 3);
    at(500, 4); // a conversation ended: its bytes leave the total
    expect(rates.of("fd00::10").map((r) => r.down)).toEqual([1000, 0]);
    expect(rates.of("[fd00::10]")).toHaveLength(2);
    at(0, 5, []);
    expect(rates.of("fd00::10")).toEqual([]);
  });
});

describe("lanPicture", () => {
  it("shows the busiest hosts, counts the rest, the remotes, forwards and refusals", () => {
    const rows: Row[] = [];
    for (let h = 0; h < SHOWN_HOSTS + 2; h++) {
      for (let i = 0; i <= h; i++) rows.push(row(h * 100 + i, { lan: `192.168.137.${10 + h}:${1000 + i}`, remote: `198.51.100.${i}:443` }));
    }
    rows.push(row(999, { lan: "192.168.137.10:80", inbound: true, remote: "192.0.2.1:5000" }));
    const v = lanPicture(deriveClients(rows), rows, 4, STATUS);
    expect(v.hosts.map((h) => h.address)).toEqual(["192.168.137.16", "192.168.137.15", "192.168.137.14", "192.168.137.13", "192.168.137.12"]);
    expect(v.hosts[0].flows).toBe(7);
    expect(v.moreHosts).toBe(2);
    expect(v.remotes).toBe(8);
    expect(v.forwarded).toBe(1);
    expect(v).toMatchObject({ refused: 4, lanAddress: "192.168.137.1", lanName: "eth1", uplinkAddress: "203.0.113.2", uplinkName: "wlan0" });
  });
});
