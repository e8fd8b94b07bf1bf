// The Logs screen's two sources in one shape: the app's own lines and the masq service's
// (the control API's `logs` answer), filtered by the most detailed level the user wants.

import type { DaemonLogLine, LogLevel, LogLine } from "../api/types";

export const LEVELS: LogLevel[] = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"];

/** One line as the screen shows it. */
export interface ShownLine {
  key: string;
  time_ms: number;
  level: LogLevel;
  /** Where in the program it came from (the service's module path; empty for the app). */
  target: string;
  message: string;
}

/** Lines at or above `max` in seriousness (ERROR is the most serious). */
export function atMost(lines: ShownLine[], max: LogLevel): ShownLine[] {
  const limit = LEVELS.indexOf(max);
  return lines.filter((l) => LEVELS.indexOf(l.level) <= limit);
}

export function fromApp(lines: LogLine[]): ShownLine[] {
  return lines.map((l) => ({ key: `app-${l.seq}`, time_ms: l.time_ms, level: l.level, target: "", message: l.message }));
}

/**
 * The service's lines; each poll brings its latest lines whole (the service keeps the last
 * 1000), so they replace the previous ones. Keys count repeats of the same time and text, so
 * two identical lines in one millisecond stay two rows.
 */
export function fromService(lines: DaemonLogLine[]): ShownLine[] {
  const seen = new Map<string, number>();
  return lines.map((l) => {
    const base = `svc-${l.unix_ms}-${l.target}-${l.message}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return {
      key: `${base}-${n}`,
      time_ms: l.unix_ms,
      level: l.level.toUpperCase() as LogLevel,
      target: l.target,
      message: l.message,
    };
  });
}
