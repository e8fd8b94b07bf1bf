// Two logs, one screen: what this app did (connecting to the masq service, requests and their
// errors), and what the masq service itself said (its last 1000 lines, through the control
// API), each filterable by level.

import { useEffect, useRef, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { LogLevel, LogLine } from "../api/types";
import { LEVELS, type ShownLine, atMost, fromApp, fromService } from "../model/logLines";

const KEEP = 2000;
/** Lines asked of the service per poll: all it keeps. */
const SERVICE_LINES = 1000;

type Source = "app" | "service";

/** This app's lines, polled from the backend every second. */
function useAppLines(): ShownLine[] {
  const [lines, setLines] = useState<LogLine[]>([]);
  const after = useRef(0);
  useEffect(() => {
    let live = true;
    const poll = async () => {
      try {
        const more = await backend.logs(after.current);
        if (!live || more.length === 0) return;
        after.current = more[more.length - 1].seq;
        setLines((old) => old.concat(more).slice(-KEEP));
      } catch {
        // The backend is this process; a failed call only means no new lines this time.
      }
    };
    void poll();
    const t = setInterval(poll, 1000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);
  return fromApp(lines);
}

/** The service's lines while that source is shown, polled every two seconds. */
function useServiceLines(active: boolean): { lines: ShownLine[]; error: string | null } {
  const [state, setState] = useState<{ lines: ShownLine[]; error: string | null }>({ lines: [], error: null });
  useEffect(() => {
    if (!active) return;
    let live = true;
    const poll = async () => {
      try {
        const lines = fromService(await backend.daemonLogs(SERVICE_LINES));
        if (live) setState({ lines, error: null });
      } catch (e) {
        if (live) setState((old) => ({ lines: old.lines, error: asGuiError(e).message }));
      }
    };
    void poll();
    const t = setInterval(poll, 2000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [active]);
  return state;
}

export function Logs() {
  const [source, setSource] = useState<Source>("app");
  const [level, setLevel] = useState<LogLevel>("INFO");
  const app = useAppLines();
  const service = useServiceLines(source === "service");
  const shown = atMost(source === "app" ? app : service.lines, level);
  return (
    <div class="screen logs">
      <p class="lede">
        {source === "app"
          ? "What this app did: connecting to the masq service, requests and their errors."
          : "What the masq service said: starting and stopping sharing, the uplink, LAN services and problems it met (its last 1000 lines)."}
      </p>
      <div class="toolbar">
        <label>
          <span>Log of</span>
          <select value={source} onChange={(e) => setSource((e.target as HTMLSelectElement).value as Source)} aria-label="Whose log">
            <option value="app">this app</option>
            <option value="service">the masq service</option>
          </select>
        </label>
        <label>
          <span>Show up to</span>
          <select value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as LogLevel)} aria-label="Most detailed level shown">
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <span class="count">{shown.length} lines</span>
      </div>
      {source === "service" && service.error && (
        <p class="error" role="alert">
          The service's log cannot be read: {service.error}
        </p>
      )}
      <ol class="log" aria-label="Log lines" tabIndex={0}>
        {shown.map((l) => (
          <li key={l.key} class={`log-line ${l.level.toLowerCase()}`}>
            <time>{new Date(l.time_ms).toLocaleTimeString()}</time>
            <span class="level">{l.level}</span>
            <span class="msg">{l.target ? `${l.target}: ${l.message}` : l.message}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
