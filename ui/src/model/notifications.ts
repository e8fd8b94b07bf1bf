// Desktop notifications the user turns on (Settings → This app): a new device joined the LAN,
// sharing stopped without the user stopping it, the uplink changed. Worked out from the
// daemon's updates, so they say only what the daemon reported; the first update after the
// window opens (or reconnects) only sets the baseline, so opening the window never notifies.

import type { StatusReport } from "../api/types";

/** Which notifications the user wants; all off until turned on. */
export interface NotifyPrefs {
  newDevice: boolean;
  sharingStopped: boolean;
  uplinkChanged: boolean;
}

export const NO_NOTIFICATIONS: NotifyPrefs = { newDevice: false, sharingStopped: false, uplinkChanged: false };

export interface Notice {
  kind: keyof NotifyPrefs;
  title: string;
  body: string;
}

const STORAGE_KEY = "masq.notifications";

/** The saved choice (this computer, this user), or all off. */
export function loadPrefs(storage: Pick<Storage, "getItem"> | undefined = globalThis.localStorage): NotifyPrefs {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "null") as Partial<NotifyPrefs> | null;
    return { ...NO_NOTIFICATIONS, ...(saved ?? {}) };
  } catch {
    return NO_NOTIFICATIONS;
  }
}

export function savePrefs(prefs: NotifyPrefs, storage: Pick<Storage, "setItem"> | undefined = globalThis.localStorage): void {
  storage?.setItem(STORAGE_KEY, JSON.stringify(prefs));
}

/** Turns successive updates into notices. */
export class Notifier {
  private hosts: Set<string> | null = null;
  private running: boolean | null = null;
  private roamingChanges: number | null = null;
  private stopExpected = false;

  /** The user asked to stop sharing: the next stop is theirs, not news. */
  expectStop(): void {
    this.stopExpected = true;
  }

  /** Forgets everything (the daemon went away); the next update is a new baseline. */
  reset(): void {
    this.hosts = null;
    this.running = null;
    this.roamingChanges = null;
    this.stopExpected = false;
  }

  /** The notices one update brings; `hosts` are the LAN addresses with conversations now. */
  feed(status: StatusReport, hosts: Iterable<string>): Notice[] {
    const notices: Notice[] = [];
    // Devices seen since the window opened; kept across a stop of sharing, so devices that
    // come back after a restart are not news. The first update while sharing is the baseline.
    if (status.running) {
      const seen = this.hosts;
      if (seen !== null) {
        for (const h of hosts) {
          if (!seen.has(h)) {
            notices.push({ kind: "newDevice", title: "A new device is sharing the connection", body: `${h} started using the internet through this computer.` });
          }
        }
      }
      this.hosts = new Set([...(seen ?? []), ...hosts]);
    }

    if (this.running === true && !status.running) {
      if (!this.stopExpected) {
        notices.push({
          kind: "sharingStopped",
          title: "Sharing stopped",
          body: status.last_error ? `masq stopped sharing: ${status.last_error}` : "masq stopped sharing the connection.",
        });
      }
      this.stopExpected = false;
    }
    if (status.running) this.stopExpected = false;
    this.running = status.running;

    const roaming = status.roaming;
    const changes = roaming?.changes ?? null;
    if (this.roamingChanges !== null && changes !== null && changes > this.roamingChanges && roaming?.last_change) {
      const c = roaming.last_change;
      const body = {
        switched: `Sharing now uses ${c.to} instead of ${c.from}.`,
        readdressed: `${c.to} has a new address; sharing goes on.`,
        lost: `The internet connection ${c.from} is gone${c.reason ? ` (${c.reason})` : ""}; sharing waits for it or another.`,
        restored: `The internet connection ${c.to} is back; sharing goes on.`,
      }[c.kind];
      notices.push({ kind: "uplinkChanged", title: "The internet connection changed", body });
    }
    if (changes !== null) this.roamingChanges = changes;
    return notices;
  }
}
