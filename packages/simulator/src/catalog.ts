// Leagues, seasons, season schedules and aggregates as the API renders them at a
// simulated instant: what has appeared by then (later seasons, a joining league),
// and flags (finished, is_current, pending) that move with time like the fixtures do.

import { DAY, type Stamps } from "./clock.ts";
import type { Aggregate, Dataset, FixtureScript, League, Round, Season, Stage } from "./dataset.ts";
import { endsAt, finalGoals, kickoffAt, momentAt, playedKickoff, type RenderContext, renderFixture } from "./fixture-view.ts";

export const LEAGUE_INCLUDES = ["seasons", "currentSeason"] as const;
const SCHEDULE_FIXTURE_INCLUDES: ReadonlySet<string> = new Set(["participants", "scores"]);

const visible = (item: { appearsAtMs: number }, nowMs: number) => item.appearsAtMs <= nowMs;
const allEnded = (fixtures: FixtureScript[], nowMs: number) => fixtures.every((f) => endsAt(f) <= nowMs);
const inCurrentWeek = (fixtures: FixtureScript[], nowMs: number) =>
  fixtures.some((f) => Math.abs(kickoffAt(f, nowMs) - nowMs) <= 3.5 * DAY);
const firstKickoff = (fixtures: FixtureScript[], nowMs: number) => Math.min(...fixtures.map((f) => kickoffAt(f, nowMs)));
const lastKickoff = (fixtures: FixtureScript[], nowMs: number) => Math.max(...fixtures.map((f) => kickoffAt(f, nowMs)));

export class Catalog {
  constructor(
    private readonly dataset: Dataset,
    private readonly stamps: Stamps,
  ) {}

  /** Leagues shown at `nowMs` (in the plan or not), by id. */
  leagues(nowMs: number): League[] {
    return this.dataset.leagues.filter((l) => visible(l, nowMs)).sort((a, b) => a.id - b.id);
  }

  leagueById(id: number, nowMs: number): League | undefined {
    return this.leagues(nowMs).find((l) => l.id === id);
  }

  /** Seasons shown at `nowMs` (in the plan or not), by id. */
  seasons(nowMs: number): Season[] {
    return [...this.dataset.seasons.values()].filter((s) => visible(s, nowMs)).sort((a, b) => a.id - b.id);
  }

  seasonById(id: number, nowMs: number): Season | undefined {
    const season = this.dataset.seasons.get(id);
    return season && visible(season, nowMs) ? season : undefined;
  }

  /** A fixture the API shows at `nowMs`; `inPlan` tells whether the plan may read it. */
  fixtureById(id: number, nowMs: number): FixtureScript | undefined {
    const fixture = this.dataset.fixtures.get(id);
    return fixture && visible(fixture, nowMs) ? fixture : undefined;
  }

  /** Fixtures of the plan shown at `nowMs`, by id: what lists, `latest` and the truth cover. */
  fixtures(nowMs: number): FixtureScript[] {
    return this.dataset.fixtureList.filter((f) => f.inPlan && visible(f, nowMs));
  }

  /** Two-legged ties of the plan shown at `nowMs`, by id. */
  aggregates(nowMs: number): Aggregate[] {
    return this.dataset.aggregates.filter((a) => a.legs[0].inPlan && visible(a.legs[0], nowMs));
  }

  /** The league's latest season shown at `nowMs` is its current one. */
  isCurrentSeason(season: Season, nowMs: number): boolean {
    const league = this.dataset.leagues.find((l) => l.id === season.leagueId);
    return league?.seasons.filter((s) => visible(s, nowMs)).at(-1)?.id === season.id;
  }

  renderLeague(league: League, nowMs: number, includes: ReadonlySet<string> = new Set()): Record<string, unknown> {
    const seasons = league.seasons.filter((s) => visible(s, nowMs));
    const started = seasons.flatMap((s) => s.fixtures).filter((f) => momentAt(f, nowMs).minute > 0);
    const last = started.length > 0 ? Math.max(...started.map((f) => playedKickoff(f) as number)) : null;
    const row: Record<string, unknown> = {
      id: league.id,
      sport_id: 1,
      country_id: league.countryId,
      name: league.name,
      active: true,
      short_code: league.shortCode,
      image_path: `https://cdn.simulator.invalid/images/soccer/leagues/${league.id}.png`,
      type: league.kind,
      sub_type: league.kind === "cup" ? "domestic_cup" : "domestic",
      last_played_at: last === null ? null : this.stamps.dateTime(last),
      category: 1,
      has_jerseys: false,
    };
    if (includes.has("seasons")) row.seasons = seasons.map((s) => this.renderSeason(s, nowMs));
    if (includes.has("currentSeason")) {
      const current = seasons.at(-1);
      row.currentseason = current ? this.renderSeason(current, nowMs) : null;
    }
    return row;
  }

