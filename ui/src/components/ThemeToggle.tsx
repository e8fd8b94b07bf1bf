// Light, dark or the system's choice; remembered in localStorage.

import { useEffect, useState } from "preact/hooks";

type Theme = "system" | "light" | "dark";
const KEY = "masq.theme";

function stored(): Theme {
  const t = localStorage.getItem(KEY);
  return t === "light" || t === "dark" ? t : "system";
}

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(stored());
  useEffect(() => {
    if (theme === "system") {
      delete document.documentElement.dataset.theme;
      localStorage.removeItem(KEY);
    } else {
      document.documentElement.dataset.theme = theme;
      localStorage.setItem(KEY, theme);
    }
  }, [theme]);
  return (
    <label class="theme">
      <span>Theme</span>
      <select value={theme} onChange={(e) => setTheme((e.target as HTMLSelectElement).value as Theme)} aria-label="Colour theme">
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
