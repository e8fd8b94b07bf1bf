// The whole LAN as the Overview draws it: hidden hosts on the left, this computer in the
// middle with its two faces, the internet on the right, and refused attempts stopped at the
// gateway. Derived from the live table, the inbound log and the status only.

import type { StatusReport } from "../api/types";
import type { Client } from "./clients";
import { hostOf } from "./format";
import type { Row } from "./translations";

/** How many hosts get a box of their own before the rest are summed up. */
export const SHOWN_HOSTS = 5;

export interface LanPictureView {
  hosts: { address: string; flows: number }[];
  /** Hosts with conversations beyond the shown ones. */
  moreHosts: number;
  lanAddress: string;
  lanName: string;
  uplinkAddress: string;
  uplinkName: string;
  /** Distinct remote hosts the LAN talks to. */
  remotes: number;
  /** Conversations started from the internet through port forwards. */
  forwarded: number;
  /** Refused inbound attempts in the log. */
  refused: number;
}

function firstAddress(addresses: string[] | undefined): string {
  return addresses?.[0]?.split("/")[0] ?? "–";
}

/** The picture's content; hosts with the most conversations first. */
export function lanPicture(clients: Client[], rows: Row[], refused: number, status: StatusReport | null): LanPictureView {
  const busiest = [...clients].sort((a, b) => b.flows - a.flows || a.address.localeCompare(b.address));
  const remotes = new Set<string>();
  let forwarded = 0;
  for (const r of rows) {
    if (r.remote) remotes.add(hostOf(r.remote));
    if (r.inbound) forwarded++;
  }
  return {
    hosts: busiest.slice(0, SHOWN_HOSTS).map((c) => ({ address: c.address, flows: c.flows })),
    moreHosts: Math.max(0, busiest.length - SHOWN_HOSTS),
    lanAddress: firstAddress(status?.lan?.addresses),
    lanName: status?.lan?.name ?? "",
    uplinkAddress: firstAddress(status?.uplink?.addresses),
    uplinkName: status?.uplink?.name ?? "",
    remotes: remotes.size,
    forwarded,
    refused,
  };
}
