// Live throughput from the engine's byte counters: the difference between two status reports
// over the time between them. Counters restart with sharing, so a drop means "start over".

import type { StatusReport } from "../api/types";

export interface Rates {
  /** Bytes per second from the LAN toward the internet. */
  up: number;
  /** Bytes per second from the internet toward the LAN. */
  down: number;
}

interface Sample {
  uptime_s: number;
  up: number;
  down: number;
}

export class ThroughputMeter {
  private last: Sample | null = null;
  rates: Rates = { up: 0, down: 0 };

  /** Feeds one status report; returns the rates since the previous one. */
  feed(status: StatusReport): Rates {
    const c = status.engine?.counters;
    if (!status.running || !c) {
      this.last = null;
      this.rates = { up: 0, down: 0 };
      return this.rates;
    }
    const now: Sample = { uptime_s: status.uptime_s, up: c.tun_bytes_in, down: c.tun_bytes_out };
    const prev = this.last;
    this.last = now;
    if (prev && now.uptime_s > prev.uptime_s && now.up >= prev.up && now.down >= prev.down) {
      const dt = now.uptime_s - prev.uptime_s;
      this.rates = { up: (now.up - prev.up) / dt, down: (now.down - prev.down) / dt };
    } else {
      this.rates = { up: 0, down: 0 };
    }
    return this.rates;
  }
}
