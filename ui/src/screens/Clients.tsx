// The devices on the LAN: what the daemon knows of each (DHCP lease, neighbour table, flows),
// refreshed every two seconds while this screen is open. A daemon without the `clients`
// request gets the older view derived from the live translations.

import { useEffect, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { LanClient, Settings } from "../api/types";
import { Sparkline } from "../components/Charts";
import { VirtualTable, type Column } from "../components/VirtualTable";
import { isReserved, limitForm, withLimit, withoutReservation, withReservation, type LimitForm } from "../model/clientEdit";
import type { Client } from "../model/clients";
import { formatBytes, formatDuration, formatRate } from "../model/format";
import { store, useStore } from "../store";

const REFRESH_MS = 2000;
const HOW: Record<LanClient["assigned"], string> = { dhcp: "DHCP", reserved: "reserved", static: "static" };

export function Clients() {
  const { daemon } = useStore();
  const [clients, setClients] = useState<LanClient[] | null>(null);
  const [unsupported, setUnsupported] = useState<string | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => {
    if (!daemon?.connected) return;
    let live = true;
    const load = async () => {
      try {
        const c = await backend.clients();
        if (live) setClients(c);
      } catch (e) {
        const g = asGuiError(e);
        if (live && (g.code === "malformed_request" || g.code === "unexpected_answer")) setUnsupported(g.message);
      }
    };
    void load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [daemon?.connected]);
  if (unsupported) return <DerivedClients />;

  const columns: Column<LanClient>[] = [
    { id: "name", label: "Device", width: "minmax(9rem, 1fr)", render: (c) => c.hostname ?? <span class="muted">unnamed</span> },
    { id: "ip", label: "Address", width: "9.5rem", render: (c) => <span class="mono">{c.ip}</span> },
    { id: "mac", label: "MAC", width: "10.5rem", render: (c) => <span class="mono">{c.mac ?? "–"}</span> },
    { id: "assigned", label: "Address from", width: "8.5rem", render: (c) => HOW[c.assigned] ?? c.assigned },
    { id: "flows", label: "Conversations", width: "9rem", align: "end", render: (c) => (c.max_flows ? `${c.flows} of ${c.max_flows}` : c.flows) },
    { id: "bytes", label: "Sent / received", width: "10rem", align: "end", render: (c) => `${formatBytes(c.bytes_out)} / ${formatBytes(c.bytes_in)}` },
    { id: "recent", label: "Last minute ↓", width: "7rem", render: (c) => <ClientSpark address={c.ip} /> },
    { id: "limit", label: "Speed limit", width: "10rem", render: (c) => rateLimit(c) },
    { id: "seen", label: "Last seen", width: "6.5rem", align: "end", render: (c) => `${formatDuration(c.last_seen_s)} ago` },
  ];
  return (
    <div class="screen clients">
      <p class="lede">
        Devices on the LAN that masq has seen: from its DHCP server, the gateway's neighbour table and their
        conversations through this computer. Pick a device to limit its speed or give it a fixed address.
      </p>
      <VirtualTable
        label="Clients"
        columns={columns}
        rows={clients ?? []}
        rowKey={(c) => c.ip}
        onSelect={(c) => setPicked(c.ip)}
        selectedKey={picked}
        empty={clients === null ? "Loading…" : "No device seen on the LAN yet."}
      />
      {picked !== null && (
        <DevicePanel
          key={picked}
          client={clients?.find((c) => c.ip === picked) ?? null}
          ip={picked}
          close={() => setPicked(null)}
          changed={() => backend.clients().then(setClients, () => {})}
        />
      )}
    </div>
  );
}

/** One device's own limits and fixed address, saved through the daemon's settings. */
function DevicePanel(props: { client: LanClient | null; ip: string; close: () => void; changed: () => void }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [form, setForm] = useState<LimitForm>({ down: "", up: "", maxFlows: "" });
  const [error, setError] = useState<{ field?: keyof LimitForm; message: string } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    backend.getSettings().then(
      (s) => {
        setSettings(s);
        setForm(limitForm(s, props.ip));
      },
      (e) => setError({ message: asGuiError(e).message }),
    );
  }, [props.ip]);

  const save = async (next: Settings, done: string) => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const stored = await backend.setSettings(next);
      setSettings(stored);
      setForm(limitForm(stored, props.ip));
      setSaved(done);
      props.changed();
    } catch (e) {
      const g = asGuiError(e);
      setError({ message: g.message });
    } finally {
      setBusy(false);
    }
  };

  const saveLimit = (e: Event) => {
    e.preventDefault();
    if (!settings) return;
    const next = withLimit(settings, props.ip, form);
    if ("field" in next) {
      setError(next);
      document.getElementById(`limit-${next.field}`)?.focus();
      return;
    }
    void save(next, "Saved. The new limits apply now.");
  };

  const c = props.client;
  const name = c?.hostname ? `${c.hostname} (${props.ip})` : props.ip;
  const reserved = settings ? isReserved(settings, props.ip) : false;
  const field = (id: keyof LimitForm, label: string, hint: string) => (
    <label>
      <span>{label}</span>
      <input
        id={`limit-${id}`}
        class="mono"
        inputMode="decimal"
        value={form[id]}
        placeholder="no limit"
        aria-invalid={error?.field === id}
        aria-describedby={error?.field === id ? "limit-error" : undefined}
        onInput={(e) => setForm({ ...form, [id]: (e.target as HTMLInputElement).value })}
      />
      <span class="muted hint">{hint}</span>
    </label>
  );
  return (
    <section class="card device" aria-labelledby="device-title" data-testid="device-panel">
      <div class="picked-head">
        <h2 id="device-title">{name}</h2>
        <button onClick={props.close}>Close</button>
      </div>
      {!c && <p class="muted">This device is not on the LAN right now; its settings can still be changed.</p>}
      <form class="limit-form" onSubmit={saveLimit}>
        {field("down", "Download limit (KB/s)", "what it may receive")}
        {field("up", "Upload limit (KB/s)", "what it may send")}
        {field("maxFlows", "Most conversations", "at once")}
        <button type="submit" class="primary" disabled={busy || !settings}>
          Save limits
        </button>
      </form>
      <div class="reserve">
        {reserved ? (
          <>
            <span>This device always gets {props.ip}.</span>
            <button disabled={busy || !settings} onClick={() => settings && save(withoutReservation(settings, props.ip), "Saved. The DHCP server stops reserving the address from the next start of sharing.")}>
              Stop reserving
            </button>
          </>
        ) : c?.mac ? (
          <button disabled={busy || !settings} onClick={() => settings && save(withReservation(settings, c), "Saved. The DHCP server gives this device the address from the next start of sharing.")}>
            Always give this device {props.ip}
          </button>
        ) : (
          <span class="muted">masq does not know this device's hardware address, so it cannot reserve an address for it.</span>
        )}
      </div>
      {saved && (
        <p class="ok" role="status">
          {saved}
        </p>
      )}
      {error && (
        <p class="error" role="alert" id="limit-error">
          {error.message}
        </p>
      )}
    </section>
  );
}

