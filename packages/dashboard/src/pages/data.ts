// Data: how complete the collected data is, per league and season (get_data_quality): collected
// of known, the shares with lineups, statistics, players and agreeing scores, the complete share
// the data_completeness alert rule watches, and the fixtures below a quality threshold with their
// commonest reasons. The threshold is a filter in the URL (#/data?below=90).
import type { DataQualityRow } from "@watermark/core/sports";
import { rpc } from "../api.ts";
import { byId, type Cell, el, formatNumber, renderCards, renderTable } from "../render.ts";
import { type Page, type PageContext, section, select, table } from "./page.ts";

const THRESHOLDS: Array<[string, string]> = [
  ["50", "below 50"],
  ["70", "below 70"],
  ["80", "below 80"],
  ["90", "below 90"],
  ["100", "below 100"],
];
const DEFAULT_BELOW = "80";

const percent = (v: number | string | null): Cell => (v === null ? undefined : `${Number(v).toFixed(1)} %`);

/** The complete share, coloured as the alert rule would judge it (its default threshold is 90 %). */
function complete(v: number | string | null): Cell {
  if (v === null) return undefined;
  const n = Number(v);
  return { text: `${n.toFixed(1)} %`, className: `badge ${n >= 90 ? "s-ok" : n >= 50 ? "s-warn" : "s-bad"}` };
}

export function dataPage(ctx: PageContext): Page {
  const root = el("div", undefined, "page");
  const cards = el("section", undefined, "cards");
  cards.id = "data-cards";
  cards.setAttribute("aria-label", "Data completeness summary");
  const below = () => {
    const v = ctx.route.params.get("below") ?? DEFAULT_BELOW;
    return THRESHOLDS.some(([t]) => t === v) ? v : DEFAULT_BELOW;
  };
  const filters = el("div", undefined, "filters");
  filters.append(select("data-below", "quality score", THRESHOLDS, below(), (v) => ctx.setParams({ below: v })));
  const note = el(
    "p",
    "Percentages of lineups, statistics, players and agreeing scores are of the collected finished fixtures; complete is of every finished fixture (an uncollected one is incomplete), the figure the data_completeness alert rule watches.",
    "muted",
  );
  root.append(cards, section("Completeness per league and season", filters, note, table("data-quality")));

  async function refresh(): Promise<void> {
    const threshold = Number(below());
    const rows = await rpc<DataQualityRow[]>(ctx.config, "get_data_quality", { below_score: threshold });
    if (!ctx.isCurrent()) return;
    const sum = (pick: (r: DataQualityRow) => number) => rows.reduce((n, r) => n + pick(r), 0);
    const finished = sum((r) => r.finished);
    const completeFinished = sum((r) => (Number(r.complete_percent ?? 0) * r.finished) / 100);
    renderCards(cards, [
      { label: "leagues × seasons", value: formatNumber(rows.length) },
      { label: "fixtures collected / known", value: `${formatNumber(sum((r) => r.collected))} / ${formatNumber(sum((r) => r.fixtures))}` },
      { label: "finished fixtures complete", value: finished > 0 ? complete((100 * completeFinished) / finished) : undefined },
      { label: `fixtures below ${threshold}`, value: formatNumber(sum((r) => r.below_threshold)) },
    ]);
    renderTable(
      byId<HTMLTableElement>("data-quality"),
      [
        { title: "league", value: (r) => r.league_name ?? String(r.league_id) },
        { title: "season", value: (r) => r.season_name ?? String(r.season_id) },
        { title: "collected / known", value: (r) => `${formatNumber(r.collected)} / ${formatNumber(r.fixtures)}`, numeric: true },
        { title: "finished", value: (r) => formatNumber(r.finished), numeric: true },
        { title: "lineups", value: (r) => percent(r.with_lineups_percent), numeric: true },
        { title: "statistics", value: (r) => percent(r.with_statistics_percent), numeric: true },
        { title: "events with players", value: (r) => percent(r.events_with_players_percent), numeric: true },
        { title: "scores agree", value: (r) => percent(r.scores_agree_percent), numeric: true },
        { title: "complete", value: (r) => complete(r.complete_percent), numeric: true },
        {
          title: "avg quality",
          value: (r) => (r.avg_quality_score === null ? undefined : formatNumber(Number(r.avg_quality_score), 1)),
          numeric: true,
        },
        { title: `below ${threshold}`, value: (r) => formatNumber(r.below_threshold), numeric: true },
        {
          title: "commonest reasons",
          value: (r) => r.below_threshold_reasons.map((x) => `${x.reason.replaceAll("_", " ")} (${x.fixtures})`).join(", "),
          wrap: true,
        },
      ],
      rows,
      { empty: "no fixtures known yet: collection has not registered any" },
    );
  }

  return { root, refresh };
}
