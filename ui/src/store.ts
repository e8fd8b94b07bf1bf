// The app's live state: the daemon connection, the latest status, the translation table and
// the inbound log, fed by backend events. Components subscribe with `useStore` and re-render
// at most once per animation frame however many events arrive.

import { useEffect, useState } from "preact/hooks";

import { backend } from "./api/backend";
import type { DaemonState, StatusReport, Update } from "./api/types";
import { deriveClients, type Client } from "./model/clients";
import { ClientRates, Window, type Sample } from "./model/history";
import { InboundLog } from "./model/inbound";
import { Notifier, loadPrefs, savePrefs, type NotifyPrefs } from "./model/notifications";
import { ThroughputMeter, type Rates } from "./model/throughput";
import { TranslationTable } from "./model/translations";

export interface AppState {
  daemon: DaemonState | null;
  status: StatusReport | null;
  rates: Rates;
  /** Local time (ms) of the latest update. */
  updatedAt: number;
}

export class Store {
  readonly table = new TranslationTable();
  readonly inbound = new InboundLog();
  private readonly meter = new ThroughputMeter();
  /** The last five minutes of the gateway's rates and conversation count, for the charts. */
  readonly history = new Window<Sample>(300);
  /** The last minute of each client's rates, for the Clients screen's sparklines. */
  readonly clientRates = new ClientRates(60);
  /** Desktop notifications the user turned on, worked out from the updates. */
  readonly notifier = new Notifier();
  notifyPrefs: NotifyPrefs = loadPrefs();
  /** The LAN devices seen in the latest update, worked out once per update for every screen. */
  clients: Client[] = [];
  state: AppState = { daemon: null, status: null, rates: { up: 0, down: 0 }, updatedAt: 0 };
  private listeners = new Set<() => void>();
  private scheduled = false;

  applyUpdate(u: Update, now = Date.now()): void {
    this.table.apply(u.translations, u.first, now);
    this.inbound.apply(u.inbound, u.first, now);
    const rates = this.meter.feed(u.status);
    const clients = u.status.running ? deriveClients(this.table.all()) : [];
    this.clients = clients;
    for (const n of this.notifier.feed(u.status, clients.map((c) => c.address))) {
      if (this.notifyPrefs[n.kind]) void backend.notify(n.title, n.body).catch(() => {});
    }
    if (u.status.running) {
      this.history.push({ down: rates.down, up: rates.up, flows: this.table.size });
      this.clientRates.feed(clients, u.status.uptime_s);
    } else {
      this.history.clear();
      this.clientRates.clear();
    }
    this.state = { ...this.state, status: u.status, rates, updatedAt: now };
    this.changed();
  }

  setDaemon(d: DaemonState): void {
    if (!d.connected) {
      this.table.clear();
      this.inbound.clear();
      this.clients = [];
      this.history.clear();
      this.clientRates.clear();
      this.notifier.reset();
      this.state = { ...this.state, status: null, rates: { up: 0, down: 0 } };
    }
    this.state = { ...this.state, daemon: d };
    this.changed();
  }

  /** Changes which notifications this user gets, and keeps the choice. */
  setNotifyPrefs(prefs: NotifyPrefs): void {
    this.notifyPrefs = prefs;
    savePrefs(prefs);
    this.changed();
  }

  subscribe(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      for (const f of this.listeners) f();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else queueMicrotask(run);
  }

  /** Starts listening to the backend; resolves once both listeners are in place. */
  async connect(): Promise<void> {
    await backend.onDaemon((d) => this.setDaemon(d));
    await backend.onUpdate((u) => this.applyUpdate(u));
    this.setDaemon(await backend.daemonState());
  }
}

export const store = new Store();

/** Re-renders the caller whenever the store changes; returns the store's state. */
export function useStore(): AppState {
  const [, bump] = useState(0);
  useEffect(() => store.subscribe(() => bump((n) => n + 1)), []);
  return store.state;
}

/** A clock that ticks every second, for extrapolated ages. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}
