import { describe, expect, it } from "vitest";

import type { LanClient, Settings } from "../api/types";
import { SETTINGS } from "../api/golden";
import { isReserved, limitForm, withLimit, withoutReservation, withReservation } from "./clientEdit";

const base: Settings = {
  ...SETTINGS,
  engine: { ...SETTINGS.engine, client_limits: [{ ip: "192.168.137.20", max_flows: 50 }] },
  dhcp: { ...SETTINGS.dhcp, reservations: [] },
};

const printer: LanClient = {
  ip: "192.168.137.12", mac: "52:54:00:12:34:0c", hostname: "printer", assigned: "dhcp",
  lease_expires_in_s: 100, first_seen_s: 1, last_seen_s: 0, flows: 2, max_flows: 8192, bytes_out: 0, bytes_in: 0,
};

describe("client limits", () => {
  it("fills the form in KB/s and leaves missing limits empty", () => {
    const s = withLimit(base, "192.168.137.12", { down: "250", up: "", maxFlows: "" }) as Settings;
    expect(limitForm(s, "192.168.137.12")).toEqual({ down: "250", up: "", maxFlows: "" });
    expect(limitForm(base, "192.168.137.20")).toEqual({ down: "", up: "", maxFlows: "50" });
  });

  it("replaces only this device's limit, and removes it when every field is empty", () => {
    const s = withLimit(base, "192.168.137.12", { down: "1500", up: "8.5", maxFlows: "100" }) as Settings;
    expect(s.engine.client_limits).toEqual([
      { ip: "192.168.137.20", max_flows: 50 },
      { ip: "192.168.137.12", down_bytes_per_s: 1_500_000, up_bytes_per_s: 8500, max_flows: 100 },
    ]);
    const again = withLimit(s, "192.168.137.12", { down: "", up: " ", maxFlows: "" }) as Settings;
    expect(again.engine.client_limits).toEqual([{ ip: "192.168.137.20", max_flows: 50 }]);
    expect(base.engine.client_limits).toHaveLength(1);
  });

  it.each([
    [{ down: "fast", up: "", maxFlows: "" }, "down"],
    [{ down: "", up: "5", maxFlows: "" }, "up"],
    [{ down: "", up: "", maxFlows: "2.5" }, "maxFlows"],
    [{ down: "-1", up: "", maxFlows: "" }, "down"],
  ])("refuses %j at its field", (form, field) => {
    const e = withLimit(base, "192.168.137.12", form);
    expect(e).toMatchObject({ field });
    expect((e as { message: string }).message).toContain("or empty for no limit");
  });
});

describe("reservations", () => {
  it("reserves the device's address for its MAC, replacing older reservations of either", () => {
    const old: Settings = {
      ...base,
      dhcp: { ...base.dhcp, reservations: [{ mac: "52:54:00:12:34:0C", ip: "192.168.137.99" }, { mac: "aa:aa:aa:aa:aa:aa", ip: "192.168.137.12" }] },
    };
    const s = withReservation(old, printer);
    expect(s.dhcp.reservations).toEqual([{ mac: "52:54:00:12:34:0c", ip: "192.168.137.12", hostname: "printer" }]);
    expect(isReserved(s, "192.168.137.12")).toBe(true);
    expect(withoutReservation(s, "192.168.137.12").dhcp.reservations).toEqual([]);
  });

  it("cannot reserve without a MAC", () => {
    expect(withReservation(base, { ...printer, mac: null })).toBe(base);
  });
});
