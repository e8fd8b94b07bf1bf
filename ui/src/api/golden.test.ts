// The daemon's golden examples (golden.ts, generated from crates/masq-control) fed through the
// GUI's own model: tsc has already checked their shape against types.ts; these tests check that
// the model reads what the daemon really sends, not only what the hand-made fixtures say.

import { describe, expect, it } from "vitest";

import { deriveClients } from "../model/clients";
import { keyText, originText, sortForwards, stateText, targetText } from "../model/forwards";
import { InboundLog } from "../model/inbound";
import { describeLanServices, describeSharing } from "../model/plainWords";
import { FIELDS, fromForm, toForm } from "../model/settingsForm";
import { ThroughputMeter } from "../model/throughput";
import { TranslationTable } from "../model/translations";
import { FORWARDS, FORWARD_KEY, INBOUND, NEW_FORWARD, SETTINGS, STATUS, TRANSLATIONS, UPDATE } from "./golden";

describe("the daemon's golden answers", () => {
  it("status reads as a sentence naming the interfaces and the public address", () => {
    const text = describeSharing(STATUS, SETTINGS);
    expect(text).toContain("wlan0");
    expect(text).toContain("eth1");
    expect(text).toContain("192.168.1.20");
    const services = describeLanServices(STATUS.lan_services!);
    expect(services.lines.join(" ")).not.toBe("");
  });

  it("throughput comes from the status counters", () => {
    const m = new ThroughputMeter();
    m.feed(STATUS);
    const later = structuredClone(STATUS);
    later.uptime_s += 2;
    later.engine!.counters.tun_bytes_out += 2_000_000;
    expect(m.feed(later)).toEqual({ up: 0, down: 1_000_000 });
  });

  it("a subscription update builds the translation table and the inbound list", () => {
    const table = new TranslationTable();
    table.apply(UPDATE.translations, true, 0);
    expect(table.size).toBe(UPDATE.translations.added.length + UPDATE.translations.updated.length);
    expect(table.get(TRANSLATIONS[0].id)?.tcp?.mss).toBe(1448);
    const clients = deriveClients(table.all());
    expect(clients.map((c) => c.address)).toEqual(["192.168.137.23"]);
    expect(clients[0]).toMatchObject({ flows: 2, tcp: 1, udp: 1 });
    const log = new InboundLog();
    log.apply(INBOUND, true, 0);
    expect(log.sorted(0)[0].explanation).toContain("port forward");
  });

  it("settings survive the settings form unchanged, and the form covers every key", () => {
    const back = fromForm(SETTINGS, toForm(SETTINGS));
    expect(back.settings).toEqual(SETTINGS);
    const leaves: string[] = [];
    const walk = (o: object, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        if (v && typeof v === "object" && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
        else leaves.push(`${prefix}${k}`);
      }
    };
    walk(SETTINGS, "");
    const edited = leaves.filter((k) => k !== "forward" && k !== "engine.client_limits");
    const keys = FIELDS.map((f) => f.key);
    expect(edited.filter((k) => !keys.includes(k))).toEqual([]);
    // A field the document lacks must be a choice whose empty value means "unset".
    const absent = FIELDS.filter((f) => !edited.includes(f.key));
    expect(absent.filter((f) => f.kind.type !== "select").map((f) => f.key)).toEqual([]);
  });

  it("forwards read in plain words, a port mapping with its owner and expiry", () => {
    const sorted = sortForwards(FORWARDS);
    expect(sorted.map((f) => keyText(f.key))).toEqual(["tcp/8080", "udp/27015"]);
    expect(stateText(sorted[0].state)).toBe("Listening");
    expect(stateText(sorted[1].state)).toContain("in use");
    expect(originText(sorted[1])).toBe("192.168.137.23 via PCP, expires in 59m 0s");
    expect(targetText(NEW_FORWARD)).toContain("192.168.137.10");
    expect(keyText(FORWARD_KEY)).toBe("tcp/8080");
  });
});
