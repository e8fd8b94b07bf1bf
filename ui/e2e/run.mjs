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
const only = args.filter((a, i) => !a.startsWith("--") && (shotsAt < 0 || i !== shotsAt + 1));

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
    // Speed is the benchmarks' business; this bound only catches a table that renders every
    // row (seconds per frame), not a busy machine's slower frames.
    console.log(`  scroll frames average ${scrollMs.toFixed(1)} ms`);
    check(scrollMs < 250, `scroll frames average ${scrollMs.toFixed(1)} ms`);
    const last = await page.locator(".vbody .vrow").last().getAttribute("aria-rowindex");
    check(last === "10001", `last row rendered after scrolling (${last})`);
    return page;
  },

  async "inbound: refused attempts are explained and open the forward form prefilled"() {
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
    const udp = page.locator(".attempt", { hasText: "192.0.2.77:4000" });
    await udp.getByRole("button", { name: "Allow with a port forward…" }).click();
    await page.getByRole("heading", { name: "New port forward" }).waitFor();
    check((await page.evaluate(() => location.hash)) === "#/forwards?add=udp/33001", "hash carries the prefill");
    check((await page.getByLabel("Protocol").inputValue()) === "udp", "protocol prefilled");
    check((await page.getByLabel("Public port or range").inputValue()) === "33001", "port prefilled");
    check((await page.getByLabel("LAN device").inputValue()) === "", "host left to the user");
    return page;
  },

  async "forwards: list, add with validation and refusal, switch, remove with confirmation"() {
    const page = await open("forwards", { setup: () => (window.fake.running = true) });
    const pcp = page.getByTestId("fwd-udp-3074");
    await pcp.getByText("192.168.137.11 via PCP, expires in 1h 54m").waitFor();
    await pcp.getByText("Listening").waitFor();
    await page.getByText(/anyone on the internet|passed to\s+one device/i).first().waitFor();
    await page.getByRole("button", { name: "Add a port forward…" }).click();
    const submit = page.getByRole("button", { name: "Add forward" });
    await page.getByLabel("Public port or range").fill("0");
    await submit.click();
    await page.locator("#fwd-public-error").getByText(/port from 1 to 65535/).waitFor();
    await page.locator("#fwd-host-error").getByText(/IPv4 address/).waitFor();
    check((await page.evaluate(() => document.activeElement?.id)) === "fwd-public", "focus moves to the first wrong field");
    check((await page.getByLabel("Public port or range").getAttribute("aria-invalid")) === "true", "aria-invalid");
    // A daemon refusal (target outside the LAN) is shown next to the form, in its words.
    await page.getByLabel("Public port or range").fill("8080");
    await page.getByLabel("LAN device").fill("10.9.9.9");
    await submit.click();
    await page.getByTestId("forward-refusal").getByText(/not on the LAN 192\.168\.137\.0\/24/).waitFor();
    // The LAN device is offered from the Clients list.
    const offered = await page.locator("#fwd-clients option").evaluateAll((o) => o.map((x) => x.value));
    check(offered.length === 0 || offered.every((v) => v.startsWith("192.168.137.")), `client suggestions ${offered}`);
    await page.getByLabel("LAN device").fill("192.168.137.10");
    await page.getByLabel("Port on the device").fill("80");
    await page.getByLabel("Name (optional)").fill("web");
    await page
      .getByTestId("forward-sentence")
      .getByText("Anyone on the internet can then connect to 198.51.100.2 on TCP port 8080 and reach 192.168.137.10 on port 80; the LAN device sees their real address.")
      .waitFor();
    await submit.click();
    const web = page.getByTestId("fwd-tcp-8080");
    await web.getByText("192.168.137.10:80").waitFor();
    await web.getByText("Opened by you").waitFor();
    await web.getByText("Listening").waitFor();
    await page.getByRole("heading", { name: "New port forward" }).waitFor({ state: "detached" });
    // Overlap refusal.
    await page.getByRole("button", { name: "Add a port forward…" }).click();
    await page.getByLabel("Public port or range").fill("8000-8100");
    await page.getByLabel("LAN device").fill("192.168.137.12");
    await submit.click();
    await page.getByTestId("forward-refusal").getByText(/overlaps the forward tcp\/8080/).waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    // Switch off and on, from the keyboard.
    const sw = page.getByRole("switch", { name: "Forward TCP 8080 to 192.168.137.10:80" });
    await sw.focus();
    await page.keyboard.press("Space");
    await web.getByText("Switched off").waitFor();
    check(!(await sw.isChecked()), "switched off");
    await page.keyboard.press("Space");
    await web.getByText("Listening").waitFor();
    // Remove asks first; Keep keeps it.
    await page.getByRole("button", { name: "Remove forward TCP 8080 to 192.168.137.10:80…" }).click();
    await page.getByRole("button", { name: "Keep" }).click();
    check((await page.evaluate(() => window.fake.forwards.length)) === 2, "kept");
    await page.getByRole("button", { name: "Remove forward TCP 8080 to 192.168.137.10:80…" }).click();
    await page.getByRole("button", { name: "Yes, remove forward TCP 8080 to 192.168.137.10:80" }).click();
    await web.waitFor({ state: "detached" });
    check((await page.evaluate(() => window.fake.forwards.length)) === 1, "removed");
    return page;
  },

  async "translations: flows through a forward are marked inbound"() {
    const page = await open("translations", {
      setup: () => {
        window.fake.running = true;
        window.fake.addFlows(5);
        window.fake.addInboundFlow();
      },
    });
    const row = page.locator(".vbody .vrow", { hasText: "203.0.113.50:51515" });
    await row.locator(".inbound-mark").waitFor();
    check((await page.locator(".vbody .vrow .inbound-mark").count()) === 1, "only the forwarded flow is marked");
    return page;
  },

  async "translations: a picked row is drawn through the gateway with the rewritten fields marked"() {
    const page = await open("translations", {
      setup: () => {
        window.fake.running = true;
        window.fake.addFlows(5);
        window.fake.addInboundFlow();
      },
    });
    const row = page.locator(".vbody .vrow").filter({ hasText: "TCP" }).filter({ hasNot: page.locator(".inbound-mark") }).first();
    const [lan, remote, gateway] = await Promise.all([1, 2, 3].map((i) => row.locator(".cell").nth(i).textContent()));
    await row.click();
    check((await row.getAttribute("aria-selected")) === "true", "the row is marked picked");
    const diagram = page.getByTestId("masq-diagram");
    await diagram.waitFor();
    const hops = await diagram.locator(".hop-address").allTextContents();
    check(JSON.stringify(hops) === JSON.stringify([lan, "192.168.137.1", gateway, remote]), `hops ${hops}`);
    const out = diagram.getByTestId("packet-first-after");
    check((await out.textContent()).includes(`from ${gateway} to ${remote}`), "the packet leaves from the gateway port");
    const marked = await out.locator(".rewritten").allTextContents();
    check(marked.join(":") === gateway, `source address and port marked rewritten (${marked})`);
    check((await diagram.getByTestId("packet-first-before").locator(".rewritten").count()) === 0, "nothing marked before the gateway");
    const back = await diagram.getByTestId("packet-reply-after").locator(".rewritten").allTextContents();
    check(back.join(":") === lan, `the reply's destination is rewritten back to the hidden host (${back})`);
    await page.getByTestId("masq-explanation").getByText(`${remote} sees ${gateway}, never ${lan}`).waitFor();
    // A forwarded conversation starts on the internet side; the destination is rewritten.
    await page.locator(".vbody .vrow", { hasText: "203.0.113.50:51515" }).focus();
    await page.keyboard.press("Enter");
    await page.getByText("← Coming in (port forward)").waitFor();
    const inMarked = await diagram.getByTestId("packet-first-after").locator(".rewritten").allTextContents();
    check(inMarked.join(":") === "192.168.137.10:80", `forward rewrites the destination (${inMarked})`);
    // When the conversation ends, the panel says so instead of showing stale addresses.
    await page.evaluate(() => window.fake.removeFlows(10));
    await page.getByRole("heading", { name: "Conversation ended" }).waitFor();
    await page.getByRole("button", { name: "Close" }).click();
    check((await page.getByTestId("masq-diagram").count()) === 0, "closed");
    return page;
  },

  async "overview: the LAN picture, refused attempts stopped at the gateway, and live charts"() {
    const page = await open("overview", {
      setup: () => {
        window.fake.running = true;
        window.fake.addFlows(40);
        window.fake.knock("203.0.113.50:51515", "198.51.100.2:22");
        window.fake.knock("192.0.2.77:4000", "198.51.100.2:33001", "udp", "filtered_by_mapping");
      },
    });
    const picture = page.getByTestId("lan-picture");
    await picture.waitFor();
    check((await picture.getByTestId("picture-uplink").textContent()) === "198.51.100.2", "the internet sees the uplink address");
    check((await picture.locator(".lan-side .hop").count()) === 5, "five busiest hosts drawn");
    await picture.getByText("and 7 more devices").waitFor();
    await picture.getByText("6 remote hosts see only").waitFor();
    await picture.getByTestId("picture-refused").getByText("2 attempts to connect inward stopped at this computer").waitFor();
    // The chart grows by one sample per update and keeps its size.
    await ticks(page, 3);
    const svg = page.getByTestId("rate-chart").locator("svg");
    const box = await svg.boundingBox();
    const points = async () => ((await svg.locator("path.down").getAttribute("d")) ?? "").split(/[ML]/).filter((p) => p.trim()).length;
    const n = await points();
    check(n >= 3, `download drawn from the updates (${n} points)`);
    await ticks(page, 2);
    check((await points()) > n, "new samples are added");
    const after = await svg.boundingBox();
    check(box.width === after.width && box.height === after.height, "the chart does not change size");
    check(/download now .*bit\/s/.test(await svg.getAttribute("aria-label")), "the chart is described for screen readers");
    await picture.getByTestId("picture-refused").click();
    await page.getByTestId("inbound-count").getByText("2 refused attempts").waitFor();
    const stopped = page.getByTestId("refused-diagram").first();
    check((await stopped.getAttribute("aria-label")).startsWith("Stopped at the gateway:"), "the attempt is drawn stopped at the gateway");
    return page;
  },

  async "first run: interfaces with their kinds, the uplink and why, a checked plan, and one button that shares"() {
    const page = await open("overview", {
      setup: () => {
        window.fake.settings.lan = null;
        window.fake.settings.lan_addr = null;
      },
    });
    const setup = page.getByTestId("first-run");
    await setup.getByRole("heading", { name: "Set up sharing" }).waitFor();
    check((await page.getByRole("switch").count()) === 0, "no switch that could not work");
    await setup.locator(".lede").getByText("it carries the default route", { exact: false }).waitFor();
    // Every interface with its kind; the uplink and loopback cannot be picked, and say why.
    await setup.getByTestId("iface-eth1").getByText("Ethernet").waitFor();
    await setup.getByTestId("iface-usb0").getByText("USB / phone tether").waitFor();
    await setup.getByTestId("iface-wlan0").getByText("internet connection").waitFor();
    check(await page.getByRole("radio", { name: /wlan0/ }).isDisabled(), "the uplink cannot be the LAN");
    await setup.getByTestId("iface-wlan0").getByText("the LAN must be another interface").waitFor();
    // The wired port with a link is suggested, and its plan shown.
    check(await page.getByRole("radio", { name: /eth1/ }).isChecked(), "eth1 suggested");
    await page.getByTestId("plan-sentence").getByText(/Devices on eth1 will use 192\.168\.137\.1 as their gateway/).waitFor();
    await page.getByTestId("plan-sentence").getByText(/from 192\.168\.137\.10 to 192\.168\.137\.253/).waitFor();
    // A phone without link: a warning, but sharing may start.
    await page.getByRole("radio", { name: /usb0/ }).check();
    await setup.locator(".finding.warning", { hasText: "usb0 has no link now" }).waitFor();
    check(!(await setup.getByRole("button", { name: "Share wlan0's connection with usb0" }).isDisabled()), "a warning does not block");
    // An address in the uplink's network is an error with the fix, and blocks the button.
    await page.getByRole("radio", { name: /eth1/ }).check();
    await page.getByLabel("Gateway address on eth1").fill("192.168.1.1/24");
    await page.getByRole("button", { name: "Check" }).click();
    await setup.locator(".finding.error", { hasText: "overlap" }).waitFor();
    await setup.getByText("give the LAN a prefix of its own").waitFor();
    check(await setup.getByRole("button", { name: "Share wlan0's connection with eth1" }).isDisabled(), "an error blocks");
    // A malformed address is refused with the accepted form.
    await page.getByLabel("Gateway address on eth1").fill("10.42.0.1");
    await page.getByRole("button", { name: "Check" }).click();
    await setup.getByRole("alert").getByText(/such as 192\.168\.137\.1\/24/).waitFor();
    await page.getByLabel("Gateway address on eth1").fill("10.42.0.1/24");
    await page.getByRole("button", { name: "Check" }).click();
    await page.getByTestId("plan-sentence").getByText(/use 10\.42\.0\.1 as their gateway \(as you typed it\)/).waitFor();
    await setup.getByRole("button", { name: "Share wlan0's connection with eth1" }).click();
    await page.getByRole("switch", { name: "Sharing is on" }).waitFor();
    const saved = await page.evaluate(() => [window.fake.settings.lan, window.fake.settings.lan_addr]);
    check(saved[0] === "eth1" && saved[1] === "10.42.0.1/24", `settings saved (${saved})`);
    return page;
  },

  async "first run against an older service: the window says where to name the LAN instead"() {
    const page = await open("overview", {
      setup: () => {
        window.fake.settings.lan = null;
        window.fake.legacy = true;
      },
    });
    await page.getByTestId("first-run").getByRole("alert").getByText(/older than the app.*Settings → Sharing/).waitFor();
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
    await ticks(page, 3);
    const spark = page.locator(".vbody .vrow").filter({ hasText: "192.168.137.12" }).locator("svg.sparkline");
    check(/^192\.168\.137\.12 downloads .* now$/.test(await spark.getAttribute("aria-label")), "each client has its last minute drawn");
    return page;
  },

  async "clients: a device's speed limit and fixed address are set from its row"() {
    const page = await open("clients", {
      setup: () => {
        window.fake.addFlows(24);
        window.fake.operatorOnly = true;
      },
    });
    const row = page.locator(".vbody .vrow").filter({ hasText: "192.168.137.13" });
    await row.click();
    const panel = page.getByTestId("device-panel");
    await panel.getByRole("heading", { name: "tv (192.168.137.13)" }).waitFor();
    // A value below the engine's floor is refused at its field, with focus there.
    await page.getByLabel("Download limit (KB/s)").fill("5");
    await panel.getByRole("button", { name: "Save limits" }).click();
    await panel.getByRole("alert").getByText("at least 8, or empty for no limit").waitFor();
    check(await page.getByLabel("Download limit (KB/s)").evaluate((e) => e === document.activeElement), "focus at the field");
    await page.getByLabel("Download limit (KB/s)").fill("250");
    await page.getByLabel("Most conversations").fill("100");
    await panel.getByRole("button", { name: "Save limits" }).click();
    await panel.getByRole("status").getByText("The new limits apply now").waitFor();
    const limit = await page.evaluate(() => window.fake.settings.engine.client_limits);
    check(JSON.stringify(limit) === JSON.stringify([{ ip: "192.168.137.13", down_bytes_per_s: 250000, max_flows: 100 }]), `limit saved (${JSON.stringify(limit)})`);
    await row.getByText("down 250.0 KB/s").waitFor();
    // An operator may not change DHCP: the daemon's refusal is shown as it is.
    await panel.getByRole("button", { name: "Always give this device 192.168.137.13" }).click();
    await panel.getByRole("alert").getByText("needs the administrator role").waitFor();
    await page.evaluate(() => (window.fake.operatorOnly = false));
    await panel.getByRole("button", { name: "Always give this device 192.168.137.13" }).click();
    await panel.getByRole("status").getByText("from the next start of sharing").waitFor();
    await panel.getByText("This device always gets 192.168.137.13.").waitFor();
    await row.getByText("reserved").waitFor();
    // Emptying every field removes the limit.
    for (const label of ["Download limit (KB/s)", "Most conversations"]) await page.getByLabel(label).fill("");
    await panel.getByRole("button", { name: "Save limits" }).click();
    await panel.getByRole("status").getByText("The new limits apply now").waitFor();
    check((await page.evaluate(() => window.fake.settings.engine.client_limits.length)) === 0, "limit removed");
    return page;
  },

  async "notifications: off until turned on; then a new device and sharing that stops by itself notify, the user's own stop does not"() {
    const page = await open("settings", {
      setup: () => {
        window.localStorage.removeItem("masq.notifications");
        window.fake.running = true;
        window.fake.addFlows(3);
      },
    });
    const box = (name) => page.getByRole("checkbox", { name });
    await box("A new device starts using the connection").waitFor();
    check(!(await box("A new device starts using the connection").isChecked()), "off by default");
    // Off: a new device says nothing.
    await page.evaluate(() => window.fake.addFlows(1));
    await ticks(page, 2);
    check((await page.evaluate(() => window.fake.notifications.length)) === 0, "nothing while off");
    await box("A new device starts using the connection").check();
    await box("Sharing stops without you stopping it").check();
    await page.evaluate(() => {
      for (let i = 0; i < 30; i++) window.fake.addFlows(1);
    });
    await page.waitForFunction(() => window.fake.notifications.length > 0);
    const first = await page.evaluate(() => window.fake.notifications[0]);
    check(first.title === "A new device is sharing the connection" && /^192\.168\.137\.\d+ started using/.test(first.body), `new device (${JSON.stringify(first)})`);
    // Sharing stops by itself: one notification with the daemon's reason.
    const before = await page.evaluate(() => window.fake.notifications.length);
    await page.evaluate(() => {
      window.fake.lastError = "the adapter masq0 went away";
      window.fake.running = false;
    });
    await page.waitForFunction((n) => window.fake.notifications.length > n, before);
    const stopped = await page.evaluate(() => window.fake.notifications.at(-1));
    check(stopped.body === "masq stopped sharing: the adapter masq0 went away", `stopped (${JSON.stringify(stopped)})`);
    // The choice is kept, and the user's own stop from the switch says nothing.
    await page.evaluate(() => (location.hash = "#/overview"));
    await page.evaluate(() => {
      window.fake.lastError = null;
      window.fake.running = true;
    });
    await page.getByRole("switch", { name: "Sharing is on" }).waitFor();
    const count = await page.evaluate(() => window.fake.notifications.length);
    await page.getByRole("switch", { name: "Sharing is on" }).focus();
    await page.keyboard.press("Space");
    await page.getByRole("switch", { name: "Sharing is off" }).waitFor();
    await ticks(page, 2);
    check((await page.evaluate(() => window.fake.notifications.length)) === count, "the user's stop is not news");
    check((await page.evaluate(() => JSON.parse(localStorage.getItem("masq.notifications")).newDevice)) === true, "choice kept");
    return page;
  },

  async "forwards: a forward is changed in place; a refused change leaves it as it was"() {
    const page = await open("forwards", {
      setup: () => {
        window.fake.running = true;
        window.fake.forwardCommand("add_forward", { forward: { protocol: "tcp", public: "8080", target: "192.168.137.10:80", name: "web", enabled: true } });
      },
    });
    const web = page.getByTestId("fwd-tcp-8080");
    await web.getByText("192.168.137.10:80").waitFor();
    check((await page.getByTestId("fwd-udp-3074").getByRole("button", { name: /Change forward/ }).count()) === 0, "a device's mapping is not changed here");
    await web.getByRole("button", { name: /Change forward TCP 8080/ }).click();
    await page.getByRole("heading", { name: "Change port forward" }).waitFor();
    check((await page.getByLabel("LAN device").inputValue()) === "192.168.137.10", "the form shows the forward as it is");
    const save = page.getByRole("button", { name: "Save changes" });
    await page.getByLabel("LAN device").fill("10.9.9.9");
    await save.click();
    await page.getByTestId("forward-refusal").getByText(/stays as it was.*not on the LAN/).waitFor();
    await page.getByLabel("LAN device").fill("192.168.137.11");
    await page.getByLabel("Public port or range").fill("8088");
    await save.click();
    const moved = page.getByTestId("fwd-tcp-8088");
    await moved.getByText("192.168.137.11:80").waitFor();
    await moved.getByText("web").waitFor();
    await page.getByRole("heading", { name: "Change port forward" }).waitFor({ state: "detached" });
    check((await page.getByTestId("fwd-tcp-8080").count()) === 0, "the old key is gone");
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

  async "logs: the service's own lines are shown, and a refusal says why"() {
    const page = await open("logs");
    await page.getByLabel("Whose log").selectOption("service");
    await page.getByText("masq::runtime::uplink_watch: the uplink cannot carry traffic now").waitFor();
    await page.getByText("masq::runtime::session: sharing wlan0 with eth1").waitFor();
    await page.getByLabel("Most detailed level shown").selectOption("WARN");
    await page.getByText("sharing wlan0 with eth1").waitFor({ state: "detached" });
    await page.evaluate(() => {
      window.fake.observerOnly = true;
    });
    await page.getByRole("alert").filter({ hasText: "needs the operator role" }).waitFor();
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
    window.fake.addInboundFlow();
    window.fake.forwardCommand("add_forward", { forward: { protocol: "tcp", public: "8080", target: "192.168.137.10:80", name: "web", enabled: true } });
    window.fake.forwards[1].connections = 12;
    window.fake.forwardCommand("add_forward", { forward: { protocol: "tcp", public: "2222", target: "192.168.137.12:22", enabled: true } });
    window.fake.forwardCommand("enable_forward", { key: { protocol: "tcp", port: 2222 }, enabled: false });
  };
  for (const theme of ["light", "dark"]) {
    for (const screen of ["overview", "translations", "inbound", "forwards", "forwards-add", "clients", "settings", "logs"]) {
      if (theme === "dark" && !["overview", "translations", "inbound"].includes(screen)) continue;
      const page = await open(screen === "forwards-add" ? "forwards" : screen, { theme, setup });
      await ticks(page, 2);
      if (screen === "forwards-add") {
        await page.getByRole("button", { name: "Add a port forward…" }).click();
        await page.getByLabel("Public port or range").fill("27015-27030");
        await page.getByLabel("LAN device").fill("192.168.137.14");
        await page.getByLabel("Name (optional)").fill("game server");
      }
      if (screen === "forwards") await page.getByTestId("fwd-tcp-8080").waitFor();
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
