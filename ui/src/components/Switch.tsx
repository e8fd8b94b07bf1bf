// An on/off switch that is a real checkbox underneath, so keyboards and screen readers work.

export function Switch(props: { checked: boolean; disabled?: boolean; label: string; onChange: (on: boolean) => void }) {
  return (
    <label class="switch">
      <input
        type="checkbox"
        role="switch"
        checked={props.checked}
        disabled={props.disabled}
        aria-checked={props.checked}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
      />
      <span class="track" aria-hidden="true">
        <span class="thumb" />
      </span>
      <span class="switch-label">{props.label}</span>
    </label>
  );
}
