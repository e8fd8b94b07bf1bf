// The first-run screen's decisions: what to call each kind of interface, which LAN to
// suggest, and the settings that applying a plan writes. The daemon's `setup_check` does the
// checking; this only turns its answer into words and settings.

import type { InterfaceKind, InterfaceView, LanPlan, SetupReport, Settings } from "../api/types";

const KIND_WORDS: Record<InterfaceKind, string> = {
  ethernet: "Ethernet",
  wifi: "Wi-Fi",
  usb_tether: "USB / phone tether",
  vpn: "VPN",
  virtual: "Virtual",
  loopback: "Loopback",
  other: "Other",
};

/** The kind in a user's words. */
export function kindWords(kind: InterfaceKind | string): string {
  return KIND_WORDS[kind as InterfaceKind] ?? KIND_WORDS.other;
}

/** Whether nothing is set up yet: no LAN named, so sharing could not start. */
export function needsSetup(settings: Settings | null): boolean {
  return settings !== null && !settings.lan;
}

/** The LAN to suggest: a usable interface with a link, wired before wireless before the rest. */
export function suggestedLan(report: SetupReport): string | null {
  const order: InterfaceKind[] = ["ethernet", "usb_tether", "wifi", "virtual", "other"];
  const usable = report.interfaces.filter((i) => !i.not_a_lan);
  const rank = (i: InterfaceView) => (i.running ? 0 : 10) + Math.max(0, order.indexOf(i.kind));
  const best = [...usable].sort((a, b) => rank(a) - rank(b))[0];
  return best?.name ?? null;
}

/** The settings after applying `plan`: the LAN and its gateway address; nothing else moves. */
export function applyPlan(settings: Settings, plan: LanPlan): Settings {
  return { ...settings, lan: plan.lan, lan_addr: plan.gateway };
}

/** What sharing will do, in one sentence, for the button's neighbour. */
export function describePlan(plan: LanPlan, uplink: string | null): string {
  const gateway = plan.gateway.split("/")[0];
  const dhcp = plan.dhcp_range
    ? ` masq hands them addresses from ${plan.dhcp_range[0]} to ${plan.dhcp_range[1]}.`
    : " masq's DHCP server is off, so give each device an address in that network by hand.";
  return (
    `Devices on ${plan.lan} will use ${gateway} as their gateway (${plan.gateway_source}), and reach the internet ` +
    `through ${uplink ?? "the uplink"}, all appearing as this computer.` +
    dhcp
  );
}