  renderSeason(season: Season, nowMs: number): Record<string, unknown> {
    const start = firstKickoff(season.fixtures, nowMs);
    return {
      id: season.id,
      sport_id: 1,
      league_id: season.leagueId,
      tie_breaker_rule_id: null,
      name: season.name,
      finished: allEnded(season.fixtures, nowMs),
      pending: nowMs < start,
      is_current: this.isCurrentSeason(season, nowMs),
      starting_at: this.stamps.date(start),
      ending_at: this.stamps.date(lastKickoff(season.fixtures, nowMs)),
      standings_recalculated_at: null,
      games_in_current_week: inCurrentWeek(season.fixtures, nowMs),
    };
  }

  /** A tie: result and winner once the second leg is final, null before. */
  renderAggregate(aggregate: Aggregate, ctx: RenderContext, withFixtures: boolean): Record<string, unknown> {
    const [legOne, legTwo] = aggregate.legs;
    const one = finalGoals(legOne, ctx.nowMs);
    const two = finalGoals(legTwo, ctx.nowMs);
    const decided = one !== null && two !== null;
    const first = decided ? one[0] + two[1] : 0;
    const second = decided ? one[1] + two[0] : 0;
    const row: Record<string, unknown> = {
      id: aggregate.id,
      league_id: aggregate.leagueId,
      season_id: aggregate.seasonId,
      stage_id: aggregate.stageId,
      name: `${legOne.home.name} vs ${legOne.away.name}`,
      fixture_ids: [legOne.id, legTwo.id],
      result: decided ? `${first}-${second}` : null,
      detail: decided ? "After Full Time" : null,
      winner_participant_id: decided && first !== second ? (first > second ? legOne.home.id : legOne.away.id) : null,
    };
    if (withFixtures) row.fixtures = aggregate.legs.map((f) => scheduleFixture(f, ctx));
    return row;
  }

  /** GET schedules/seasons/{id}: stages in the real API's three layouts (rounds, aggregates, fixtures). */
  renderSchedule(season: Season, ctx: RenderContext): Record<string, unknown>[] {
    const nowMs = ctx.nowMs;
    const seasonCurrent = this.isCurrentSeason(season, nowMs);
    const currentStage = season.stages.find((s) => !allEnded(s.fixtures, nowMs)) ?? season.stages.at(-1);
    const renderRound = (stage: Stage, round: Round, currentRound: Round | undefined) => ({
      id: round.id,
      sport_id: 1,
      league_id: season.leagueId,
      season_id: season.id,
      stage_id: stage.id,
      name: round.name,
      finished: allEnded(round.fixtures, nowMs),
      is_current: seasonCurrent && stage === currentStage && round === currentRound,
      starting_at: this.stamps.date(firstKickoff(round.fixtures, nowMs)),
      ending_at: this.stamps.date(lastKickoff(round.fixtures, nowMs)),
      games_in_current_week: inCurrentWeek(round.fixtures, nowMs),
      fixtures: round.fixtures.map((f) => scheduleFixture(f, ctx)),
    });
    return season.stages.map((stage) => {
      const head = {
        id: stage.id,
        sport_id: 1,
        league_id: season.leagueId,
        season_id: season.id,
        type_id: stage.typeId,
        name: stage.name,
        sort_order: stage.sortOrder,
        finished: allEnded(stage.fixtures, nowMs),
        is_current: seasonCurrent && stage === currentStage,
        starting_at: this.stamps.date(firstKickoff(stage.fixtures, nowMs)),
        ending_at: this.stamps.date(lastKickoff(stage.fixtures, nowMs)),
        games_in_current_week: inCurrentWeek(stage.fixtures, nowMs),
        tie_breaker_rule_id: null,
      };
      if (stage.layout === "fixtures") return { ...head, fixtures: stage.fixtures.map((f) => scheduleFixture(f, ctx)), rounds: [] };
      if (stage.layout === "aggregates")
        return { ...head, aggregates: stage.aggregates.map((a) => this.renderAggregate(a, ctx, true)), rounds: [] };
      const currentRound = stage.rounds.find((r) => !allEnded(r.fixtures, nowMs)) ?? stage.rounds.at(-1);
      return { ...head, aggregates: [], rounds: stage.rounds.map((r) => renderRound(stage, r, currentRound)) };
    });
  }
}

/** A schedule's fixture: participants and scores, and (as in the recorded sample) no last_processed_at. */
function scheduleFixture(fixture: FixtureScript, ctx: RenderContext): Record<string, unknown> {
  const { last_processed_at: _, ...rest } = renderFixture(fixture, SCHEDULE_FIXTURE_INCLUDES, ctx);
  return rest;
}
