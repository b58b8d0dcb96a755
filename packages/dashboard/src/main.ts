// Boots the dashboard: loads /config.json, routes the URL's hash to a page, draws the pre-flight
// block on every page, and refreshes on a timer without losing the page's filters or scroll.
import { type DashboardConfig, tokenRole } from "./api.ts";
import { alertsPage } from "./pages/alerts.ts";
import { auditPage } from "./pages/audit.ts";
import { dataPage } from "./pages/data.ts";
import { overviewPage } from "./pages/overview.ts";
import type { Page, PageContext } from "./pages/page.ts";
import { pipelinePage, pipelinesPage } from "./pages/pipelines.ts";
import { runPage } from "./pages/run.ts";
import { runsPage } from "./pages/runs.ts";
import { type Check, loadPreflight } from "./preflight.ts";
import { badge, byId, el } from "./render.ts";
import { type PageName, parseRoute, replaceParams, routeKey, sectionOf } from "./router.ts";

const pages: Record<PageName, (ctx: PageContext) => Page> = {
  overview: overviewPage,
  pipelines: pipelinesPage,
  pipeline: pipelinePage,
  runs: runsPage,
  run: runPage,
  alerts: alertsPage,
  data: dataPage,
  audit: auditPage,
};

let current: { key: string; page: Page; ctx: PageContext } | undefined;
let seq = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function showErrors(messages: string[]): void {
  const errorEl = byId("error");
  errorEl.hidden = messages.length === 0;
  errorEl.textContent = messages.join(" · ");
}

function drawPreflight(checks: Check[]): void {
  const list = byId("preflight-checks");
  list.replaceChildren(
    ...checks.map((c) => {
      const li = el("li", undefined, `check check-${c.state.toLowerCase()}`);
      const state = badge(c.state === "OK" ? "OK" : c.state) as { text: string; className?: string };
      li.append(el("span", state.text, state.className), el("strong", c.name), el("span", c.reason, "reason"));
      if (c.fix && c.state !== "OK") li.append(el("span", `Fix: ${c.fix}`, "fix"));
      return li;
    }),
  );
  const failing = checks.filter((c) => c.state !== "OK").length;
  byId("preflight-summary").textContent =
    failing === 0 ? `all ${checks.length} checks OK` : `${failing} of ${checks.length} checks need attention`;
}

async function refresh(config: DashboardConfig): Promise<void> {
  const view = current;
  const y = window.scrollY;
  const [pre, page] = await Promise.allSettled([loadPreflight(config), view?.page.refresh()]);
  const errors: string[] = [];
  if (pre.status === "fulfilled") {
    drawPreflight(pre.value.checks);
    const overall = byId("overall");
    const h = pre.value.health;
    const b = badge(h?.status ?? "unknown") as { text: string; className?: string };
    overall.textContent = b.text;
    overall.className = b.className ?? "badge";
  } else errors.push(String(pre.reason));
  if (page.status === "rejected") errors.push(page.reason instanceof Error ? page.reason.message : String(page.reason));
  if (view !== current) return;
  showErrors(errors);
  // Redrawn tables can shrink for a moment; put the viewer back where they were.
  if (window.scrollY !== y) window.scrollTo(0, y);
  byId("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function route(config: DashboardConfig): void {
  const r = parseRoute(location.hash);
  const key = routeKey(r);
  if (current && current.key === key) {
    current.ctx.route = r;
    void refresh(config);
    return;
  }
  const mine = ++seq;
  const ctx: PageContext = {
    config,
    role: tokenRole(config.accessToken),
    route: r,
    isCurrent: () => seq === mine,
    setParams: (changes) => {
      replaceParams(ctx.route, changes);
      void refresh(config);
    },
  };
  const page = pages[r.page](ctx);
  current = { key, page, ctx };
  byId("page").replaceChildren(page.root);
  document.querySelectorAll<HTMLAnchorElement>("nav a").forEach((a) => {
    if (a.dataset.section === sectionOf(r.page)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  window.scrollTo(0, 0);
  void refresh(config);
}

function schedule(config: DashboardConfig, seconds: number): void {
  if (timer) clearInterval(timer);
  timer = seconds > 0 ? setInterval(() => void refresh(config), seconds * 1000) : undefined;
}

async function boot(): Promise<void> {
  const config = (await (await fetch("/config.json")).json()) as DashboardConfig;
  const role = tokenRole(config.accessToken);
  byId("role").textContent = role === "none" ? "no Watermark role" : `signed in as ${role}`;
  const interval = byId<HTMLSelectElement>("interval");
  interval.addEventListener("change", () => schedule(config, Number(interval.value)));
  byId("refresh").addEventListener("click", () => void refresh(config));
  window.addEventListener("hashchange", () => route(config));
  schedule(config, Number(interval.value));
  route(config);
}

boot().catch((err: unknown) => showErrors([err instanceof Error ? err.message : String(err)]));
