// Refused inbound attempts, and why masquerading refuses them.

import { useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { InboundAttempt } from "../api/types";
import { RefusedDiagram } from "../components/MasqDiagram";
import { formatDuration } from "../model/format";
import { refusedPathOf } from "../model/masqPath";
import { formFromAttempt, prefillQuery } from "../model/forwards";
import { store, useNow, useStore } from "../store";

const REASON_TITLE: Record<InboundAttempt["reason"], string> = {
  no_translation: "Nobody inside asked for this",
  filtered_by_mapping: "Not the host that was contacted",
  addressed_to_hidden_host: "Addressed to a hidden host directly",
};

export function Inbound(props: { go: (id: "forwards", params?: string) => void }) {
  const { status } = useStore();
  const now = useNow();
  const [error, setError] = useState<string | null>(null);
  const entries = store.inbound.sorted(now);

  const clear = async () => {
    setError(null);
    try {
      await backend.clearInbound();
      store.inbound.clear();
    } catch (e) {
      setError(asGuiError(e).message);
    }
  };

  return (
    <div class="screen inbound">
      <section class="card explain" aria-labelledby="one-way">
        <h2 id="one-way">Why connections from the internet are refused</h2>
        <p>
          Devices on your LAN are hidden behind this computer. They can start conversations with the internet, and the
          replies to those conversations find their way back. But nothing on the internet can start a conversation with
          them: a connection arriving from outside matches no conversation a hidden host started, so there is nobody
          to hand it to. masq refuses it and lists it here.
        </p>
        <p>
          To let something in on purpose, a port forward sends one gateway port to one device. <em>Allow with a port
          forward…</em> opens the form with the attempt's protocol and port filled in.
        </p>
      </section>
      <div class="toolbar">
        <span class="count" data-testid="inbound-count">
          {entries.length === 1 ? "1 refused attempt" : `${entries.length} refused attempts`}
        </span>
        <button onClick={clear} disabled={entries.length === 0}>
          Clear list
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {entries.length === 0 ? (
        <p class="empty">No refused attempts. When something outside tries to connect in, it shows up here.</p>
      ) : (
        <ul class="inbound-list" aria-label="Refused inbound attempts">
          {entries.map((a) => {
            const key = `${a.protocol}|${a.remote}|${a.gateway}|${a.reason}`;
            const lastSeen = a.last_seen_s + (now - a.seenAt) / 1000;
            return (
              <li key={key} class="card attempt">
                <div class="attempt-head">
                  <span class={`proto ${a.protocol}`}>{a.protocol.toUpperCase()}</span>
                  <span class="mono">{a.remote}</span>
                  <span aria-hidden="true">→</span>
                  <span class="mono">{a.gateway}</span>
                  <span class="muted">
                    {a.count === 1 ? "once" : `${a.count} times`}, last {formatDuration(lastSeen)} ago
                  </span>
                </div>
                <RefusedDiagram path={refusedPathOf(a, status)} />
                <p class="reason">
                  <strong>{REASON_TITLE[a.reason] ?? a.reason}:</strong> {a.explanation}.
                </p>
                <button onClick={() => props.go("forwards", prefillQuery(formFromAttempt(a)))}>
                  Allow with a port forward…
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
