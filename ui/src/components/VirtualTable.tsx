// A table that renders only the rows in view, so 10 000 live rows scroll smoothly.
//
// Rows have one fixed height and columns fixed widths (a CSS grid template), so neither
// updates nor scrolling move anything sideways or shift the rows around the viewport.
// Semantics follow the ARIA table pattern with aria-rowcount/aria-rowindex, because only a
// window of the rows is in the DOM.

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export interface Column<T> {
  id: string;
  label: string;
  /** CSS grid track, e.g. `8rem` or `minmax(10rem, 1fr)`. */
  width: string;
  align?: "start" | "end";
  render: (row: T) => ComponentChildren;
  /** Present when the column can be sorted: the current direction, or null if not sorted by it. */
  sort?: "asc" | "desc" | null;
}

export const ROW_HEIGHT = 32;
const OVERSCAN = 8;

export function VirtualTable<T>(props: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  onSort?: (columnId: string) => void;
  /** Present when rows can be picked (click, Enter or Space): called with the row. */
  onSelect?: (row: T) => void;
  /** The key of the picked row, marked with aria-selected. */
  selectedKey?: string | number | null;
  empty: ComponentChildren;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const template = props.columns.map((c) => c.width).join(" ");
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(props.rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const visible = props.rows.slice(first, last);

  return (
    <div class="vtable" role="table" aria-label={props.label} aria-rowcount={props.rows.length + 1}>
      <div class="vrow vhead" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
        {props.columns.map((c) => (
          <div
            key={c.id}
            role="columnheader"
            class={c.align === "end" ? "cell end" : "cell"}
            aria-sort={c.sort === "asc" ? "ascending" : c.sort === "desc" ? "descending" : c.sort === null ? "none" : undefined}
          >
            {c.sort !== undefined && props.onSort ? (
              <button class="sort" onClick={() => props.onSort?.(c.id)} aria-label={`Sort by ${c.label}`}>
                {c.label}
                <span class="arrow" aria-hidden="true">
                  {c.sort === "asc" ? "▲" : c.sort === "desc" ? "▼" : ""}
                </span>
              </button>
            ) : (
              c.label
            )}
          </div>
        ))}
      </div>
      <div
        class="vbody"
        ref={scroller}
        tabIndex={0}
        aria-label={`${props.label}, scrollable`}
        onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      >
        {props.rows.length === 0 ? (
          <div class="vempty">{props.empty}</div>
        ) : (
          <div class="vspace" style={{ height: `${props.rows.length * ROW_HEIGHT}px` }}>
            {visible.map((row, i) => (
              <div
                key={props.rowKey(row)}
                class={props.selectedKey === props.rowKey(row) ? "vrow selected" : "vrow"}
                role="row"
                aria-rowindex={first + i + 2}
                aria-selected={props.onSelect ? props.selectedKey === props.rowKey(row) : undefined}
                tabIndex={props.onSelect ? 0 : undefined}
                onClick={props.onSelect ? () => props.onSelect?.(row) : undefined}
                onKeyDown={
                  props.onSelect
                    ? (e) => {
                        if (e.key === "Enter" || e.key === " ") {
                          e.preventDefault();
                          props.onSelect?.(row);
                        }
                      }
                    : undefined
                }
                style={{ gridTemplateColumns: template, transform: `translateY(${(first + i) * ROW_HEIGHT}px)` }}
              >
                {props.columns.map((c) => (
                  <div key={c.id} role="cell" class={c.align === "end" ? "cell end" : "cell"}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
