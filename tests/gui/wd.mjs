// A minimal W3C WebDriver client for tests/gui/run.sh, one command per call so the shell
// script drives the steps and keeps its own bookkeeping:
//
//   node wd.mjs new BINARY [ARG…]     start a session (WebKitWebDriver runs BINARY), print its id
//   node wd.mjs wait-text CSS TEXT    wait until an element matching CSS contains TEXT
//   node wd.mjs click CSS [TEXT]      click the first element matching CSS (and containing TEXT)
//   node wd.mjs fill CSS TEXT         clear the first input matching CSS and type TEXT into it
//   node wd.mjs value CSS TEXT        wait until the first input matching CSS holds exactly TEXT
//   node wd.mjs eval JS               run JS in the page, print its JSON result
//   node wd.mjs quit                  end the session (closes the app)
//
// WD_URL is the driver's address, WD_SESSION the session id for all but `new`, WD_TIMEOUT the
// longest wait in seconds (default 30). Waits poll the page every 100 ms; no fixed sleeps.

const [command, ...args] = process.argv.slice(2);
const base = process.env.WD_URL ?? "http://127.0.0.1:4444";
const session = process.env.WD_SESSION;
const limitMs = Number(process.env.WD_TIMEOUT ?? 30) * 1000;

if (command !== "new" && !session) {
  console.error("no WebDriver session (the app did not open)");
  process.exit(1);
}

async function call(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    signal: AbortSignal.timeout(limitMs + 10_000),
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${path}: ${json.value?.error ?? res.status}: ${json.value?.message ?? ""}`);
  }
  return json.value;
}

const inSession = (path) => `/session/${session}${path}`;
const run = (script, ...scriptArgs) => call("POST", inSession("/execute/sync"), { script, args: scriptArgs });

/** Finds the first element matching css whose text contains text (or any, if text is empty). */
const FIND = `
  const [css, text] = arguments;
  return Array.from(document.querySelectorAll(css)).find((e) => !text || e.textContent.includes(text)) ?? null;
`;

/** Whether any element matching css contains text. */
const EXISTS = `
  const [css, text] = arguments;
  return Array.from(document.querySelectorAll(css)).some((e) => !text || e.textContent.includes(text));
`;

async function until(what, probe) {
  const deadline = Date.now() + limitMs;
  let last = null;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs / 1000} s waiting for ${what}${last ? ` (${last.message})` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

switch (command) {
  case "new": {
    const [binary, ...appArgs] = args;
    const value = await call("POST", "/session", {
      capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary, args: appArgs } } },
    });
    console.log(value.sessionId);
    break;
  }
  case "wait-text": {
    const [css, text] = args;
    await until(`"${text}" in ${css}`, () => run(EXISTS, css, text));
    break;
  }
  case "click": {
    const [css, text = ""] = args;
    const el = await until(`${css} ${text}`, () => run(FIND, css, text));
    const id = Object.values(el)[0];
    await call("POST", inSession(`/element/${id}/click`), {});
    break;
  }
  case "fill": {
    const [css, text] = args;
    const el = await until(css, () => run(FIND, css, ""));
    const id = Object.values(el)[0];
    await call("POST", inSession(`/element/${id}/clear`), {});
    await call("POST", inSession(`/element/${id}/value`), { text });
    break;
  }
  case "value": {
    const [css, text] = args;
    const probe = `return document.querySelector(arguments[0])?.value === arguments[1];`;
    await until(`${css} to hold "${text}"`, () => run(probe, css, text));
    break;
  }
  case "eval": {
    console.log(JSON.stringify(await run(args[0])));
    break;
  }
  case "quit":
    await call("DELETE", inSession(""));
    break;
  default:
    console.error(`unknown command ${command}`);
    process.exit(2);
}
