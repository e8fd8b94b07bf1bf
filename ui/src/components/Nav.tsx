// The navigation rail: one link per screen, the current one marked for assistive technology.

export const SCREENS = [
  { id: "overview", label: "Overview" },
  { id: "translations", label: "Translations" },
  { id: "inbound", label: "Inbound" },
  { id: "forwards", label: "Port forwards" },
  { id: "clients", label: "Clients" },
  { id: "settings", label: "Settings" },
  { id: "logs", label: "Logs" },
] as const;

export type ScreenId = (typeof SCREENS)[number]["id"];

export function Nav(props: { current: ScreenId; onSelect: (id: ScreenId) => void }) {
  return (
    <nav aria-label="Screens">
      <ul class="nav">
        {SCREENS.map((s) => (
          <li key={s.id}>
            <a
              href={`#/${s.id}`}
              class={s.id === props.current ? "nav-link current" : "nav-link"}
              aria-current={s.id === props.current ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                props.onSelect(s.id);
              }}
            >
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
