// Every live translation: which hidden host talks to which remote through which gateway port.

import { useMemo, useState } from "preact/hooks";

import type { Protocol, StatusReport } from "../api/types";
import { MasqDiagram } from "../components/MasqDiagram";
import { VirtualTable, type Column } from "../components/VirtualTable";
import { formatBytes, formatDuration, formatRtt } from "../model/format";
import { pathOf } from "../model/masqPath";
import { DEFAULT_QUERY, runQuery, type Query, type SortKey } from "../model/query";
import { ageAt, type Row } from "../model/translations";
import { store, useNow, useStore } from "../store";

export function Translations() {
  const { status } = useStore();
  const now = useNow();
  const [q, setQ] = useState<Query>(DEFAULT_QUERY);
  const [picked, setPicked] = useState<number | null>(null);
  const version = store.table.version;
  // Age moves with the clock; re-sorting by it every second would shuffle rows under the
  // pointer, so the age sort uses the time of the latest data change instead.
  const rows = useMemo(() => runQuery(store.table.all(), q, Date.now()), [version, q]);

  const sortBy = (id: string) => {
    const key = id as SortKey;
    setQ((old) => ({ ...old, sort: key, dir: old.sort === key && old.dir === "asc" ? "desc" : "asc" }));
  };
  const sortOf = (key: SortKey) => (q.sort === key ? q.dir : null);

  const columns: Column<Row>[] = [
    {
      id: "protocol",
      label: "Protocol",
      width: "7rem",
      sort: sortOf("protocol"),
      render: (r) => (
        <>
          <span class={`proto ${r.protocol}`}>{r.protocol.toUpperCase()}</span>
          {r.inbound && (
            <span class="inbound-mark" title="Started from the internet through a port forward">
              {" "}
              ↘ in
            </span>
          )}
        </>
      ),
    },
    { id: "lan", label: "Hidden host", width: "minmax(11rem, 1fr)", sort: sortOf("lan"), render: (r) => <span class="mono">{r.lan}</span> },
    { id: "remote", label: "Remote", width: "minmax(11rem, 1fr)", sort: sortOf("remote"), render: (r) => <span class="mono">{r.remote ?? "–"}</span> },
    { id: "gateway", label: "Gateway port", width: "minmax(11rem, 1fr)", sort: sortOf("gateway"), render: (r) => <span class="mono">{r.gateway ?? "binding…"}</span> },
    { id: "state", label: "State", width: "8rem", sort: sortOf("state"), render: (r) => r.state },
    { id: "bytes", label: "Bytes ↑ / ↓", width: "11rem", align: "end", sort: sortOf("bytes"), render: (r) => `${formatBytes(r.bytes_out)} / ${formatBytes(r.bytes_in)}` },
    { id: "link", label: "LAN link", width: "9rem", align: "end", render: (r) => <LanLink row={r} /> },
    { id: "age", label: "Age", width: "6rem", align: "end", sort: sortOf("age"), render: (r) => formatDuration(ageAt(r, now)) },
  ];

  return (
    <div class="screen translations">
      <p class="lede">
        Each row is one conversation a hidden host started. The remote side sees it coming from the gateway port, never
        from the hidden host. Rows marked <span class="inbound-mark">↘ in</span> were started from the internet through
        a port forward. Pick a row to see what masq rewrites in it.
      </p>
      <div class="toolbar" role="search">
        <label>
          <span class="visually-hidden">Search</span>
          <input
            type="search"
            placeholder="Search host, remote, port or state"
            value={q.search}
            onInput={(e) => setQ({ ...q, search: (e.target as HTMLInputElement).value })}
            aria-label="Search translations"
          />
        </label>
        <label>
          <span>Protocol</span>
          <select
            value={q.protocol}
            onChange={(e) => setQ({ ...q, protocol: (e.target as HTMLSelectElement).value as Protocol | "all" })}
            aria-label="Show protocol"
          >
            <option value="all">All</option>
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
            <option value="icmp">ICMP (ping)</option>
          </select>
        </label>
        <span class="count" aria-live="polite" data-testid="translation-count">
          {rows.length === store.table.size
            ? `${rows.length} ${rows.length === 1 ? "conversation" : "conversations"}`
            : `${rows.length} of ${store.table.size} conversations`}
        </span>
      </div>
      <VirtualTable
        label="Translations"
        columns={columns}
        rows={rows}
        rowKey={(r) => r.id}
        onSort={sortBy}
        onSelect={(r) => setPicked(r.id)}
        selectedKey={picked}
        empty={store.table.size === 0 ? "No conversations right now. They appear here as soon as a device on the LAN connects somewhere." : "Nothing matches the search."}
      />
      {picked !== null && <PickedPath id={picked} status={status} close={() => setPicked(null)} />}
    </div>
  );
}

/** The picked conversation drawn through the gateway, live; says so when it has ended. */
function PickedPath(props: { id: number; status: StatusReport | null; close: () => void }) {
  const row = store.table.get(props.id);
  return (
    <section class="card picked" aria-labelledby="picked-title">
      <div class="picked-head">
        <h2 id="picked-title">
          {row ? `${row.protocol.toUpperCase()} ${row.lan} ↔ ${row.remote ?? "–"}` : "Conversation ended"}
        </h2>
        <button onClick={props.close}>Close</button>
      </div>
      {row ? (
        <MasqDiagram path={pathOf(row, props.status)} />
      ) : (
        <p class="muted">This conversation has ended, so masq has forgotten its gateway port. Pick another row.</p>
      )}
    </section>
  );
}

/** A TCP flow's leg to the hidden host: its round trip and how many segments had to go again. */
function LanLink({ row }: { row: Row }) {
  const t = row.tcp;
  if (!t) return <span class="muted">–</span>;
  const rtt = t.srtt_us === null ? "–" : formatRtt(t.srtt_us);
  const title =
    `Round trip to the hidden host ${rtt}. ${t.retransmits} segments sent again: ` +
    `${t.fast_recoveries} losses repaired at once, ${t.tlp_recoveries} by a probe, ${t.rtos} after a timeout` +
    (t.spurious_retransmits > 0 ? `; ${t.spurious_retransmits} resends turned out unneeded.` : ".");
  return (
    <span class="mono" title={title}>
      {rtt}
      {t.retransmits > 0 && <span class={t.rtos > 0 ? "link-timeouts" : "muted"}> · {t.retransmits}↻</span>}
    </span>
  );
}
