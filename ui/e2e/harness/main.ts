// Test harness entry: installs the fake daemon behind Tauri's IPC mocks, then starts the real
// app code unchanged. Built only by `vite build --mode e2e`.

import { installFakeDaemon } from "./fakeDaemon";

installFakeDaemon();
void import("../../src/main");
