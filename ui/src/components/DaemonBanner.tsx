// Shown when the GUI cannot reach the daemon: why, and how to start it with the system's own
// administrator prompt. The GUI itself never runs privileged.

import { useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { DaemonState } from "../api/types";

export function DaemonBanner({ daemon }: { daemon: DaemonState | null }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (daemon === null || (!daemon.connected && daemon.searching)) {
    return (
      <p class="banner" role="status">
        Looking for the masq service…
      </p>
    );
  }
  if (daemon.connected) return null;
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.startService();
    } catch (e) {
      setError(asGuiError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="banner warn" role="alert" aria-labelledby="daemon-title">
      <h2 id="daemon-title">The masq service is not running</h2>
      <p>
        Sharing is done by a small background service that needs administrator rights to create the virtual adapter and
        route the LAN's traffic. This window only talks to it, so it never needs those rights itself.
      </p>
      <p class="detail">{daemon.message}</p>
      {daemon.can_start_service && (
        <button class="primary" onClick={start} disabled={busy}>
          {busy ? "Waiting for the service…" : "Start the masq service…"}
        </button>
      )}
      {daemon.can_start_service && <p class="hint">Your system will ask for an administrator password.</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
