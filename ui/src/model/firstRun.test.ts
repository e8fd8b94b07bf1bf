import { describe, expect, it } from "vitest";

import type { SetupReport } from "../api/types";
import { SETTINGS, SETUP_REPORT } from "../api/golden";
import { applyPlan, describePlan, kindWords, needsSetup, suggestedLan } from "./firstRun";

describe("first run", () => {
  it("names kinds in plain words, unknown ones as other", () => {
    expect(kindWords("usb_tether")).toBe("USB / phone tether");
    expect(kindWords("wifi")).toBe("Wi-Fi");
    expect(kindWords("satellite")).toBe("Other");
  });

  it("is needed only when no LAN is named", () => {
    expect(needsSetup(null)).toBe(false);
    expect(needsSetup({ ...SETTINGS, lan: null })).toBe(true);
    expect(needsSetup({ ...SETTINGS, lan: "eth1" })).toBe(false);
  });

  it("suggests a usable interface with a link, wired first", () => {
    expect(suggestedLan(SETUP_REPORT)).toBe("eth1");
    const r: SetupReport = {
      ...SETUP_REPORT,
      interfaces: [
        { name: "wlan1", kind: "wifi", running: true, addresses: [] },
        { name: "eth2", kind: "ethernet", running: false, addresses: [] },
        { name: "usb0", kind: "usb_tether", running: true, addresses: [] },
        { name: "wg0", kind: "vpn", running: true, addresses: [], not_a_lan: "tunnel" },
      ],
    };
    expect(suggestedLan(r)).toBe("usb0");
    expect(suggestedLan({ ...r, interfaces: r.interfaces.slice(3) })).toBeNull();
  });

  it("applies only the LAN and its gateway address", () => {
    const plan = SETUP_REPORT.plan!;
    const s = applyPlan({ ...SETTINGS, lan: null, lan_addr: null }, plan);
    expect(s).toEqual({ ...SETTINGS, lan: "eth1", lan_addr: "192.168.137.1/24" });
  });

  it("says what sharing will do", () => {
    const plan = SETUP_REPORT.plan!;
    expect(describePlan(plan, "wlan0")).toBe(
      "Devices on eth1 will use 192.168.137.1 as their gateway (eth1 has no IPv4 address, so masq picked a prefix the uplink does not use), and reach the internet through wlan0, all appearing as this computer. masq hands them addresses from 192.168.137.10 to 192.168.137.253.",
    );
    expect(describePlan({ ...plan, dhcp_range: null }, null)).toContain("by hand");
  });
});
