// Every setting, with the daemon's own validation message next to the field it is about.

import { useEffect, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { Settings } from "../api/types";
import { FIELDS, fieldForKey, fromForm, toForm, type Field, type FormValues } from "../model/settingsForm";
import type { NotifyPrefs } from "../model/notifications";
import { store, useStore } from "../store";

const GROUPS = ["Sharing", "DHCP", "DNS", "IPv6", "Port mapping", "Limits", "TCP", "UDP", "ICMP"] as const;

export function SettingsScreen() {
  const { daemon, status } = useStore();
  const [base, setBase] = useState<Settings | null>(null);
  const [values, setValues] = useState<FormValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const s = await backend.getSettings();
      setBase(s);
      setValues(toForm(s));
      setErrors({});
    } catch (e) {
      setMessage({ kind: "error", text: asGuiError(e).message });
    }
  };
  useEffect(() => {
    if (daemon?.connected) void load();
  }, [daemon?.connected]);

  if (!base)
    return (
      <div class="screen settings">
        <AppNotifications />
        <p class="empty">{daemon?.connected ? "Loading settings…" : "Settings are kept by the masq service, which is not running."}</p>
      </div>
    );

  const save = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    const built = fromForm(base, values);
    if (!built.settings) {
      setErrors(built.errors);
      focusFirstError(built.errors);
      return;
    }
    setBusy(true);
    try {
      const stored = await backend.setSettings(built.settings);
      setBase(stored);
      setValues(toForm(stored));
      setErrors({});
      setMessage({ kind: "ok", text: status?.running ? "Saved. They take effect the next time sharing starts." : "Saved." });
    } catch (err) {
      const g = asGuiError(err);
      const field = g.key ? fieldForKey(g.key) : null;
      if (field) {
        setErrors({ [field]: g.message });
        focusFirstError({ [field]: g.message });
      } else {
        setMessage({ kind: "error", text: g.message });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="screen settings" onSubmit={save} noValidate>
      <AppNotifications />
      {GROUPS.map((g) => (
        <fieldset key={g} class="card">
          <legend>{g}</legend>
          {FIELDS.filter((f) => f.group === g).map((f) => (
            <FieldRow
              key={f.key}
              field={f}
              value={values[f.key]}
              error={errors[f.key]}
              onChange={(v) => {
                setValues({ ...values, [f.key]: v });
                if (errors[f.key]) {
                  const { [f.key]: _, ...rest } = errors;
                  setErrors(rest);
                }
              }}
            />
          ))}
        </fieldset>
      ))}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Save settings
        </button>
        <button type="button" onClick={load} disabled={busy}>
          Undo changes
        </button>
        {message && (
          <span class={message.kind === "ok" ? "ok" : "error"} role={message.kind === "ok" ? "status" : "alert"}>
            {message.text}
          </span>
        )}
      </div>
    </form>
  );
}

function fieldId(key: string): string {
  return `setting-${key.replace(/\./g, "-")}`;
}

function focusFirstError(errors: Record<string, string>): void {
  const first = FIELDS.find((f) => errors[f.key]);
  if (first) requestAnimationFrame(() => document.getElementById(fieldId(first.key))?.focus());
}

function FieldRow(props: { field: Field; value: string | boolean | undefined; error?: string; onChange: (v: string | boolean) => void }) {
  const { field: f } = props;
  const id = fieldId(f.key);
  const describedBy = `${id}-help${props.error ? ` ${id}-error` : ""}`;
  const common = { id, "aria-describedby": describedBy, "aria-invalid": props.error ? true : undefined };
  let input;
  switch (f.kind.type) {
    case "bool":
      input = <input {...common} type="checkbox" checked={Boolean(props.value)} onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)} />;
      break;
    case "select":
      input = (
        <select {...common} value={String(props.value ?? "")} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
          {f.kind.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
      break;
    case "int":
      input = (
        <span class="with-unit">
          <input {...common} type="text" inputMode="numeric" value={String(props.value ?? "")} onInput={(e) => props.onChange((e.target as HTMLInputElement).value)} />
          {f.kind.unit && <span class="unit">{f.kind.unit}</span>}
        </span>
      );
      break;
    case "reservations":
      input = (
        <textarea
          {...common}
          rows={3}
          spellcheck={false}
          placeholder="aa:bb:cc:dd:ee:ff 192.168.137.20 printer"
          value={String(props.value ?? "")}
          onInput={(e) => props.onChange((e.target as HTMLTextAreaElement).value)}
        />
      );
      break;
    case "text":
      input = (
        <input {...common} type="text" spellcheck={false} placeholder={f.kind.placeholder} value={String(props.value ?? "")} onInput={(e) => props.onChange((e.target as HTMLInputElement).value)} />
      );
      break;
  }
  return (
    <div class={props.error ? "field invalid" : "field"} data-key={f.key}>
      <label for={id}>{f.label}</label>
      {input}
      <p id={`${id}-help`} class="help">
        {f.help} <code>{f.key}</code>
      </p>
      {props.error && (
        <p id={`${id}-error`} class="field-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** This app's own choices (this computer, this user), apart from the service's settings. */
function AppNotifications() {
  useStore();
  const prefs = store.notifyPrefs;
  const box = (key: keyof NotifyPrefs, label: string) => (
    <label class="check">
      <input type="checkbox" checked={prefs[key]} onChange={(e) => store.setNotifyPrefs({ ...prefs, [key]: (e.target as HTMLInputElement).checked })} />
      <span>{label}</span>
    </label>
  );
  return (
    <section class="card app-notifications" aria-labelledby="notify-title">
      <h2 id="notify-title">Notifications from this app</h2>
      <p class="muted">Shown on this computer while the app runs (also from the tray); off until you turn them on.</p>
      {box("newDevice", "A new device starts using the connection")}
      {box("sharingStopped", "Sharing stops without you stopping it")}
      {box("uplinkChanged", "The internet connection changes")}
    </section>
  );
}

