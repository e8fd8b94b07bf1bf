import { describe, expect, it } from "vitest";

import { STATUS, UPDATE } from "./api/golden";
import { deriveClients } from "./model/clients";
import { Store } from "./store";

describe("store", () => {
  it("works out the clients once per update, for every screen, and forgets them with the daemon", () => {
    const store = new Store();
    store.applyUpdate({ ...UPDATE, first: true }, 1_000);
    expect(store.clients.length).toBeGreaterThan(0);
    expect(store.clients).toEqual(deriveClients(store.table.all()));

    store.applyUpdate({ ...UPDATE, first: true, status: { ...STATUS, running: false } }, 2_000);
    expect(store.clients).toEqual([]);

    store.applyUpdate({ ...UPDATE, first: true }, 3_000);
    store.setDaemon({ connected: false, searching: true, socket: "/tmp/x", message: "gone", can_start_service: false });
    expect(store.clients).toEqual([]);
  });
});
