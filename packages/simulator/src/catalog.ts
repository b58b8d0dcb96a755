// Leagues, seasons and season schedules as the API renders them at a simulated
// instant (finished / is_current flags move with time like the fixtures do).

import { DAY, formatDate, formatDateTime, MINUTE } from "./clock.ts";
import type { Dataset, FixtureScript, League, Round, Season } from "./dataset.ts";
import { MATCH_LENGTH_MINUTES } from "./dataset.ts";
import { type RenderContext, renderFixture } from "./fixture-view.ts";

export const LEAGUE_INCLUDES = ["seasons", "currentSeason"] as const;
const SCHEDULE_FIXTURE_INCLUDES: ReadonlySet<string> = new Set(["participants", "scores"]);

const endsAt = (fixture: FixtureScript) => fixture.kickoffMs + MATCH_LENGTH_MINUTES * MINUTE;
const allFinished = (fixtures: FixtureScript[], nowMs: number) => fixtures.every((f) => endsAt(f) <= nowMs);
const inCurrentWeek = (fixtures: FixtureScript[], nowMs: number) => fixtures.some((f) => Math.abs(f.kickoffMs - nowMs) <= 3.5 * DAY);

function firstKickoff(fixtures: FixtureScript[]): number {
  return Math.min(...fixtures.map((f) => f.kickoffMs));
}
function lastKickoff(fixtures: FixtureScript[]): number {
  return Math.max(...fixtures.map((f) => f.kickoffMs));
}

export class Catalog {
  constructor(private readonly dataset: Dataset) {}

  leagueById(id: number): League | undefined {
    return this.dataset.leagues.find((l) => l.id === id);
  }

  /** The league's latest season is its current one. */
  isCurrentSeason(season: Season): boolean {
    const league = this.leagueById(season.leagueId);
    return league?.seasons.at(-1)?.id === season.id;
  }

  renderLeague(league: League, nowMs: number, includes: ReadonlySet<string> = new Set()): Record<string, unknown> {
    const played = league.seasons.flatMap((s) => s.fixtures).filter((f) => f.kickoffMs <= nowMs);
    const last = played.length > 0 ? Math.max(...played.map((f) => f.kickoffMs)) : null;
    const row: Record<string, unknown> = {
      id: league.id,
      sport_id: 1,
      country_id: league.countryId,
      name: league.name,
      active: true,
      short_code: league.shortCode,
      image_path: `https://cdn.simulator.invalid/images/soccer/leagues/${league.id}.png`,
      type: "league",
      sub_type: "domestic",
      last_played_at: last === null ? null : formatDateTime(last),
      category: 1,
      has_jerseys: false,
    };
    if (includes.has("seasons")) row.seasons = league.seasons.map((s) => this.renderSeason(s, nowMs));
    if (includes.has("currentSeason")) {
      const current = league.seasons.at(-1);
      row.currentseason = current ? this.renderSeason(current, nowMs) : null;
    }
    return row;
  }

  renderSeason(season: Season, nowMs: number): Record<string, unknown> {
    return {
      id: season.id,
      sport_id: 1,
      league_id: season.leagueId,
      tie_breaker_rule_id: null,
      name: season.name,
      finished: allFinished(season.fixtures, nowMs),
      pending: false,
      is_current: this.isCurrentSeason(season),
      starting_at: formatDate(firstKickoff(season.fixtures)),
      ending_at: formatDate(lastKickoff(season.fixtures)),
      standings_recalculated_at: null,
      games_in_current_week: inCurrentWeek(season.fixtures, nowMs),
    };
  }

  /** GET schedules/seasons/{id}: stages → rounds → fixtures with participants and scores. */
  renderSchedule(season: Season, ctx: RenderContext): Record<string, unknown>[] {
    const nowMs = ctx.nowMs;
    const currentRound = season.rounds.find((r) => !allFinished(r.fixtures, nowMs)) ?? season.rounds.at(-1);
    const seasonCurrent = this.isCurrentSeason(season);
    const renderRound = (round: Round) => ({
      id: round.id,
      sport_id: 1,
      league_id: season.leagueId,
      season_id: season.id,
      stage_id: round.stageId,
      name: round.name,
      finished: allFinished(round.fixtures, nowMs),
      is_current: seasonCurrent && round === currentRound,
      starting_at: formatDate(firstKickoff(round.fixtures)),
      ending_at: formatDate(lastKickoff(round.fixtures)),
      games_in_current_week: inCurrentWeek(round.fixtures, nowMs),
      fixtures: round.fixtures.map((f) => renderFixture(f, SCHEDULE_FIXTURE_INCLUDES, ctx)),
    });
    return [
      {
        id: season.stageId,
        sport_id: 1,
        league_id: season.leagueId,
        season_id: season.id,
        type_id: 223,
        name: "Regular Season",
        sort_order: 1,
        finished: allFinished(season.fixtures, nowMs),
        is_current: seasonCurrent,
        starting_at: formatDate(firstKickoff(season.fixtures)),
        ending_at: formatDate(lastKickoff(season.fixtures)),
        games_in_current_week: inCurrentWeek(season.fixtures, nowMs),
        tie_breaker_rule_id: null,
        aggregates: [],
        rounds: season.rounds.map(renderRound),
      },
    ];
  }
}
