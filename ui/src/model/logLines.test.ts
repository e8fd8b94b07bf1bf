import { describe, expect, it } from "vitest";

import { DAEMON_LOGS } from "../api/golden";
import { atMost, fromApp, fromService } from "./logLines";

describe("log lines", () => {
  it("the service's lines read as the app's, with their level and module", () => {
    const shown = fromService(DAEMON_LOGS);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ level: "WARN", target: "masq::runtime::uplink_watch", time_ms: DAEMON_LOGS[0].unix_ms });
    expect(shown[0].message).toContain("uplink");
  });

  it("identical lines stay distinct rows, and the level filter keeps the serious ones", () => {
    const line = { unix_ms: 5, level: "info" as const, target: "masq", message: "same" };
    const shown = fromService([line, line, { ...line, level: "debug" as const }]);
    expect(new Set(shown.map((l) => l.key)).size).toBe(3);
    expect(atMost(shown, "INFO")).toHaveLength(2);
    expect(atMost(shown, "ERROR")).toHaveLength(0);
    const app = fromApp([{ seq: 1, time_ms: 1, level: "ERROR", target: "masq_gui", message: "x" }]);
    expect(atMost(app, "ERROR")).toHaveLength(1);
  });
});
