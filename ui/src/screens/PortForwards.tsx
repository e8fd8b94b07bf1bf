// Port forwards: the one way in. Lists the user's forwards and LAN clients' port mappings with
// their state, adds (form prefilled from a refused attempt when the Inbound screen sent us),
// changes the user's own in place, switches and removes them. Refreshed every two seconds
// while this screen is open.

import { useEffect, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { ForwardKey, ForwardView, LanClient } from "../api/types";
import {
  EMPTY_FORM,
  checkForm,
  editable,
  formFromView,
  forwardSentence,
  keyText,
  originText,
  sortForwards,
  stateText,
  stateTone,
  targetText,
  type ForwardField,
  type ForwardForm,
} from "../model/forwards";
import { useStore } from "../store";

const REFRESH_MS = 2000;

export function PortForwards(props: { prefill: ForwardForm | null }) {
  const { daemon, status } = useStore();
  const [list, setList] = useState<ForwardView[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [adding, setAdding] = useState(props.prefill !== null);
  const [editing, setEditing] = useState<ForwardView | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const gateway = status?.uplink?.addresses[0]?.split("/")[0] ?? null;

  useEffect(() => {
    if (props.prefill) setAdding(true);
  }, [props.prefill]);

  useEffect(() => {
    if (!daemon?.connected) return;
    let live = true;
    const load = async () => {
      try {
        const l = await backend.forwards();
        if (live) {
          setList(l);
          setLoadError(null);
        }
      } catch (e) {
        if (live) setLoadError(asGuiError(e).message);
      }
    };
    void load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [daemon?.connected]);

  const act = async (f: () => Promise<ForwardView[]>) => {
    setActionError(null);
    try {
      setList(await f());
    } catch (e) {
      setActionError(asGuiError(e).message);
    }
  };

  const forwards = sortForwards(list ?? []);
  return (
    <div class="screen forwards">
      <section class="card explain" aria-labelledby="fwd-what">
        <h2 id="fwd-what">What a port forward is</h2>
        <p>
          With sharing on, the devices on your LAN are hidden: the internet sees only this computer. A port forward is
          the exception you make on purpose: everything that reaches this computer on one port (or range) is passed to
          one device on the LAN, for example a game server or a camera you want to reach from outside. That device sees
          the real address of whoever connects.
        </p>
        <p>
          Devices on the LAN can also ask for forwards themselves through NAT-PMP or PCP when that is switched on in
          Settings; those are listed here with the device that asked and when they expire.
        </p>
      </section>
      <div class="toolbar">
        <button onClick={() => setAdding(!adding)} aria-expanded={adding} aria-controls="fwd-add" disabled={!daemon?.connected}>
          Add a port forward…
        </button>
        <span class="count" data-testid="forward-count">
          {forwards.length === 1 ? "1 forward" : `${forwards.length} forwards`}
        </span>
      </div>
      {editing && (
        <AddForm
          key={`edit-${keyText(editing.key)}`}
          initial={formFromView(editing)}
          editing={editing}
          gateway={gateway}
          connected={!!daemon?.connected}
          onAdded={(l) => {
            setList(l);
            setEditing(null);
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {adding && !editing && (
        <AddForm
          key={JSON.stringify(props.prefill)}
          initial={props.prefill ?? EMPTY_FORM}
          gateway={gateway}
          connected={!!daemon?.connected}
          onAdded={(l) => {
            setList(l);
            setAdding(false);
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {loadError && (
        <p class="error" role="alert">
          Could not read the forwards: {loadError}
        </p>
      )}
      {actionError && (
        <p class="error" role="alert" data-testid="forward-action-error">
          {actionError}
        </p>
      )}
      {forwards.length === 0 ? (
        <p class="empty">No port forwards. Nothing from the internet can reach the devices on the LAN.</p>
      ) : (
        <ul class="forward-list" aria-label="Port forwards">
          {forwards.map((f) => (
            <ForwardItem
              key={keyText(f.key)}
              view={f}
              onEnable={(on) => act(() => backend.enableForward(f.key, on))}
              onEdit={editable(f) ? () => setEditing(f) : undefined}
              onRemove={() => act(() => backend.removeForward(f.key))}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function describe(key: ForwardKey, v: ForwardView): string {
  return `${key.protocol.toUpperCase()} ${v.spec.public} to ${targetText(v.spec)}`;
}

function ForwardItem(props: {
  view: ForwardView;
  onEnable: (on: boolean) => void;
  /** Absent for forwards the user cannot change here (a LAN device's port mapping). */
  onEdit?: () => void;
  onRemove: () => void;
}) {
  const v = props.view;
  const [confirming, setConfirming] = useState(false);
  const id = `fwd-${v.key.protocol}-${v.key.port}`;
  const what = describe(v.key, v);
  return (
    <li class="card forward" data-testid={id}>
      <div class="forward-head">
        <span class={`proto ${v.key.protocol}`}>{v.key.protocol.toUpperCase()}</span>
        <span class="mono">{v.spec.public}</span>
        <span aria-hidden="true">→</span>
        <span class="mono">{targetText(v.spec)}</span>
        {v.spec.name && <span class="forward-name">{v.spec.name}</span>}
        <span class={`forward-state ${stateTone(v.state)}`} data-testid="forward-state">
          {stateText(v.state)}
        </span>
      </div>
      <p class="muted forward-detail">
        Opened by {originText(v)} · {v.connections === 1 ? "1 connection" : `${v.connections} connections`} so far
      </p>
      <div class="forward-actions">
        <label class="switch small">
          <input
            type="checkbox"
            role="switch"
            checked={v.enabled}
            aria-label={`Forward ${what}`}
            onChange={(e) => props.onEnable((e.target as HTMLInputElement).checked)}
          />
          <span class="track" aria-hidden="true">
            <span class="thumb" />
          </span>
          <span>{v.enabled ? "On" : "Off"}</span>
        </label>
        {props.onEdit && (
          <button onClick={props.onEdit} aria-label={`Change forward ${what}…`}>
            Change…
          </button>
        )}
        {confirming ? (
          <span class="confirm" role="group" aria-label={`Remove forward ${what}?`}>
            <span>Remove this forward{v.spec.origin?.kind === "port_map" ? " (the device may ask again)" : ""}?</span>
            <button class="danger" onClick={props.onRemove} aria-label={`Yes, remove forward ${what}`}>
              Remove
            </button>
            <button onClick={() => setConfirming(false)} autoFocus>
              Keep
            </button>
          </span>
        ) : (
          <button onClick={() => setConfirming(true)} aria-label={`Remove forward ${what}…`}>
            Remove…
          </button>
        )}
      </div>
    </li>
  );
}

function AddForm(props: {
  initial: ForwardForm;
  /** The forward being changed; absent when adding a new one. */
  editing?: ForwardView;
  gateway: string | null;
  connected: boolean;
  onAdded: (l: ForwardView[]) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<ForwardForm>(props.initial);
  const [shown, setShown] = useState<Partial<Record<ForwardField, string>>>({});
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [clients, setClients] = useState<LanClient[]>([]);
  useEffect(() => {
    backend.clients().then(setClients, () => setClients([]));
  }, []);

  const set = (k: keyof ForwardForm) => (e: Event) => {
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
    setShown({ ...shown, [k]: undefined });
    setRefusal(null);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const c = checkForm(form);
    if (!c.ok) {
      setShown(c.errors);
      const first = (["public", "host", "targetPort", "name"] as const).find((f) => c.errors[f]);
      if (first) document.getElementById(`fwd-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const editing = props.editing;
      props.onAdded(
        editing
          ? await backend.updateForward(editing.key, { ...c.spec, enabled: editing.enabled })
          : await backend.addForward(c.spec),
      );
    } catch (err) {
      setRefusal(asGuiError(err).message);
    } finally {
      setBusy(false);
    }
  };
  const sentence = forwardSentence(form, props.gateway);
  const field = (k: ForwardField, label: string, input: preact.JSX.Element, help?: string) => (
    <div class={`field${shown[k] ? " invalid" : ""}`}>
      <label for={`fwd-${k}`}>{label}</label>
      {input}
      {help && (
        <p id={`fwd-${k}-help`} class="help">
          {help}
        </p>
      )}
      {shown[k] && (
        <p id={`fwd-${k}-error`} class="field-error" role="alert">
          {shown[k]}
        </p>
      )}
    </div>
  );
  const described = (k: ForwardField, help: boolean) =>
    [help ? `fwd-${k}-help` : "", shown[k] ? `fwd-${k}-error` : ""].filter(Boolean).join(" ") || undefined;

  return (
    <form id="fwd-add" class="card forward-form" aria-labelledby="fwd-add-title" onSubmit={submit} noValidate>
      <h2 id="fwd-add-title">{props.editing ? "Change port forward" : "New port forward"}</h2>
      <div class="forward-fields">
        <div class="field">
          <label for="fwd-protocol">Protocol</label>
          <select id="fwd-protocol" value={form.protocol} onChange={set("protocol")}>
            <option value="tcp">TCP</option>
            <option value="udp">UDP</option>
          </select>
        </div>
        {field(
          "public",
          "Public port or range",
          <input
            id="fwd-public"
            inputMode="numeric"
            placeholder="8080 or 27015-27030"
            value={form.public}
            onInput={set("public")}
            aria-invalid={shown.public ? true : undefined}
            aria-describedby={described("public", true)}
          />,
          "The port on this computer that people on the internet connect to.",
        )}
        {field(
          "host",
          "LAN device",
          <input
            id="fwd-host"
            list="fwd-clients"
            placeholder="192.168.137.10"
            value={form.host}
            onInput={set("host")}
            aria-invalid={shown.host ? true : undefined}
            aria-describedby={described("host", true)}
          />,
          "Pick one of the clients or type its address.",
        )}
        <datalist id="fwd-clients">
          {clients.map((c) => (
            <option key={c.ip} value={c.ip}>
              {c.hostname ?? c.ip}
            </option>
          ))}
        </datalist>
        {field(
          "targetPort",
          "Port on the device",
          <input
            id="fwd-targetPort"
            inputMode="numeric"
            placeholder={form.public.split("-")[0] || "same as public"}
            value={form.targetPort}
            onInput={set("targetPort")}
            aria-invalid={shown.targetPort ? true : undefined}
            aria-describedby={described("targetPort", true)}
          />,
          "Empty means the same as the public port.",
        )}
        {field(
          "name",
          "Name (optional)",
          <input
            id="fwd-name"
            placeholder="web server"
            value={form.name}
            onInput={set("name")}
            aria-invalid={shown.name ? true : undefined}
            aria-describedby={described("name", false)}
          />,
        )}
      </div>
      <p class="sentence" data-testid="forward-sentence" aria-live="polite">
        {sentence ?? "Fill in the public port and the LAN device to see what the forward will do."}
      </p>
      {refusal && (
        <p class="error" role="alert" data-testid="forward-refusal">
          masq refused this {props.editing ? "change (the forward stays as it was)" : "forward"}: {refusal}
        </p>
      )}
      <div class="forward-buttons">
        <button type="submit" class="primary" disabled={busy || !props.connected}>
          {props.editing ? (busy ? "Saving…" : "Save changes") : busy ? "Adding…" : "Add forward"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
