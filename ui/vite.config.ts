// Vite builds two pages from the same sources: index.html is the app Tauri embeds;
// e2e/harness.html is the same app with the Tauri IPC replaced by a scripted fake daemon
// (@tauri-apps/api/mocks), for the Playwright tests and the screenshots. The harness is built
// only with `--mode e2e`, so the app Tauri ships never contains the fake.
import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";
import { resolve } from "node:path";

export default defineConfig(({ mode }) => ({
  plugins: [preact()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: mode === "e2e" ? "dist-e2e" : "dist",
    target: "es2021",
    rollupOptions: {
      input:
        mode === "e2e"
          ? { harness: resolve(import.meta.dirname, "e2e/harness.html") }
          : { index: resolve(import.meta.dirname, "index.html") },
    },
  },
  test: { include: ["src/**/*.test.ts"] },
}));
