// The sentences that say what sharing does or will do, built from status and settings.

import type { IfaceReport, LanServicesReport, ServiceState, Settings, StatusReport } from "../api/types";

function firstAddress(i: IfaceReport | null): string | null {
  const a = i?.addresses[0];
  return a ? a.split("/")[0] : null;
}

/** One plain paragraph about what is happening now, or what turning sharing on will do. */
export function describeSharing(status: StatusReport | null, settings: Settings | null): string {
  if (status?.running) {
    const up = status.uplink?.name ?? "the uplink";
    const lan = status.lan?.name ?? "the LAN";
    const lanAddr = status.lan?.addresses[0];
    const outside = firstAddress(status.uplink);
    return (
      `Sharing ${up}'s internet connection with the network on ${lan}` +
      (lanAddr ? ` (gateway ${lanAddr})` : "") +
      ". Devices there use this computer as their gateway; to the internet they all appear as " +
      (outside ?? "this computer") +
      ". They can start connections outward, but nothing on the internet can start a connection to them."
    );
  }
  if (!settings) return "Sharing is off.";
  if (!settings.lan) {
    return "Sharing is off. Choose the LAN interface to share with in Settings, then turn sharing on.";
  }
  const up = settings.uplink
    ? `${settings.uplink}'s internet connection`
    : "the internet connection of the default route (picked when sharing starts)";
  const addr = settings.lan_addr ? ` as gateway ${settings.lan_addr}` : "";
  return (
    `Sharing is off. Turning it on shares ${up} with the network on ${settings.lan}${addr}. ` +
    "Devices there can then reach the internet through this computer; nothing from the internet can reach them."
  );
}

function serviceWords(name: string, s: ServiceState, running: string): string {
  switch (s.state) {
    case "running":
      return running;
    case "disabled":
      return `${name} is turned off in Settings.`;
    case "failed":
      return `${name} could not start: ${s.message}`;
  }
}

/** Sentences about the DHCP server and DNS forwarder, and warnings that need the user. */
export function describeLanServices(r: LanServicesReport): { lines: string[]; warnings: string[] } {
  const leases =
    r.leases === 0 ? "none is handed out yet" : r.leases === 1 ? "1 device has one now" : `${r.leases} devices have one now`;
  const lines = [
    serviceWords("Handing out addresses (DHCP)", r.dhcp, `Devices that join the LAN get an address automatically; ${leases}.`),
    serviceWords("Answering DNS", r.dns, `Devices look up names through this computer (${r.dns_counters.queries} lookups so far).`),
  ];
  if (r.ipv6?.state === "offered") {
    lines.push(
      r.ipv6.router_advertisements
        ? `IPv6: devices configure themselves in ${r.ipv6.gateway} and reach the internet over IPv6 too.`
        : `IPv6: offered with the gateway at ${r.ipv6.gateway}, without router advertisements.`,
    );
  } else if (r.ipv6?.state === "not_offered") {
    lines.push(`IPv6 is not offered: ${r.ipv6.reason}.`);
  }
  const warnings = r.foreign_dhcp_servers.map(
    (f) =>
      `Another DHCP server (${f.server_id}) is answering on the LAN and offered ${f.offered}. Devices that take its offer may not use this computer as their gateway: turn one of the two off.`,
  );
  if (r.dhcp.state === "failed") warnings.push(`DHCP: ${r.dhcp.message}`);
  if (r.dns.state === "failed") warnings.push(`DNS: ${r.dns.message}`);
  return { lines, warnings };
}
