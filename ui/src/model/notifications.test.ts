import { describe, expect, it } from "vitest";

import type { StatusReport } from "../api/types";
import { STATUS } from "../api/golden";
import { Notifier, loadPrefs, savePrefs } from "./notifications";

const on = (over: Partial<StatusReport> = {}): StatusReport => ({ ...STATUS, running: true, last_error: null, ...over });
const off = (over: Partial<StatusReport> = {}): StatusReport => ({ ...STATUS, running: false, engine: null, roaming: null, ...over });
const roaming = (changes: number, kind: "switched" | "lost" = "switched") => ({
  mode: "automatic" as const,
  available: true,
  changes,
  last_change: { kind, from: "eth0", to: "wlan0", ago_s: 1, reason: kind === "lost" ? "no carrier" : undefined },
});

describe("notifications", () => {
  it("the first update is a baseline; a new host afterwards is news once", () => {
    const n = new Notifier();
    expect(n.feed(on(), ["192.168.137.10"])).toEqual([]);
    expect(n.feed(on(), ["192.168.137.10"])).toEqual([]);
    const news = n.feed(on(), ["192.168.137.10", "192.168.137.14"]);
    expect(news.map((x) => [x.kind, x.body])).toEqual([["newDevice", "192.168.137.14 started using the internet through this computer."]]);
    // A host that went quiet and comes back is not new.
    expect(n.feed(on(), [])).toEqual([]);
    expect(n.feed(on(), ["192.168.137.14"])).toEqual([]);
  });

  it("sharing that stops by itself is news, with the reason; the user's own stop is not", () => {
    const n = new Notifier();
    n.feed(on(), []);
    expect(n.feed(off({ last_error: "the adapter masq0 went away" }), [])).toEqual([
      { kind: "sharingStopped", title: "Sharing stopped", body: "masq stopped sharing: the adapter masq0 went away" },
    ]);
    n.feed(on(), []);
    n.expectStop();
    expect(n.feed(off(), [])).toEqual([]);
    n.feed(on(), []);
    expect(n.feed(off(), []).map((x) => x.kind)).toEqual(["sharingStopped"]);
  });

  it("an uplink change is news when the daemon counts one more", () => {
    const n = new Notifier();
    n.feed(on({ roaming: roaming(2) }), []);
    expect(n.feed(on({ roaming: roaming(2) }), [])).toEqual([]);
    expect(n.feed(on({ roaming: roaming(3) }), [])[0].body).toBe("Sharing now uses wlan0 instead of eth0.");
    expect(n.feed(on({ roaming: roaming(4, "lost") }), [])[0].body).toBe(
      "The internet connection eth0 is gone (no carrier); sharing waits for it or another.",
    );
  });

  it("devices that come back after sharing restarts are not news; the first update while sharing is the baseline", () => {
    const n = new Notifier();
    expect(n.feed(off(), [])).toEqual([]);
    expect(n.feed(on(), ["192.168.137.10", "192.168.137.11"])).toEqual([]);
    n.expectStop();
    n.feed(off(), []);
    expect(n.feed(on(), ["192.168.137.10", "192.168.137.11"])).toEqual([]);
    expect(n.feed(on(), ["192.168.137.12"]).map((x) => x.kind)).toEqual(["newDevice"]);
  });

  it("after a reset the next update is a baseline again", () => {
    const n = new Notifier();
    n.feed(on(), ["192.168.137.10"]);
    n.reset();
    expect(n.feed(on(), ["192.168.137.11"])).toEqual([]);
  });

  it("keeps the choice, all off by default, and survives a damaged value", () => {
    const store = new Map<string, string>();
    const s = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadPrefs(s)).toEqual({ newDevice: false, sharingStopped: false, uplinkChanged: false });
    savePrefs({ newDevice: true, sharingStopped: false, uplinkChanged: true }, s);
    expect(loadPrefs(s)).toEqual({ newDevice: true, sharingStopped: false, uplinkChanged: true });
    store.set("masq.notifications", "{not json");
    expect(loadPrefs(s).newDevice).toBe(false);
  });
});
