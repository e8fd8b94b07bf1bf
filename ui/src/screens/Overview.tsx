// The main screen: the on/off switch, what sharing does in one paragraph, and live numbers.

import { useEffect, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { LanServicesReport, Settings } from "../api/types";
import { RateChart, Sparkline } from "../components/Charts";
import { LanPicture } from "../components/LanPicture";
import { Switch } from "../components/Switch";
import { needsSetup } from "../model/firstRun";
import { formatBytes, formatDuration, formatRate } from "../model/format";
import { lanPicture } from "../model/lanPicture";
import { describeLanServices, describeSharing } from "../model/plainWords";
import { store, useStore } from "../store";
import { FirstRun } from "./FirstRun";

export function Overview({ go }: { go: (id: "inbound" | "clients" | "translations") => void }) {
  const { status, rates, daemon } = useStore();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const running = status?.running ?? false;

  useEffect(() => {
    if (!daemon?.connected) {
      setSettings(null);
      return;
    }
    backend.getSettings().then(setSettings, () => setSettings(null));
  }, [daemon?.connected, running]);

  const toggle = async (on: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (!on) store.notifier.expectStop();
      await (on ? backend.start() : backend.stop());
    } catch (e) {
      setError(asGuiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const engine = status?.engine;
  const picture = running ? lanPicture(store.clients, store.table.all(), store.inbound.size, status) : null;
  const history = store.history.values();
  if (settings && needsSetup(settings) && !running) {
    return (
      <div class="screen overview">
        <FirstRun settings={settings} onApplied={() => backend.getSettings().then(setSettings, () => setSettings(null))} />
      </div>
    );
  }
  return (
    <div class="screen overview">
      <section class="card hero" aria-labelledby="sharing-title">
        <h2 id="sharing-title" class="visually-hidden">
          Sharing
        </h2>
        <Switch
          checked={running}
          disabled={busy || !daemon?.connected}
          label={running ? "Sharing is on" : "Sharing is off"}
          onChange={toggle}
        />
        <p class="sentence" data-testid="sharing-sentence">
          {describeSharing(status, settings)}
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {!error && status?.last_error && !running && (
          <p class="error">Last time sharing stopped because: {status.last_error}</p>
        )}
      </section>
      {running && status?.lan_services && <LanServices report={status.lan_services} />}
      <section class="stats" aria-label="Live numbers">
        <Stat label="Clients" value={String(engine?.lan_hosts ?? 0)} action={() => go("clients")} testid="stat-clients" />
        <Stat
          label="Conversations"
          value={String(store.table.size)}
          detail={engine ? `${engine.flows_tcp} TCP · ${engine.flows_udp} UDP · ${engine.flows_icmp} ping` : undefined}
          spark={running ? history.map((h) => h.flows) : undefined}
          sparkCapacity={store.history.capacity}
          action={() => go("translations")}
          testid="stat-flows"
        />
        <Stat label="Download" value={formatRate(rates.down)} detail={engine ? `${formatBytes(engine.counters.tun_bytes_out)} in total` : undefined} testid="stat-down" />
        <Stat label="Upload" value={formatRate(rates.up)} detail={engine ? `${formatBytes(engine.counters.tun_bytes_in)} in total` : undefined} testid="stat-up" />
        <Stat label="Refused inbound" value={String(store.inbound.size)} action={() => go("inbound")} testid="stat-inbound" />
        <Stat label="Running for" value={running ? formatDuration(status?.uptime_s ?? 0) : "–"} testid="stat-uptime" />
      </section>
      {picture && <LanPicture view={picture} onInbound={() => go("inbound")} />}
      {running && (
        <section class="card charts" aria-label="Throughput">
          <RateChart
            down={history.map((h) => h.down)}
            up={history.map((h) => h.up)}
            capacity={store.history.capacity}
            minutes={Math.round(store.history.capacity / 60)}
          />
        </section>
      )}
    </div>
  );
}

function LanServices({ report }: { report: LanServicesReport }) {
  const { lines, warnings } = describeLanServices(report);
  return (
    <section class="card services" aria-labelledby="services-title" data-testid="lan-services">
      <h2 id="services-title">On the LAN</h2>
      <ul>
        {lines.map((l) => (
          <li key={l}>{l}</li>
        ))}
      </ul>
      {warnings.map((w) => (
        <p key={w} class="error" role="alert">
          {w}
        </p>
      ))}
    </section>
  );
}

function Stat(props: {
  label: string;
  value: string;
  detail?: string;
  /** The number's recent history, drawn under it. */
  spark?: number[];
  sparkCapacity?: number;
  action?: () => void;
  testid: string;
}) {
  const body = (
    <>
      <span class="stat-label">{props.label}</span>
      <span class="stat-value" data-testid={props.testid}>
        {props.value}
      </span>
      <span class="stat-detail">{props.detail ?? "\u00a0"}</span>
      {props.spark && (
        <Sparkline values={props.spark} capacity={props.sparkCapacity ?? props.spark.length} label={`${props.label} over the last minutes`} />
      )}
    </>
  );
  return props.action ? (
    <button class="stat card" onClick={props.action} aria-label={`${props.label}: ${props.value}. Show details`}>
      {body}
    </button>
  ) : (
    <div class="stat card">{body}</div>
  );
}
