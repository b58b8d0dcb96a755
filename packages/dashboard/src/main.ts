// Boots the dashboard: loads /config.json, draws every section, refreshes on a timer.
import type { DashboardConfig } from "./api.ts";
import { byId } from "./render.ts";
import { drawAlerts, drawDetail, drawLogs, drawMetrics, drawPipelines, drawRuns, drawSummary } from "./views.ts";

let selected: string | undefined;
let timer: ReturnType<typeof setInterval> | undefined;

async function refresh(config: DashboardConfig): Promise<void> {
  // A slow answer for an earlier selection must not replace the detail of the run selected since.
  const stillSelected = (id: string) => () => selected === id;
  const select = (id: string) => {
    selected = id;
    void drawDetail(config, id, stillSelected(id)).catch(showError);
  };
  const results = await Promise.allSettled([
    drawSummary(config),
    drawRuns(config, select),
    drawPipelines(config),
    drawAlerts(config),
    drawLogs(config),
    drawMetrics(config),
    ...(selected ? [drawDetail(config, selected, stillSelected(selected))] : []),
  ]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  const errorEl = byId("error");
  errorEl.hidden = failures.length === 0;
  errorEl.textContent = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join(" · ");
  byId("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function showError(err: unknown): void {
  const errorEl = byId("error");
  errorEl.hidden = false;
  errorEl.textContent = err instanceof Error ? err.message : String(err);
}

function schedule(config: DashboardConfig, seconds: number): void {
  if (timer) clearInterval(timer);
  timer = seconds > 0 ? setInterval(() => void refresh(config), seconds * 1000) : undefined;
}

async function boot(): Promise<void> {
  const config = (await (await fetch("/config.json")).json()) as DashboardConfig;
  const interval = byId<HTMLSelectElement>("interval");
  interval.addEventListener("change", () => schedule(config, Number(interval.value)));
  byId("refresh").addEventListener("click", () => void refresh(config));
  schedule(config, Number(interval.value));
  await refresh(config);
}

boot().catch(showError);
