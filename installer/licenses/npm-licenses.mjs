// Prints the licence texts of the npm packages built into the desktop app's window: the
// production dependencies of ui/ and theirs, as npm installed them (`npm ls --omit=dev`).
// Dev tools (vite, typescript, the test runners) build the ui but ship nothing, so they are
// left out. Fails when a shipped package has no licence file, so a download never goes out
// with a package whose terms it does not carry.
//
// Usage: node installer/licenses/npm-licenses.mjs > npm-part.txt   (from the repository root)

import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const dirs = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable", "-w", "ui"], { encoding: "utf8" })
  .split("\n")
  .map((l) => l.trim())
  .filter(Boolean);
const out = [];
let missing = 0;
const seen = new Set();
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  // The repository root and the ui workspace itself are masq's own code.
  if (!pkg.version || pkg.name === "masq-ui" || pkg.private) continue;
  const id = `${pkg.name}@${pkg.version}`;
  if (seen.has(id)) continue;
  seen.add(id);
  const files = readdirSync(dir)
    .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f))
    .sort();
  if (files.length === 0) {
    console.error(`error: npm package ${id} (${dir}) ships no licence file`);
    missing++;
    continue;
  }
  out.push(`${"=".repeat(78)}\n${id} (npm), licence: ${pkg.license ?? "see below"}\n${"=".repeat(78)}`);
  for (const f of files) out.push(`--- ${f} ---\n${readFileSync(join(dir, f), "utf8").trimEnd()}\n`);
}
if (missing > 0) process.exit(1);
process.stdout.write(`npm packages in the desktop app's window (${seen.size}):\n\n${out.join("\n")}\n`);
