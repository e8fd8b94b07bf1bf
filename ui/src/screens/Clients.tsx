// The devices on the LAN: what the daemon knows of each (DHCP lease, neighbour table, flows),
// refreshed every two seconds while this screen is open. A daemon without the `clients`
// request gets the older view derived from the live translations.

import { useEffect, useMemo, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { LanClient } from "../api/types";
import { Sparkline } from "../components/Charts";
import { VirtualTable, type Column } from "../components/VirtualTable";
import { deriveClients, type Client } from "../model/clients";
import { formatBytes, formatDuration, formatRate } from "../model/format";
import { store, useStore } from "../store";

const REFRESH_MS = 2000;
const HOW: Record<LanClient["assigned"], string> = { dhcp: "DHCP", reserved: "reserved", static: "static" };

export function Clients() {
  const { daemon } = useStore();
  const [clients, setClients] = useState<LanClient[] | null>(null);
  const [unsupported, setUnsupported] = useState<string | null>(null);
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
        conversations through this computer.
      </p>
      <VirtualTable
        label="Clients"
        columns={columns}
        rows={clients ?? []}
        rowKey={(c) => c.ip}
        empty={clients === null ? "Loading…" : "No device seen on the LAN yet."}
      />
    </div>
  );
}

function DerivedClients() {
  useStore();
  const version = store.table.version;
  const clients = useMemo(() => deriveClients(store.table.all()), [version]);
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