function DerivedClients() {
  useStore();
  const clients = store.clients;
  const columns: Column<Client>[] = [
    { id: "address", label: "Device (LAN address)", width: "minmax(10rem, 1fr)", render: (c) => <span class="mono">{c.address}</span> },
    { id: "flows", label: "Conversations", width: "8rem", align: "end", render: (c) => c.flows },
    { id: "mix", label: "TCP / UDP / ping", width: "9rem", align: "end", render: (c) => `${c.tcp} / ${c.udp} / ${c.icmp}` },
    { id: "bytes", label: "Sent / received", width: "11rem", align: "end", render: (c) => `${formatBytes(c.bytes_out)} / ${formatBytes(c.bytes_in)}` },
    { id: "recent", label: "Last minute ↓", width: "7rem", render: (c) => <ClientSpark address={c.address} /> },
    { id: "remotes", label: "Talks most to", width: "minmax(12rem, 1.5fr)", render: (c) => <span class="mono">{c.top_remotes.join(", ") || "–"}</span> },
  ];
  return (
    <div class="screen clients">
      <p class="lede">
        This masq service does not report clients itself, so this list is built from the live conversations: devices
        that are connected but quiet right now are not listed.
      </p>
      <VirtualTable label="Clients" columns={columns} rows={clients} rowKey={(c) => c.address} empty="No device is using the connection right now." />
    </div>
  );
}

/** The device's download over the last minute, from its conversations' byte counts. */
function ClientSpark({ address }: { address: string }) {
  const rates = store.clientRates.of(address);
  const now = rates[rates.length - 1]?.down ?? 0;
  return (
    <Sparkline
      values={rates.map((r) => r.down)}
      capacity={store.clientRates.capacity}
      label={`${address} downloads ${formatRate(now)} now`}
    />
  );
}

/** "up 250 KiB/s, down 1.2 MiB/s", or a dash for a device without its own limit. */
function rateLimit(c: LanClient): string {
  const parts = [
    c.up_limit_bytes_per_s ? `up ${formatBytes(c.up_limit_bytes_per_s)}/s` : null,
    c.down_limit_bytes_per_s ? `down ${formatBytes(c.down_limit_bytes_per_s)}/s` : null,
  ].filter((p) => p !== null);
  return parts.length ? parts.join(", ") : "–";
}
