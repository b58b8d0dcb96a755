// Small DOM helpers. Everything is set through textContent: no HTML injection from data.

/** A table or card value; `title` is shown on hover (times carry their UTC form there). */
export type Cell = string | number | null | undefined | { text: string; className?: string; title?: string };

export interface Column<T> {
  title: string;
  value: (row: T) => Cell;
  numeric?: boolean;
  wrap?: boolean;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard markup has no #${id}`);
  return node as T;
}

function cellText(cell: Cell): { text: string; className?: string; title?: string } {
  if (cell === null || cell === undefined || cell === "") return { text: "—" };
  if (typeof cell === "object") return cell;
  return { text: String(cell) };
}

export function renderTable<T>(
  table: HTMLTableElement,
  columns: Column<T>[],
  rows: T[],
  opts: { empty: string; onClick?: (row: T) => void },
): void {
  table.replaceChildren();
  const head = el("tr");
  for (const c of columns) head.append(el("th", c.title));
  table.append(el("thead"));
  table.tHead?.append(head);
  const body = el("tbody");
  if (rows.length === 0) {
    const td = el("td", opts.empty, "empty");
    td.colSpan = columns.length;
    body.append(el("tr"));
    body.lastElementChild?.append(td);
  }
  for (const row of rows) {
    const tr = el("tr");
    if (opts.onClick) {
      tr.className = "clickable";
      tr.addEventListener("click", () => opts.onClick?.(row));
    }
    for (const c of columns) {
      const { text, className, title } = cellText(c.value(row));
      const td = el("td", undefined, [c.numeric ? "num" : "", c.wrap ? "wrap" : ""].join(" ").trim() || undefined);
      td.append(className ? el("span", text, className) : document.createTextNode(text));
      if (title) td.title = title;
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
}

export function renderCards(container: HTMLElement, cards: Array<{ label: string; value: Cell }>): void {
  container.replaceChildren(
    ...cards.map(({ label, value }) => {
      const card = el("div", undefined, "card");
      const { text, className, title } = cellText(value);
      card.append(el("div", text, `value ${className ?? ""}`.trim()), el("div", label, "label"));
      if (title) card.title = title;
      return card;
    }),
  );
}

export function renderSummary(list: HTMLElement, entries: Array<[string, Cell]>): void {
  list.replaceChildren(
    ...entries.flatMap(([k, v]) => {
      const { text, title } = cellText(v);
      const dd = el("dd", text);
      if (title) dd.title = title;
      return [el("dt", k), dd];
    }),
  );
}

const STATUS_CLASS: Record<string, string> = {
  COMPLETED: "s-ok",
  healthy: "s-ok",
  active: "s-ok",
  OK: "s-ok",
  resolved: "s-ok",
  succeeded: "s-ok",
  RUNNING: "s-warn",
  STALE: "s-warn",
  NO_RUN: "",
  FAILING: "s-bad",
  UNKNOWN: "s-warn",
  delivered: "s-ok",
  sending: "s-warn",
  dead: "s-bad",
  stalled: "s-bad",
  done: "s-ok",
  running: "s-warn",
  timed_out: "s-bad",
  retrying: "s-warn",
  enabled: "s-ok",
  degraded: "s-warn",
  paused: "s-warn",
  pending: "s-warn",
  WARNING: "s-warn",
  warning: "s-warn",
  FAILED: "s-bad",
  ABANDONED: "s-bad",
  failed: "s-bad",
  overdue: "s-bad",
  unhealthy: "s-bad",
  firing: "s-bad",
  ERROR: "s-bad",
  CRITICAL: "s-bad",
  critical: "s-bad",
};

export function badge(status: string | null | undefined): Cell {
  if (!status) return undefined;
  return { text: status, className: `badge ${STATUS_CLASS[status] ?? ""}`.trim() };
}

export function formatTime(iso: string | null | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A time in the viewer's time zone, with its UTC form on hover. */
export function time(iso: string | null | undefined): Cell {
  const text = formatTime(iso);
  if (!iso || !text) return undefined;
  const d = new Date(iso);
  return { text, title: Number.isNaN(d.getTime()) ? iso : `${d.toISOString().replace("T", " ").slice(0, 19)} UTC` };
}

/** "7 min ago", with the local time and UTC on hover. */
export function ago(iso: string | null | undefined): Cell {
  const text = formatAgo(iso);
  const at = time(iso);
  if (!text || !at || typeof at !== "object") return undefined;
  return { text, title: `${at.text} (${at.title})` };
}

/** How long ago, short enough for a summary card ("7 min ago"). */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string | undefined {
  if (!iso) return undefined;
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

export function formatDuration(seconds: number | null | undefined): string | undefined {
  if (seconds === null || seconds === undefined) return undefined;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function formatNumber(n: number | null | undefined, digits = 0): string | undefined {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return undefined;
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits });
}
