// `npm run dashboard -- --data`: how complete the collected data is, per league and season
// (get_data_quality): collected of known, the shares with lineups, statistics, players and
// agreeing scores, the complete share the data_completeness alert rule watches, and the
// fixtures scoring below --below with their commonest reasons.
import type { DataQualityRow } from "../../packages/core/src/sports/index.ts";
import type { DashboardContext } from "./context.ts";
import { heading, num, type Style, table } from "./style.ts";

/** The filters of --data and --export --include data, as get_data_quality's arguments. */
export function dataQualityArgs(ctx: DashboardContext) {
  const { leagueId, seasonId, belowScore } = ctx.args;
  return {
    ...(leagueId === undefined ? {} : { league_id: leagueId }),
    ...(seasonId === undefined ? {} : { season_id: seasonId }),
    below_score: belowScore,
  };
}

const pct = (v: number | string | null) => (v === null ? "—" : `${Number(v).toFixed(1)} %`);

/** Below 90 % is worth a look, below 50 % is broken. */
function completeText(style: Style, v: number | string | null): string {
  if (v === null) return "—";
  const n = Number(v);
  return n < 50 ? style.red(pct(n)) : n < 90 ? style.yellow(pct(n)) : style.green(pct(n));
}

export function dataQualityTable(style: Style, rows: DataQualityRow[], belowScore: number): string[] {
  return table(
    style,
    [
      "league",
      "season",
      "collected",
      "finished",
      "lineups",
      "statistics",
      "players",
      "scores agree",
      "complete",
      "avg quality",
      `below ${belowScore}`,
      "commonest reasons",
    ],
    rows.map((r) => [
      r.league_name ?? String(r.league_id),
      r.season_name ?? String(r.season_id),
      `${num(r.collected)}/${num(r.fixtures)}`,
      num(r.finished),
      pct(r.with_lineups_percent),
      pct(r.with_statistics_percent),
      pct(r.events_with_players_percent),
      pct(r.scores_agree_percent),
      completeText(style, r.complete_percent),
      r.avg_quality_score === null ? "—" : String(r.avg_quality_score),
      r.below_threshold > 0 ? style.yellow(num(r.below_threshold)) : num(r.below_threshold),
      r.below_threshold_reasons.map((x) => `${x.reason} (${x.fixtures})`).join(", "),
    ]),
  );
}

export async function renderData(ctx: DashboardContext): Promise<void> {
  const rows = await ctx.sports.call("get_data_quality", dataQualityArgs(ctx));
  if (ctx.args.json) {
    ctx.printJson({ below_score: ctx.args.belowScore, seasons: rows });
    return;
  }
  ctx.print([
    ...heading(ctx.style, "📊 Data completeness per league and season"),
    ...dataQualityTable(ctx.style, rows, ctx.args.belowScore),
  ]);
}
