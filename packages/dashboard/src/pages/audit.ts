// Access audit: who changed what (rules, channels, settings, checkpoints, requeues), recorded
// calls per hour over 24 h, the top callers and the recent events (get_access_audit).
import { rpc } from "../api.ts";
import { drawChart, statusDataset, type TooltipItem } from "../charts.ts";
import { byId, el, formatNumber, renderTable, time } from "../render.ts";
import type { AccessAudit } from "../types.ts";
import { canvas, type Page, type PageContext, section, table } from "./page.ts";

export function auditPage(ctx: PageContext): Page {
  const root = el("div", undefined, "page");
  root.append(
    section("Calls per hour (24 h)", canvas("chart-audit", "recorded calls per hour over 24 hours")),
    section("Top callers (24 h)", table("top-callers")),
    section("Who changed what", table("changes")),
    section("Recent events", table("events")),
  );

  async function refresh(): Promise<void> {
    const a = await rpc<AccessAudit>(ctx.config, "get_access_audit", { hours: 24, max_rows: 50 });
    if (!ctx.isCurrent()) return;
    const hourLabel = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    drawChart(byId<HTMLCanvasElement>("chart-audit"), {
      type: "bar",
      data: {
        labels: a.per_hour.map((h) => hourLabel(h.hour)),
        datasets: [
          statusDataset(
            "COMPLETED",
            a.per_hour.map((h) => Number(h.calls) - Number(h.changes)),
          ),
          statusDataset(
            "FAILED",
            a.per_hour.map((h) => Number(h.changes)),
          ),
        ].map((d, i) => ({ ...d, label: i === 0 ? "runs and invocations" : "changes" })),
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "calls" } } },
        plugins: {
          tooltip: {
            callbacks: {
              title: (items: TooltipItem[]) => {
                const h = a.per_hour[items[0]?.dataIndex ?? 0];
                return h ? `${new Date(h.hour).toLocaleString()} (${h.hour.slice(0, 13).replace("T", " ")}:00 UTC)` : "";
              },
            },
          },
        },
      },
    });
    renderTable(
      byId<HTMLTableElement>("top-callers"),
      [
        { title: "caller", value: (r) => r.actor },
        { title: "calls", value: (r) => formatNumber(r.calls), numeric: true },
        { title: "last call", value: (r) => time(r.last_at) },
      ],
      a.top_callers,
      { empty: "no call recorded in 24 h" },
    );
    renderTable(
      byId<HTMLTableElement>("changes"),
      [
        { title: "at", value: (r) => time(r.at) },
        { title: "who", value: (r) => r.actor },
        { title: "what", value: (r) => r.action },
        { title: "on", value: (r) => r.target },
        { title: "details", value: (r) => JSON.stringify(r.details), wrap: true },
      ],
      a.changes,
      { empty: "no change recorded in 24 h" },
    );
    renderTable(
      byId<HTMLTableElement>("events"),
      [
        { title: "at", value: (r) => time(r.at) },
        { title: "who", value: (r) => r.actor },
        { title: "what", value: (r) => r.action },
        { title: "on / outcome", value: (r) => r.target, wrap: true },
      ],
      a.recent,
      { empty: "no event recorded in 24 h" },
    );
  }

  return { root, refresh };
}
