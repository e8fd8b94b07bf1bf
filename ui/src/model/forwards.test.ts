import { describe, expect, it } from "vitest";

import type { ForwardView } from "../api/types";
import {
  EMPTY_FORM,
  checkForm,
  editable,
  formFromAttempt,
  formFromQuery,
  formFromView,
  forwardSentence,
  originText,
  parseIpv4,
  parsePorts,
  prefillQuery,
  sortForwards,
  stateText,
  stateTone,
  targetText,
} from "./forwards";

const view = (over: Partial<ForwardView> = {}): ForwardView => ({
  key: { protocol: "tcp", port: 8080 },
  spec: { protocol: "tcp", public: "8080", target: "192.168.137.10:80", origin: { kind: "user" }, enabled: true },
  state: "listening",
  enabled: true,
  expires_in_s: null,
  connections: 0,
  ...over,
});

describe("forward form", () => {
  it("parses ports and ranges, refusing 0, reversed and junk", () => {
    expect(parsePorts("8080")).toEqual({ first: 8080, last: 8080 });
    expect(parsePorts("27015-27030")).toEqual({ first: 27015, last: 27030 });
    for (const bad of ["", "0", "65536", "30-20", "1-2-3", "80a", "-5", " "]) expect(parsePorts(bad), bad).toBeNull();
  });

  it("parses IPv4 addresses", () => {
    expect(parseIpv4(" 192.168.137.10 ")).toBe("192.168.137.10");
    for (const bad of ["192.168.137", "192.168.137.256", "a.b.c.d", "::1", ""]) expect(parseIpv4(bad), bad).toBeNull();
  });

  it("builds the spec, the target port defaulting to the public one", () => {
    const c = checkForm({ ...EMPTY_FORM, public: "8080", host: "192.168.137.10" });
    expect(c).toEqual({ ok: true, spec: { protocol: "tcp", public: "8080", target: "192.168.137.10:8080", enabled: true } });
    const d = checkForm({ protocol: "udp", public: "27015-27030", host: "192.168.137.20", targetPort: "37015", name: " game " });
    expect(d).toEqual({
      ok: true,
      spec: { protocol: "udp", public: "27015-27030", target: "192.168.137.20:37015", enabled: true, name: "game" },
    });
  });

  it("names every wrong field", () => {
    const c = checkForm({ ...EMPTY_FORM, public: "0", host: "lan-box", targetPort: "x" });
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(Object.keys(c.errors).sort()).toEqual(["host", "public", "targetPort"]);
    const r = checkForm({ ...EMPTY_FORM, public: "100-200", host: "10.0.0.2", targetPort: "65500" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.targetPort).toMatch(/past 65535/);
  });

  it("says what the forward will do", () => {
    const form = { ...EMPTY_FORM, public: "8080", host: "192.168.137.10", targetPort: "80" };
    expect(forwardSentence(form, "203.0.113.1")).toBe(
      "Anyone on the internet can then connect to 203.0.113.1 on TCP port 8080 and reach 192.168.137.10 on port 80; the LAN device sees their real address.",
    );
    const range = { ...EMPTY_FORM, protocol: "udp" as const, public: "27015-27016", host: "192.168.137.10" };
    expect(forwardSentence(range, null)).toMatch(/this computer's internet address on UDP ports 27015-27016 and reach 192\.168\.137\.10 on ports 27015-27016;/);
    expect(forwardSentence({ ...form, host: "" }, null)).toBeNull();
  });

  it("is prefilled from a refused attempt and survives the trip through the address", () => {
    const f = formFromAttempt({ protocol: "udp", gateway: "203.0.113.1:5000", reason: "no_translation" });
    expect(f).toEqual({ ...EMPTY_FORM, protocol: "udp", public: "5000" });
    expect(formFromQuery(prefillQuery(f))).toEqual(f);
    const hidden = formFromAttempt({ protocol: "tcp", gateway: "192.168.137.10:22", reason: "addressed_to_hidden_host" });
    expect(hidden.host).toBe("192.168.137.10");
    expect(formFromQuery(prefillQuery(hidden))).toEqual(hidden);
    expect(formFromQuery("")).toBeNull();
    expect(formFromQuery("add=icmp/1")).toBeNull();
    expect(formFromQuery("add=tcp/0/999.1.1.1")).toEqual({ ...EMPTY_FORM });
  });
});

describe("forward list", () => {
  it("puts states in plain words, with the failure reason", () => {
    expect(stateText("listening")).toBe("Listening");
    expect(stateText("disabled")).toBe("Switched off");
    expect(stateText("stopped")).toMatch(/sharing/);
    expect(stateText({ failed: { reason: "port 8080 is in use by another program" } })).toBe(
      "Failed: port 8080 is in use by another program",
    );
    expect(stateTone({ failed: { reason: "x" } })).toBe("error");
    expect(stateTone("listening")).toBe("ok");
  });

  it("says who opened it and when it expires", () => {
    expect(originText(view())).toBe("you");
    const mapped = view({
      spec: { ...view().spec, origin: { kind: "port_map", client: "192.168.137.11", protocol: "nat_pmp" } },
      expires_in_s: 3540,
    });
    expect(originText(mapped)).toBe("192.168.137.11 via NAT-PMP, expires in 59m 0s");
    const pcp = view({ spec: { ...view().spec, origin: { kind: "port_map", client: "192.168.137.12", protocol: "pcp" } } });
    expect(originText(pcp)).toBe("192.168.137.12 via PCP");
  });

  it("shows ranges on both sides", () => {
    expect(targetText({ protocol: "udp", public: "27015-27030", target: "192.168.137.20:27015" })).toBe(
      "192.168.137.20:27015-27030",
    );
    expect(targetText(view().spec)).toBe("192.168.137.10:80");
  });

  it("sorts by protocol then port", () => {
    const list = [
      view({ key: { protocol: "udp", port: 53 } }),
      view({ key: { protocol: "tcp", port: 9000 } }),
      view({ key: { protocol: "tcp", port: 22 } }),
    ];
    expect(sortForwards(list).map((v) => `${v.key.protocol}/${v.key.port}`)).toEqual(["tcp/22", "tcp/9000", "udp/53"]);
  });
});

describe("changing a forward", () => {
  it("the form starts from the forward as it is, and only the user's own can be changed", () => {
    const mine: ForwardView = {
      key: { protocol: "tcp", port: 8080 },
      spec: { protocol: "tcp", public: "8080", target: "192.168.137.10:80", name: "web", origin: { kind: "user" } },
      state: "listening",
      enabled: true,
      expires_in_s: null,
      connections: 0,
    };
    expect(formFromView(mine)).toEqual({ protocol: "tcp", public: "8080", host: "192.168.137.10", targetPort: "80", name: "web" });
    const same = { ...mine, spec: { ...mine.spec, public: "27015-27016", target: "192.168.137.10:27015", name: undefined } };
    expect(formFromView(same)).toMatchObject({ public: "27015-27016", targetPort: "", name: "" });
    expect(editable(mine)).toBe(true);
    const mapping = { ...mine, spec: { ...mine.spec, origin: { kind: "port_map" as const, client: "192.168.137.11", protocol: "pcp" as const } } };
    expect(editable(mapping)).toBe(false);
  });
});
