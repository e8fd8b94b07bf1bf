// The GUI's only way out: Tauri commands and events implemented in src-tauri/src/commands.rs
// and subscription.rs. Command and event names here and there must match.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type {
  DaemonLogLine,
  DaemonState,
  ForwardKey,
  ForwardSpec,
  ForwardView,
  GuiError,
  InboundAttempt,
  LanClient,
  LogLine,
  Settings,
  SetupReport,
  StatusReport,
  Translation,
  Update,
} from "./types";

export const EVENT_UPDATE = "masq://update";
export const EVENT_DAEMON = "masq://daemon";

export const backend = {
  status: () => invoke<StatusReport>("status"),
  translations: () => invoke<Translation[]>("translations"),
  inbound: () => invoke<InboundAttempt[]>("inbound"),
  clients: () => invoke<LanClient[]>("clients"),
  getSettings: () => invoke<Settings>("get_settings"),
  setSettings: (settings: Settings) => invoke<Settings>("set_settings", { settings }),
  start: () => invoke<void>("start"),
  stop: () => invoke<void>("stop"),
  clearInbound: () => invoke<void>("clear_inbound"),
  forwards: () => invoke<ForwardView[]>("forwards"),
  addForward: (forward: ForwardSpec) => invoke<ForwardView[]>("add_forward", { forward }),
  updateForward: (key: ForwardKey, forward: ForwardSpec) => invoke<ForwardView[]>("update_forward", { key, forward }),
  removeForward: (key: ForwardKey) => invoke<ForwardView[]>("remove_forward", { key }),
  enableForward: (key: ForwardKey, enabled: boolean) => invoke<ForwardView[]>("enable_forward", { key, enabled }),
  daemonState: () => invoke<DaemonState>("daemon_state"),
  startService: () => invoke<void>("start_service"),
  logs: (after: number) => invoke<LogLine[]>("logs", { after }),
  setupCheck: (lan: string | null, lanAddr: string | null) =>
    invoke<SetupReport>("setup_check", { lan, lanAddr }),
  /** A desktop notification through Tauri's notification plugin (its `notify` command). */
  notify: (title: string, body: string) => invoke<void>("plugin:notification|notify", { options: { title, body } }),
  daemonLogs: (limit: number) => invoke<DaemonLogLine[]>("daemon_logs", { level: null, limit }),
  onUpdate: (f: (u: Update) => void): Promise<UnlistenFn> => listen<Update>(EVENT_UPDATE, (e) => f(e.payload)),
  onDaemon: (f: (d: DaemonState) => void): Promise<UnlistenFn> => listen<DaemonState>(EVENT_DAEMON, (e) => f(e.payload)),
};

/** Any rejection from `invoke` as a GuiError (the backend always rejects with one). */
export function asGuiError(e: unknown): GuiError {
  if (e && typeof e === "object" && "message" in e) {
    const g = e as Partial<GuiError>;
    return { code: String(g.code ?? "error"), message: String(g.message), key: g.key ?? null };
  }
  return { code: "error", message: String(e) };
}
