// Pictures of masquerading: one conversation's path through the gateway with the rewritten
// fields marked, and a refused attempt stopped at the gateway. Plain HTML in a fixed grid, so
// screen readers read it as text and live updates never move the layout.

import type { Endpoint, MasqPath, PacketView, RefusedPath } from "../model/masqPath";

function formatEnd(e: Endpoint, rewritten: { address: boolean; port: boolean }) {
  const v6 = e.address.includes(":");
  const addr = <span class={rewritten.address ? "rewritten" : undefined}>{v6 && e.port !== null ? `[${e.address}]` : e.address}</span>;
  if (e.port === null) return addr;
  return (
    <>
      {addr}:<span class={rewritten.port ? "rewritten" : undefined}>{e.port}</span>
    </>
  );
}

function Packet({ p, label }: { p: PacketView; label: string }) {
  const rewritten = p.fromRewritten.address || p.fromRewritten.port || p.toRewritten.address || p.toRewritten.port;
  return (
    <div class={`packet ${p.side}`} data-testid={`packet-${label}`}>
      <span class="packet-side">{p.side === "lan" ? "On the LAN" : "On the internet"}</span>
      <span class="mono">
        from {formatEnd(p.from, p.fromRewritten)} to {formatEnd(p.to, p.toRewritten)}
      </span>
      {rewritten && <span class="visually-hidden"> (marked parts rewritten by masq)</span>}
    </div>
  );
}

/** One translation's path, LAN on the left, internet on the right. */
export function MasqDiagram({ path }: { path: MasqPath }) {
  const [firstBefore, firstAfter] = path.first;
  const [replyBefore, replyAfter] = path.reply;
  const firstGoesOut = firstBefore.side === "lan";
  return (
    <figure class="masq-diagram" aria-label="How masquerading rewrites this conversation" data-testid="masq-diagram">
      <ol class="hops">
        {path.stops.map((s, i) => (
          <li key={s.role} class={`hop ${s.role}`}>
            <span class="hop-title">{s.title}</span>
            <span class="mono hop-address">{s.address}</span>
            <span class="hop-note">{s.note}</span>
            {i < path.stops.length - 1 && (
              <span class="hop-link" aria-hidden="true">
                {i === 1 ? "masq" : ""}
              </span>
            )}
          </li>
        ))}
      </ol>
      <div class="packets">
        <div class="packet-pair">
          <span class="pair-title">{firstGoesOut ? "Going out →" : "← Coming in (port forward)"}</span>
          <Packet p={firstBefore} label="first-before" />
          <Packet p={firstAfter} label="first-after" />
        </div>
        <div class="packet-pair">
          <span class="pair-title">{firstGoesOut ? "← The reply" : "The reply →"}</span>
          <Packet p={replyBefore} label="reply-before" />
          <Packet p={replyAfter} label="reply-after" />
        </div>
      </div>
      <figcaption data-testid="masq-explanation">
        <span class="rewritten legend">marked</span> = written by masq. {path.explanation}
      </figcaption>
    </figure>
  );
}

/** A refused attempt: it reaches the gateway and goes no further. */
export function RefusedDiagram({ path }: { path: RefusedPath }) {
  return (
    <figure class="refused-diagram" aria-label={`Stopped at the gateway: ${path.stoppedBecause}`} data-testid="refused-diagram">
      <span class="hop remote">
        <span class="hop-title">Internet</span>
        <span class="mono">{path.remote}</span>
      </span>
      <span class="refused-arrow" aria-hidden="true">
        →
      </span>
      <span class="hop gateway-uplink">
        <span class="hop-title">This computer</span>
        <span class="mono">{path.gateway}</span>
      </span>
      <span class="refused-stop" aria-hidden="true">
        ✕
      </span>
      <span class="hop hidden-host unreached">
        <span class="hop-title">LAN, not reached</span>
        <span class="mono">{path.lan}</span>
      </span>
      <figcaption class="visually-hidden">Stopped at the gateway: {path.stoppedBecause}</figcaption>
    </figure>
  );
}
