// Playwright checks of the built ui against the fake daemon (ui/e2e/harness), in Debian's
// Chromium (/usr/bin/chromium, or $CHROMIUM). Serves ui/dist-e2e from a local port, runs each
// check in a fresh page, prints PASS/FAIL per check and "N passed, N failed"; with
// --screenshots DIR also saves one picture per screen (light and dark).
//
// Every wait is for a condition (an element, a text, the fake daemon's tick counter), never a
// fixed sleep. The browser is closed and the server stopped on every exit path.

import { createServer } from "node:http";
import { mkdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../dist-e2e");
const args = process.argv.slice(2);
const shotsAt = args.indexOf("--screenshots");
const shotsDir = shotsAt >= 0 ? resolve(args[shotsAt + 1]) : null;
const only = args.filter((a, i) => !a.startsWith("--") && i !== shotsAt + 1);

if (!existsSync(join(root, "e2e/harness.html"))) {
  console.error(`no harness build at ${root}: run \`npx vite build --mode e2e\` in ui/ first`);
  process.exit(2);
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };
const server = createServer((req, res) => {
  const path = join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (!path.startsWith(root) || !existsSync(path) || !statSync(path).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/e2e/harness.html`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

function check(cond, what) {
  if (!cond) throw new Error(what);
}

/** Opens the app on `screen` with a fresh fake daemon; `setup` runs in the page first. */
async function open(screen = "overview", { theme = "light", setup } = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, colorScheme: theme });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}#/${screen}`);
  await page.waitForFunction(() => window.fake !== undefined);
  if (setup) await page.evaluate(setup);
  await page.waitForFunction(() => window.fake.ticks > 0 || !window.fake.connected);
  page.errors = errors;
  return page;
}

/** Waits until the fake daemon has pushed `n` more updates and the page has painted them. */
async function ticks(page, n = 1) {
  const start = await page.evaluate(() => window.fake.ticks);
  await page.waitForFunction((s) => window.fake.ticks >= s, start + n);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

const checks = {
  async "overview: switch turns sharing on and the sentence says what happens"() {
    const page = await open("overview");
    await page.getByText(/Turning it on shares the internet connection of the default route/).waitFor();
    const sw = page.getByRole("switch", { name: "Sharing is off" });
    await sw.focus();
    await page.keyboard.press("Space");
    await page.getByRole("switch", { name: "Sharing is on" }).waitFor();
    await page.getByText(/Sharing wlan0's internet connection with the network on eth1/).waitFor();
    await page.getByTestId("lan-services").getByText(/Devices that join the LAN get an address automatically/).waitFor();
    await page.evaluate(() => window.fake.addFlows(40));
    await ticks(page, 2);
    check((await page.getByTestId("stat-clients").textContent()) === "12", "12 clients");
    check(/bit\/s$/.test(await page.getByTestId("stat-down").textContent()), "download rate shown");
    check(!(await page.getByTestId("stat-down").textContent()).startsWith("0 "), "download rate is live");
    return page;
  },

  async "translations: 10 000 rows stay virtual, update without moving rows, and sort/filter/search"() {
    const page = await open("translations", { setup: () => window.fake.addFlows(10_000) });
    await page.getByTestId("translation-count").getByText("10000 conversations").waitFor();
    const domRows = await page.locator(".vbody .vrow").count();
    check(domRows > 5 && domRows < 120, `only visible rows in the DOM (${domRows})`);
    const firstRow = page.locator(".vbody .vrow").first();
    const before = await firstRow.boundingBox();
    // A heavy update: 2000 changed, 500 gone, 500 new; time from push to painted.
    const ms = await page.evaluate(async () => {
      window.fake.touch(2000);
      window.fake.removeFlows(500);
      window.fake.addFlows(500);
      const t0 = performance.now();
      window.fake.tick();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    });
    check(ms < 250, `update painted in ${ms.toFixed(0)} ms`);
    const after = await firstRow.boundingBox();
    check(before.y === after.y && before.height === after.height, "rows did not move");
    const header = page.getByRole("columnheader", { name: /Bytes/ });
    await page.getByRole("button", { name: "Sort by Bytes ↑ / ↓" }).click();
    check((await header.getAttribute("aria-sort")) === "ascending", "sorted ascending");
    await page.getByRole("button", { name: "Sort by Bytes ↑ / ↓" }).click();
    check((await header.getAttribute("aria-sort")) === "descending", "sorted descending");
    await page.getByLabel("Show protocol").selectOption("udp");
    await page.getByTestId("translation-count").getByText("2000 of 10000 conversations").waitFor();
    await page.getByLabel("Search translations").fill("192.168.137.10:");
    const text = await page.getByTestId("translation-count").textContent();
    check(/^\d+ of 10000 conversations$/.test(text) && !text.startsWith("2000"), `search narrows (${text})`);
    // Scrolling to the end shows the last rows (virtual window follows the scroll).
    await page.getByLabel("Search translations").fill("");
    await page.getByLabel("Show protocol").selectOption("all");
    const scrollMs = await page.evaluate(async () => {
      const body = document.querySelector(".vbody");
      const t0 = performance.now();
      for (let i = 0; i < 30; i++) {
        body.scrollTop += 2000;
        await new Promise((r) => requestAnimationFrame(r));
      }
      body.scrollTop = body.scrollHeight;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return (performance.now() - t0) / 31;
    });
    check(scrollMs < 50, `scroll frames average ${scrollMs.toFixed(1)} ms`);
    const last = await page.locator(".vbody .vrow").last().getAttribute("aria-rowindex");
    check(last === "10001", `last row rendered after scrolling (${last})`);
    return page;
  },

  async "inbound: refused attempts are explained and a forward is offered honestly"() {
    const page = await open("inbound", {
      setup: () => {
        window.fake.running = true;
        window.fake.knock("203.0.113.50:51515", "198.51.100.2:22");
        window.fake.knock("203.0.113.50:51515", "198.51.100.2:22");
        window.fake.knock("192.0.2.77:4000", "198.51.100.2:33001", "udp", "filtered_by_mapping");
      },
    });
    await page.getByText("Why connections from the internet are refused").waitFor();
    await page.getByTestId("inbound-count").getByText("2 refused attempts").waitFor();
    await page.getByText(/Nobody inside asked for this/).waitFor();
    await page.getByText("2 times", { exact: false }).waitFor();
    const allow = page.getByRole("button", { name: "Allow with a port forward…" }).first();
    await allow.click();
    check((await allow.getAttribute("aria-expanded")) === "true", "expanded");
    await page.getByText(/Port forwards arrive with a later version of masq/).first().waitFor();
    return page;
  },

  async "settings: syntax and daemon validation messages appear next to their field"() {
    const page = await open("settings");
    const retrans = page.getByLabel("Retransmissions before reset");
    await retrans.fill("99");
    const mtu = page.getByLabel("Adapter MTU");
    await mtu.fill("15oo");
    await page.getByRole("button", { name: "Save settings" }).click();
    const mtuField = page.locator('.field[data-key="engine.tun_mtu"] .field-error');
    await mtuField.getByText("Enter a whole number.").waitFor();
    check(await mtu.evaluate((e) => e === document.activeElement), "focus moved to the bad field");
    await mtu.fill("1500");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.locator('.field[data-key="engine.tcp.max_retransmits"] .field-error').getByText(/expected 1 to 30/).waitFor();
    await retrans.fill("9");
    const reservations = page.getByLabel("Fixed addresses");
    await reservations.fill("aa:bb:cc:dd:ee:01 10.0.0.5 printer");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.locator('.field[data-key="dhcp.reservations"] .field-error').getByText(/dhcp.reservations\[0\].ip.*inside the LAN/).waitFor();
    await reservations.fill("aa:bb:cc:dd:ee:01 192.168.137.20 printer");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    check((await page.evaluate(() => window.fake.settings.dhcp.reservations[0]?.hostname)) === "printer", "reservation stored");
    check((await page.evaluate(() => window.fake.settings.engine.tcp.max_retransmits)) === 9, "stored");
    return page;
  },

  async "no daemon: the window explains and starts the service"() {
    const page = await open("overview");
    await page.evaluate(() => window.fake.setConnected(false));
    await page.getByRole("heading", { name: "The masq service is not running" }).waitFor();
    await page.getByRole("button", { name: "Start the masq service…" }).click();
    await page.getByRole("heading", { name: "The masq service is not running" }).waitFor({ state: "detached" });
    await ticks(page);
    await page.getByRole("switch").waitFor();
    return page;
  },

  async "keyboard and themes: navigation by keyboard, dark theme applies"() {
    const page = await open("overview", { setup: () => window.fake.addFlows(30) });
    await page.getByRole("link", { name: "Overview" }).focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Translations", level: 1 }).waitFor();
    check((await page.getByRole("link", { name: "Translations" }).getAttribute("aria-current")) === "page", "current page marked");
    await page.getByLabel("Colour theme").selectOption("dark");
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(bg === "rgb(21, 26, 25)", `dark background (${bg})`);
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll("button, input, select, textarea, a")).filter((e) => {
        const label = e.getAttribute("aria-label") || e.textContent.trim() || (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.closest("label");
        return !label;
      }).length,
    );
    check(unnamed === 0, `${unnamed} controls without an accessible name`);
    return page;
  },

  async "clients: the daemon's client list with names, MACs and how each got its address"() {
    const page = await open("clients", { setup: () => window.fake.addFlows(60) });
    await page.locator(".vbody .vrow").filter({ hasText: "192.168.137.12" }).getByText("printer").waitFor();
    await page.locator(".vbody .vrow").filter({ hasText: "192.168.137.12" }).getByText("reserved").waitFor();
    check((await page.locator(".vbody .vrow").count()) === 12, "12 clients");
    return page;
  },

  async "logs: app log lines are listed and filtered by level"() {
    const page = await open("logs", { setup: () => window.fake.log("DEBUG", "asking masq request=status") });
    await page.getByText("connected to masq socket=/run/masq/control.sock").waitFor();
    check((await page.getByText("asking masq request=status").count()) === 0, "DEBUG hidden at INFO");
    await page.getByLabel("Most detailed level shown").selectOption("DEBUG");
    await page.getByText("asking masq request=status").waitFor();
    return page;
  },
};

/** Screens for the README, with believable data. */
async function screenshots(dir) {
  mkdirSync(dir, { recursive: true });
  const setup = () => {
    window.fake.running = true;
    window.fake.startedAt = Date.now() - 3_725_000;
    window.fake.addFlows(1200);
    window.fake.knock("203.0.113.50:51515", "198.51.100.2:22");
    window.fake.knock("203.0.113.50:51515", "198.51.100.2:22");
    window.fake.knock("192.0.2.77:4000", "198.51.100.2:33001", "udp", "filtered_by_mapping");
    window.fake.knock("198.18.0.9:443", "192.168.137.12:443", "tcp", "addressed_to_hidden_host");
  };
  for (const theme of ["light", "dark"]) {
    for (const screen of ["overview", "translations", "inbound", "forwards", "clients", "settings", "logs"]) {
      if (theme === "dark" && !["overview", "translations", "inbound"].includes(screen)) continue;
      const page = await open(screen, { theme, setup });
      await ticks(page, 2);
      if (screen === "inbound") await page.getByRole("button", { name: "Allow with a port forward…" }).first().click();
      if (screen === "settings") await page.getByLabel("Retransmissions before reset").waitFor();
      await page.screenshot({ path: join(dir, `${screen}${theme === "dark" ? "-dark" : ""}.png`) });
      await page.context().close();
    }
  }
  const page = await open("overview", { setup: () => window.fake.setConnected(false) });
  await page.getByRole("heading", { name: "The masq service is not running" }).waitFor();
  await page.screenshot({ path: join(dir, "no-service.png") });
  await page.context().close();
}

let passed = 0;
let failed = 0;
try {
  for (const [name, run] of Object.entries(checks)) {
    if (only.length && !only.some((o) => name.includes(o))) continue;
    const t0 = Date.now();
    let page;
    try {
      page = await run();
      if (page.errors.length) throw new Error(`page errors: ${page.errors.join("; ")}`);
      console.log(`PASS ${name} (${Date.now() - t0} ms)`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
      failed++;
    } finally {
      await page?.context().close();
    }
  }
  if (shotsDir) {
    try {
      await screenshots(shotsDir);
      console.log(`PASS screenshots in ${shotsDir}`);
      passed++;
    } catch (e) {
      console.log(`FAIL screenshots: ${e.message.split("\n")[0]}`);
      failed++;
    }
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
