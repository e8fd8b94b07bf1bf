// What masquerading does to one conversation, as a picture can show it: the hops a packet
// crosses, the addresses it carries on each side of the gateway, which of them masq rewrote,
// and the one sentence that explains why nothing else gets in.
//
// Built from the live translation and status alone, so the picture is exactly what the daemon
// reports; nothing here is invented for the drawing.

import type { InboundAttempt, Protocol, StatusReport, Translation } from "../api/types";
import { hostOf, portOf } from "./format";

/** One end of a packet, split so the drawing can mark the address and the port separately. */
export interface Endpoint {
  address: string;
  /** The port, or for ping the query identifier; null when the endpoint has none. */
  port: number | null;
}

/** One packet as it travels on one side of the gateway. */
export interface PacketView {
  /** Where the packet is: "on the LAN" or "on the internet". */
  side: "lan" | "internet";
  from: Endpoint;
  to: Endpoint;
  /** Which parts masq wrote on its way through (false on the side before the gateway). */
  fromRewritten: { address: boolean; port: boolean };
  toRewritten: { address: boolean; port: boolean };
}

/** A box of the picture, left (LAN) to right (internet). */
export interface Stop {
  role: "hidden-host" | "gateway-lan" | "gateway-uplink" | "remote";
  title: string;
  /** The address shown in the box ("ip:port", an interface address, or "–"). */
  address: string;
  /** A plain-words line under it. */
  note: string;
}

export interface MasqPath {
  stops: Stop[];
  /** The packet that opened the conversation: before and after the gateway. */
  first: [PacketView, PacketView];
  /** Its answer coming back: before and after the gateway. */
  reply: [PacketView, PacketView];
  /** Why the conversation looks like this, and what else may come in. */
  explanation: string;
}

/** Splits `a.b.c.d:port` or `[v6]:port`; a missing endpoint becomes "–". */
export function endpoint(text: string | null): Endpoint {
  if (!text) return { address: "–", port: null };
  const port = portOf(text);
  const host = port === null ? text : hostOf(text);
  return { address: host.replace(/^\[(.*)\]$/, "$1"), port };
}

/** The first address of an interface report without its prefix length. */
function ifaceAddress(addresses: string[] | undefined, v6: boolean): string | null {
  const plain = (addresses ?? []).map((a) => a.split("/")[0]);
  return plain.find((a) => a.includes(":") === v6) ?? plain[0] ?? null;
}

function portWord(protocol: Protocol): string {
  return protocol === "icmp" ? "ping identifier" : "port";
}

function differs(a: Endpoint, b: Endpoint) {
  return { address: a.address !== b.address, port: a.port !== b.port };
}

const SAME = { address: false, port: false };

function gatewayStops(t: Translation, status: StatusReport | null): Stop[] {
  const v6 = endpoint(t.lan).address.includes(":");
  const lanSide = ifaceAddress(status?.lan?.addresses, v6);
  const lanName = status?.lan?.name;
  const uplinkName = status?.uplink?.name;
  return [
    {
      role: "gateway-lan",
      title: "This computer, LAN side",
      address: lanSide ?? "–",
      note: lanName ? `the gateway the LAN uses, on ${lanName}` : "the gateway the LAN uses",
    },
    {
      role: "gateway-uplink",
      title: "This computer, internet side",
      address: t.gateway ?? "opening…",
      note: uplinkName ? `its own address and ${portWord(t.protocol)} on ${uplinkName}` : `its own address and ${portWord(t.protocol)}`,
    },
  ];
}

/** The picture of one live translation. */
export function pathOf(t: Translation, status: StatusReport | null): MasqPath {
  const lan = endpoint(t.lan);
  const remote = endpoint(t.remote);
  const gateway = endpoint(t.gateway);
  const word = portWord(t.protocol);
  const stops: Stop[] = [
    { role: "hidden-host", title: "Hidden host", address: t.lan, note: t.inbound ? "reached through your port forward" : "started the conversation" },
    ...gatewayStops(t, status),
    { role: "remote", title: "Remote", address: t.remote ?? "–", note: t.inbound ? "started the conversation" : "sees only the gateway" },
  ];
  const outward: [PacketView, PacketView] = [
    { side: "lan", from: lan, to: remote, fromRewritten: SAME, toRewritten: SAME },
    { side: "internet", from: gateway, to: remote, fromRewritten: differs(lan, gateway), toRewritten: SAME },
  ];
  const inward: [PacketView, PacketView] = [
    { side: "internet", from: remote, to: gateway, fromRewritten: SAME, toRewritten: SAME },
    { side: "lan", from: remote, to: lan, fromRewritten: SAME, toRewritten: differs(gateway, lan) },
  ];
  const explanation = t.inbound
    ? `${t.remote ?? "The remote"} connected to this computer's ${word} ${t.gateway ?? "–"}, and your port forward ` +
      `sent it on to ${t.lan}, which sees the remote's own address. Without the forward it would have been refused, ` +
      `like every other connection started from the internet.`
    : t.gateway === null
      ? `masq is still opening the gateway ${word} for ${t.lan}; until then nothing leaves for ${t.remote ?? "the remote"}.`
      : `${t.remote ?? "The remote"} sees ${t.gateway}, never ${t.lan}: masq wrote this computer's address and its own ` +
        `${word} into every packet on the way out, and writes ${t.lan} back into the replies. Only ${t.remote ?? "the remote"} ` +
        `may answer through ${word} ${gateway.port ?? "–"}; anything else sent to it is refused and listed under Inbound.`;
  return t.inbound
    ? { stops, first: inward, reply: outward, explanation }
    : { stops, first: outward, reply: inward, explanation };
}

/** The picture of a refused attempt: it reaches the gateway and stops there. */
export interface RefusedPath {
  remote: string;
  gateway: string;
  /** The LAN behind the gateway, as far as the status tells (e.g. "192.168.137.0/24 on eth1"). */
  lan: string;
  stoppedBecause: string;
}

const STOP_REASON: Record<InboundAttempt["reason"], string> = {
  no_translation: "no hidden host started a conversation through this port, and no port forward exists for it",
  filtered_by_mapping: "a hidden host uses this port, but only for another remote",
  addressed_to_hidden_host: "hidden hosts' own addresses cannot be reached from the internet",
};

export function refusedPathOf(a: InboundAttempt, status: StatusReport | null): RefusedPath {
  const lanAddress = status?.lan?.addresses?.[0];
  const lan = lanAddress ? `${lanAddress}${status?.lan?.name ? ` on ${status.lan.name}` : ""}` : "the hidden hosts";
  return { remote: a.remote, gateway: a.gateway, lan, stoppedBecause: STOP_REASON[a.reason] ?? a.explanation };
}
