// The window: a navigation rail, a banner when the daemon cannot be reached, and one screen.

import { useEffect, useMemo, useState } from "preact/hooks";

import { DaemonBanner } from "./components/DaemonBanner";
import { Nav, SCREENS, type ScreenId } from "./components/Nav";
import { ThemeToggle } from "./components/ThemeToggle";
import { formFromQuery } from "./model/forwards";
import { Clients } from "./screens/Clients";
import { Inbound } from "./screens/Inbound";
import { Logs } from "./screens/Logs";
import { Overview } from "./screens/Overview";
import { PortForwards } from "./screens/PortForwards";
import { SettingsScreen } from "./screens/Settings";
import { Translations } from "./screens/Translations";
import { useStore } from "./store";

function screenFromHash(): ScreenId {
  const id = location.hash.replace(/^#\/?/, "").split("?")[0];
  return (SCREENS.find((s) => s.id === id)?.id ?? "overview") as ScreenId;
}

/** The part after `?` in the hash: a screen's own parameters (the forward form's prefill). */
function queryFromHash(): string {
  const i = location.hash.indexOf("?");
  return i < 0 ? "" : location.hash.slice(i + 1);
}

export function App() {
  const state = useStore();
  const [screen, setScreen] = useState<ScreenId>(screenFromHash());
  const [query, setQuery] = useState(queryFromHash());
  useEffect(() => {
    const f = () => {
      setScreen(screenFromHash());
      setQuery(queryFromHash());
    };
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  const go = (id: ScreenId, params?: string) => {
    location.hash = params ? `#/${id}?${params}` : `#/${id}`;
  };
  const prefill = useMemo(() => formFromQuery(query), [query]);
  const title = SCREENS.find((s) => s.id === screen)?.label ?? "";
  return (
    <div class="shell">
      <aside class="rail">
        <div class="brand" aria-hidden="true">
          masq
        </div>
        <Nav current={screen} onSelect={go} />
        <ThemeToggle />
      </aside>
      <main class="content" aria-labelledby="screen-title">
        <h1 id="screen-title" class="screen-title">
          {title}
        </h1>
        <DaemonBanner daemon={state.daemon} />
        {screen === "overview" && <Overview go={go} />}
        {screen === "translations" && <Translations />}
        {screen === "inbound" && <Inbound go={go} />}
        {screen === "forwards" && <PortForwards prefill={prefill} />}
        {screen === "clients" && <Clients />}
        {screen === "settings" && <SettingsScreen />}
        {screen === "logs" && <Logs />}
      </main>
    </div>
  );
}
