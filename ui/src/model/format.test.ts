import { describe, expect, it } from "vitest";

import { formatBytes, formatDuration, formatRate, formatRtt, hostOf, portOf } from "./format";

describe("format", () => {
  it("bytes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1500)).toBe("1.5 KB");
    expect(formatBytes(2_500_000_000)).toBe("2.5 GB");
    expect(formatBytes(-1)).toBe("–");
  });

  it("rates in bits per second", () => {
    expect(formatRate(0)).toBe("0 bit/s");
    expect(formatRate(125_000)).toBe("1.0 Mbit/s");
    expect(formatRate(NaN)).toBe("–");
  });

  it("durations", () => {
    expect(formatDuration(59.9)).toBe("59s");
    expect(formatDuration(75)).toBe("1m 15s");
    expect(formatDuration(3725)).toBe("1h 2m");
    expect(formatDuration(90000)).toBe("1d 1h");
  });

  it("round trips", () => {
    expect(formatRtt(850)).toBe("0.85 ms");
    expect(formatRtt(2400)).toBe("2.4 ms");
    expect(formatRtt(48_400)).toBe("48 ms");
    expect(formatRtt(-1)).toBe("–");
  });

  it("endpoints", () => {
    expect(hostOf("192.168.137.10:40000")).toBe("192.168.137.10");
    expect(portOf("203.0.113.2:51000")).toBe(51000);
    expect(portOf("nohost")).toBeNull();
  });
});
