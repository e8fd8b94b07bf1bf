// Test data shared by the model tests.

import type { Translation } from "../api/types";

/** A TCP translation with id-derived endpoints; `over` replaces any field. */
export function flow(id: number, over: Partial<Translation> = {}): Translation {
  return {
    id,
    protocol: "tcp",
    lan: `192.168.137.${10 + (id % 200)}:${40000 + id}`,
    remote: "198.51.100.7:443",
    gateway: `203.0.113.2:${50000 + id}`,
    state: "established",
    inbound: false,
    bytes_out: 0,
    bytes_in: 0,
    packets_out: 0,
    packets_in: 0,
    age_s: 1,
    idle_s: 0,
    expires_in_s: 100,
    ...over,
  };
}
