// What every page is given and gives back, and the few building blocks they share.
import type { ExecutionRow, LogRow } from "@watermark/core/rpc";
import type { DashboardConfig, Role } from "../api.ts";
import { badge, type Column, el, formatDuration, formatNumber, time } from "../render.ts";
import { href, type Route } from "../router.ts";

export interface PageContext {
  config: DashboardConfig;
  role: Role;
  /** The current URL's route; its params are the page's filters. */
  route: Route;
  /** False once the viewer has moved to another page: late answers must not draw. */
  isCurrent(): boolean;
  /** Changes the page's filters in the URL (no history entry) and redraws. */
  setParams(changes: Record<string, string | undefined>): void;
}

export interface Page {
  root: HTMLElement;
  /** Reads and redraws in place: inputs, selection and scroll stay as the viewer left them. */
  refresh(): Promise<void>;
}

export function section(title: string, ...children: Node[]): HTMLElement {
  const s = el("section");
  s.append(el("h2", title), ...children);
  return s;
}

export function table(id: string): HTMLTableElement {
  const t = el("table");
  t.id = id;
  return t;
}

export function canvas(id: string, label: string): HTMLElement {
  const wrap = el("div", undefined, "chart");
  const c = el("canvas");
  c.id = id;
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", label);
  wrap.append(c);
  return wrap;
}

export function select(
  id: string,
  label: string,
  options: Array<[string, string]>,
  value: string | null,
  onChange: (v: string) => void,
): HTMLElement {
  const wrap = el("label", `${label} `, "filter");
  const s = el("select");
  s.id = id;
  setOptions(s, options, value);
  s.addEventListener("change", () => onChange(s.value));
  wrap.append(s);
  return wrap;
}

/** Replaces a select's options, keeping the chosen value when it is still offered. */
export function setOptions(s: HTMLSelectElement, options: Array<[string, string]>, value: string | null): void {
  const keep = value ?? s.value;
  s.replaceChildren(
    ...options.map(([v, text]) => {
      const o = el("option", text);
      o.value = v;
      return o;
    }),
  );
  if (options.some(([v]) => v === keep)) s.value = keep;
}

/** Runs every read; draws what answered, then reports every failure at once. */
export async function settleAll(reads: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(reads);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length > 0)
    throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join(" · "));
}

export const go = (hash: string) => {
  location.hash = hash;
};

export const runColumns: Column<ExecutionRow>[] = [
  { title: "execution", value: (r) => r.execution_id },
  { title: "pipeline", value: (r) => r.pipeline },
  { title: "trigger", value: (r) => r.trigger },
  { title: "status", value: (r) => badge(r.status) },
  { title: "started", value: (r) => time(r.started_at) },
  { title: "duration", value: (r) => formatDuration(r.duration_seconds) },
  { title: "fixtures ok/failed", value: (r) => `${r.successful_fixtures ?? 0} / ${r.failed_fixtures ?? 0}`, numeric: true },
  { title: "chunks", value: (r) => `${r.processed_chunks ?? 0} / ${r.total_chunks ?? 0}`, numeric: true },
  { title: "rows", value: (r) => formatNumber(r.rows_written), numeric: true },
  { title: "error", value: (r) => r.error_message, wrap: true },
];

export const openRun = (r: { execution_id: string }) => go(href("runs", r.execution_id));

export const logColumns: Column<LogRow>[] = [
  { title: "time", value: (r) => time(r.timestamp) },
  { title: "level", value: (r) => badge(r.level) },
  { title: "component", value: (r) => r.component },
  { title: "message", value: (r) => r.message, wrap: true },
  { title: "execution", value: (r) => r.execution_id },
  { title: "chunk", value: (r) => r.chunk_id },
];
