// The devices on the LAN that are using the shared connection right now.

import { useMemo } from "preact/hooks";

import { VirtualTable, type Column } from "../components/VirtualTable";
import { deriveClients, type Client } from "../model/clients";
import { formatBytes } from "../model/format";
import { store, useStore } from "../store";

export function Clients() {
  useStore();
  const version = store.table.version;
  const clients = useMemo(() => deriveClients(store.table.all()), [version]);
  const columns: Column<Client>[] = [
    { id: "address", label: "Device (LAN address)", width: "minmax(10rem, 1fr)", render: (c) => <span class="mono">{c.address}</span> },
    { id: "flows", label: "Conversations", width: "8rem", align: "end", render: (c) => c.flows },
    { id: "mix", label: "TCP / UDP / ping", width: "9rem", align: "end", render: (c) => `${c.tcp} / ${c.udp} / ${c.icmp}` },
    { id: "bytes", label: "Sent / received", width: "11rem", align: "end", render: (c) => `${formatBytes(c.bytes_out)} / ${formatBytes(c.bytes_in)}` },
    { id: "remotes", label: "Talks most to", width: "minmax(12rem, 1.5fr)", render: (c) => <span class="mono">{c.top_remotes.join(", ") || "–"}</span> },
  ];
  return (
    <div class="screen clients">
      <p class="lede">
        Devices with at least one live conversation through this computer. A device that is connected but quiet right
        now is not listed.
      </p>
      <VirtualTable label="Clients" columns={columns} rows={clients} rowKey={(c) => c.address} empty="No device is using the connection right now." />
    </div>
  );
}
