// The app's own log lines (connection to the service, requests, errors), filterable by level.
// The service's log is not carried by the control API yet; it goes to the service's stderr.

import { useEffect, useRef, useState } from "preact/hooks";

import { backend } from "../api/backend";
import type { LogLevel, LogLine } from "../api/types";

const LEVELS: LogLevel[] = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"];
const KEEP = 2000;

export function Logs() {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [level, setLevel] = useState<LogLevel>("INFO");
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
  const max = LEVELS.indexOf(level);
  const shown = lines.filter((l) => LEVELS.indexOf(l.level) <= max);
  return (
    <div class="screen logs">
      <p class="lede">
        What this app did: connecting to the masq service, requests and their errors. The service writes its own log to
        its standard error (for example <code>journalctl</code> when run by systemd).
      </p>
      <div class="toolbar">
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
      <ol class="log" aria-label="Log lines" tabIndex={0}>
        {shown.map((l) => (
          <li key={l.seq} class={`log-line ${l.level.toLowerCase()}`}>
            <time>{new Date(l.time_ms).toLocaleTimeString()}</time>
            <span class="level">{l.level}</span>
            <span class="msg">{l.message}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
