// The Overview's picture of masquerading: who is hidden behind this computer, which address
// the internet sees instead, and what was stopped at the gateway.

import type { LanPictureView } from "../model/lanPicture";

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function LanPicture({ view, onInbound }: { view: LanPictureView; onInbound: () => void }) {
  return (
    <section class="card lan-picture" aria-labelledby="picture-title" data-testid="lan-picture">
      <h2 id="picture-title">What the internet sees</h2>
      <div class="picture">
        <div class="column lan-side">
          <span class="column-title">Your LAN (hidden){view.lanName ? ` on ${view.lanName}` : ""}</span>
          {view.hosts.length === 0 && <span class="muted">No device is talking right now.</span>}
          <ul>
            {view.hosts.map((h) => (
              <li key={h.address} class="hop hidden-host">
                <span class="mono">{h.address}</span>
                <span class="hop-note">{plural(h.flows, "conversation", "conversations")}</span>
              </li>
            ))}
            {view.moreHosts > 0 && <li class="muted">and {plural(view.moreHosts, "more device", "more devices")}</li>}
          </ul>
        </div>
        <span class="picture-arrow" aria-hidden="true">
          →
        </span>
        <div class="column gateway">
          <span class="column-title">This computer</span>
          <div class="hop gateway-lan">
            <span class="hop-note">LAN side</span>
            <span class="mono">{view.lanAddress}</span>
          </div>
          <span class="rewrite-note">masq rewrites every outgoing packet to come from</span>
          <div class="hop gateway-uplink">
            <span class="hop-note">internet side{view.uplinkName ? `, ${view.uplinkName}` : ""}</span>
            <span class="mono" data-testid="picture-uplink">
              {view.uplinkAddress}
            </span>
          </div>
        </div>
        <span class="picture-arrow" aria-hidden="true">
          →
        </span>
        <div class="column internet">
          <span class="column-title">The internet</span>
          <p>
            {plural(view.remotes, "remote host sees", "remote hosts see")} only <span class="mono">{view.uplinkAddress}</span>.
          </p>
          {view.forwarded > 0 && <p>{plural(view.forwarded, "conversation came", "conversations came")} in through your port forwards.</p>}
          <button class="refused-link" onClick={onInbound} data-testid="picture-refused">
            <span class="refused-stop" aria-hidden="true">
              ✕
            </span>{" "}
            {plural(view.refused, "attempt", "attempts")} to connect inward stopped at this computer
          </button>
        </div>
      </div>
    </section>
  );
}
