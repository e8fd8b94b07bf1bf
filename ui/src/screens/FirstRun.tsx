// First run: nothing is configured yet, so instead of a switch that cannot work the Overview
// shows this computer's interfaces, which one masq would share and why, and — for the LAN the
// user picks — the gateway address, the DHCP range and every conflict the daemon sees. One
// button applies it (settings, then start). The daemon's `setup_check` does the checking.

import { useEffect, useState } from "preact/hooks";

import { asGuiError, backend } from "../api/backend";
import type { InterfaceView, SetupReport, Settings } from "../api/types";
import { applyPlan, describePlan, kindWords, suggestedLan } from "../model/firstRun";

export function FirstRun(props: { settings: Settings; onApplied: () => void }) {
  const [report, setReport] = useState<SetupReport | null>(null);
  const [lan, setLan] = useState<string | null>(null);
  const [address, setAddress] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const explain = (e: unknown) => {
    const g = asGuiError(e);
    // A service older than this app does not know the request.
    setError(
      g.code === "malformed_request" || g.code === "unexpected_answer"
        ? "This masq service is older than the app and cannot list the interfaces: name the LAN interface under Settings → Sharing, then turn sharing on here."
        : g.message,
    );
  };

  const check = async (pick: string | null, typed: string | null) => {
    try {
      const r = await backend.setupCheck(pick, typed);
      setReport(r);
      setError(null);
      if (r.plan) setAddress(r.plan.gateway);
    } catch (e) {
      explain(e);
    }
  };

  useEffect(() => {
    void (async () => {
      try {
        const first = await backend.setupCheck(null, null);
        const pick = suggestedLan(first);
        setLan(pick);
        if (pick) await check(pick, null);
        else setReport(first);
      } catch (e) {
        explain(e);
      }
    })();
  }, []);

  const pick = (name: string) => {
    setLan(name);
    void check(name, null);
  };

  const apply = async () => {
    const plan = report?.plan;
    if (!plan) return;
    setBusy(true);
    setError(null);
    try {
      await backend.setSettings(applyPlan(props.settings, plan));
      await backend.start();
      props.onApplied();
    } catch (e) {
      explain(e);
    } finally {
      setBusy(false);
    }
  };

  const plan = report?.plan ?? null;
  return (
    <section class="card first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <h2 id="first-run-title">Set up sharing</h2>
      <p class="lede">
        Pick the network to share with: the cable, adapter or hotspot your other devices are connected to. masq gives
        them addresses and routes their traffic through{" "}
        {report?.uplink ? (
          <>
            <strong>{report.uplink.name}</strong> ({report.uplink.reason})
          </>
        ) : (
          "this computer's internet connection"
        )}
        .
      </p>
      {!report && !error && <p class="muted">Looking at this computer's network interfaces…</p>}
      {report && (
        <fieldset class="iface-list">
          <legend class="visually-hidden">Network to share with</legend>
          {report.interfaces.map((i) => (
            <Interface key={i.name} i={i} uplink={report.uplink?.name === i.name} picked={lan === i.name} onPick={pick} />
          ))}
        </fieldset>
      )}
      {plan && (
        <div class="plan" data-testid="plan">
          <p data-testid="plan-sentence">{describePlan(plan, report?.uplink?.name ?? null)}</p>
          <form
            class="plan-address"
            onSubmit={(e) => {
              e.preventDefault();
              void check(plan.lan, address.trim() || null);
            }}
          >
            <label>
              <span>Gateway address on {plan.lan}</span>
              <input class="mono" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
            </label>
            <button type="submit">Check</button>
          </form>
          <ul class="findings" aria-label="What masq checked">
            {plan.findings.map((f) => (
              <li key={`${f.check}|${f.message}`} class={`finding ${f.level}`}>
                <span class="finding-mark" aria-hidden="true">
                  {f.level === "ok" ? "✓" : f.level === "warning" ? "!" : "✕"}
                </span>
                <span>
                  <span class="visually-hidden">{f.level}: </span>
                  {f.message}
                  {f.fix && <span class="finding-fix"> — {f.fix}</span>}
                </span>
              </li>
            ))}
          </ul>
          <button class="primary" onClick={apply} disabled={busy || !plan.ready}>
            {report?.uplink ? `Share ${report.uplink.name}'s connection with ${plan.lan}` : `Share with ${plan.lan}`}
          </button>
          {!plan.ready && <p class="muted">Fix the problems marked ✕ first.</p>}
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function Interface(props: { i: InterfaceView; uplink: boolean; picked: boolean; onPick: (name: string) => void }) {
  const { i } = props;
  const id = `iface-${i.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    <label class={`iface ${props.picked ? "picked" : ""} ${i.not_a_lan ? "unusable" : ""}`} for={id} data-testid={id}>
      <input
        type="radio"
        id={id}
        name="lan"
        value={i.name}
        checked={props.picked}
        disabled={Boolean(i.not_a_lan)}
        onChange={() => props.onPick(i.name)}
      />
      <span class="iface-name">
        <strong>{i.name}</strong> <span class={`kind ${i.kind}`}>{kindWords(i.kind)}</span>
        {props.uplink && <span class="uplink-badge">internet connection</span>}
      </span>
      <span class="muted">
        {[i.description, i.running ? "connected" : "no link", i.addresses.filter((a) => !a.startsWith("fe80")).join(", ") || "no address"]
          .filter(Boolean)
          .join(" · ")}
      </span>
      {i.not_a_lan && <span class="muted iface-why">{i.not_a_lan}</span>}
    </label>
  );
}
