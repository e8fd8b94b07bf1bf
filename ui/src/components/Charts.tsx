// Live charts drawn as SVG in boxes of fixed size: a new sample redraws a path and never
// changes the page's layout.

import { formatRate } from "../model/format";
import { linePath, niceMax } from "../model/history";

const W = 600;
const H = 120;

/** Download and upload over the last minutes, newest on the right. */
export function RateChart(props: { down: readonly number[]; up: readonly number[]; capacity: number; minutes: number }) {
  const max = niceMax(Math.max(1, ...props.down, ...props.up));
  const last = (v: readonly number[]) => v[v.length - 1] ?? 0;
  const summary = `Throughput over the last ${props.minutes} minutes: download now ${formatRate(last(props.down))}, upload ${formatRate(last(props.up))}, scale up to ${formatRate(max)}`;
  return (
    <figure class="chart" data-testid="rate-chart">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        <line class="grid" x1="0" y1={H / 2} x2={W} y2={H / 2} />
        <path class="series down" d={linePath(props.down, props.capacity, W, H, max)} vector-effect="non-scaling-stroke" />
        <path class="series up" d={linePath(props.up, props.capacity, W, H, max)} vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption>
        <span class="legend down">download</span> <span class="legend up">upload</span>
        <span class="muted"> · last {props.minutes} minutes · top of scale {formatRate(max)}</span>
      </figcaption>
    </figure>
  );
}

/** A small line for one number over time (a client's download), in a table cell. */
export function Sparkline(props: { values: readonly number[]; capacity: number; label: string }) {
  const w = 100;
  const h = 20;
  const max = niceMax(Math.max(1, ...props.values));
  return (
    <svg class="sparkline" viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={props.label}>
      <path d={linePath(props.values, props.capacity, w, h, max)} vector-effect="non-scaling-stroke" />
    </svg>
  );
}
