// What the API shows of a fixture at a simulated instant: its state, the events
// that have happened so far, the scores they add up to, partial statistics, and
// lineups once announced (an hour before kickoff). Also the instants at which
// that view changes, which drive `fixtures/latest` and `last_processed_at`.

import { DAY, formatDateTime, MINUTE } from "./clock.ts";
import type { FixtureScript, Side, Team } from "./dataset.ts";
import { MATCH_LENGTH_MINUTES } from "./dataset.ts";

export const FIXTURE_INCLUDES = ["events", "lineups", "statistics", "participants", "scores", "state", "league", "season"] as const;

/** States as GET /states lists them (the subset a simulated fixture passes through). */
export const STATES = [
  { id: 1, state: "NS", name: "Not Started", short_name: "NS", developer_name: "NS" },
  { id: 2, state: "INPLAY_1ST_HALF", name: "1st Half", short_name: "1st", developer_name: "INPLAY_1ST_HALF" },
  { id: 3, state: "HT", name: "Half Time", short_name: "HT", developer_name: "HT" },
  { id: 5, state: "FT", name: "Full Time", short_name: "FT", developer_name: "FT" },
  { id: 22, state: "INPLAY_2ND_HALF", name: "2nd Half", short_name: "2nd", developer_name: "INPLAY_2ND_HALF" },
] as const;

export const FINAL_STATE_IDS: ReadonlySet<number> = new Set([5]);
const LINEUPS_BEFORE_KICKOFF = 60 * MINUTE;
/** When an unplayed fixture was last touched: a fixed time before kickoff, so it never drifts. */
const SCHEDULED_BEFORE_KICKOFF = 60 * DAY;

export interface Moment {
  stateId: number;
  /** Match minute reached (0 before kickoff, 90 at the end). */
  minute: number;
}

export function momentAt(script: FixtureScript, nowMs: number): Moment {
  const elapsed = (nowMs - script.kickoffMs) / MINUTE;
  if (elapsed < 0) return { stateId: 1, minute: 0 };
  if (elapsed < 45) return { stateId: 2, minute: Math.floor(elapsed) + 1 };
  if (elapsed < 60) return { stateId: 3, minute: 45 };
  if (elapsed < 105) return { stateId: 22, minute: 46 + Math.floor(elapsed - 60) };
  if (elapsed < MATCH_LENGTH_MINUTES) return { stateId: 22, minute: 90 };
  return { stateId: 5, minute: 90 };
}

/** The simulated instant at which an event of this minute becomes visible. */
function eventVisibleAt(script: FixtureScript, minute: number): number {
  return script.kickoffMs + (minute <= 45 ? minute - 1 : 60 + minute - 46) * MINUTE;
}

/** Every instant at which this fixture's API view changes, ascending. */
function changePoints(script: FixtureScript): number[] {
  const k = script.kickoffMs;
  const points = new Set<number>([
    k - SCHEDULED_BEFORE_KICKOFF,
    k - LINEUPS_BEFORE_KICKOFF,
    k,
    k + 45 * MINUTE,
    k + 60 * MINUTE,
    k + MATCH_LENGTH_MINUTES * MINUTE,
  ]);
  for (const event of script.events) points.add(eventVisibleAt(script, event.minute));
  return [...points].sort((a, b) => a - b);
}

/** The last instant at or before `nowMs` at which the fixture's view changed. */
export function lastChangeAt(script: FixtureScript, nowMs: number): number {
  let last = script.kickoffMs - SCHEDULED_BEFORE_KICKOFF;
  for (const point of changePoints(script)) {
    if (point > nowMs) break;
    last = point;
  }
  return last;
}

export interface RenderContext {
  nowMs: number;
  leagueOf(id: number): unknown;
  seasonOf(id: number): unknown;
}

function goalsBy(script: FixtureScript, moment: Moment, side: Side, toMinute = moment.minute): number {
  if (moment.stateId === 1) return 0;
  return script.events.filter((e) => e.typeId === 14 && e.side === side && e.minute <= toMinute).length;
}

function resultInfo(script: FixtureScript, moment: Moment): string | null {
  if (!FINAL_STATE_IDS.has(moment.stateId)) return null;
  const home = goalsBy(script, moment, "home");
  const away = goalsBy(script, moment, "away");
  if (home === away) return "Game ended in draw.";
  return `${home > away ? script.home.name : script.away.name} won after full-time.`;
}

export function renderFixture(script: FixtureScript, includes: ReadonlySet<string>, ctx: RenderContext): Record<string, unknown> {
  const moment = momentAt(script, ctx.nowMs);
  const fixture: Record<string, unknown> = {
    id: script.id,
    sport_id: 1,
    league_id: script.leagueId,
    season_id: script.seasonId,
    stage_id: script.stageId,
    group_id: null,
    aggregate_id: null,
    round_id: script.roundId,
    state_id: moment.stateId,
    venue_id: script.venueId,
    name: `${script.home.name} vs ${script.away.name}`,
    starting_at: formatDateTime(script.kickoffMs),
    result_info: resultInfo(script, moment),
    leg: "1/1",
    details: null,
    length: 90,
    placeholder: false,
    last_processed_at: formatDateTime(lastChangeAt(script, ctx.nowMs)),
    has_odds: true,
    has_premium_odds: script.hasPremiumOdds,
    starting_at_timestamp: Math.floor(script.kickoffMs / 1000),
  };
  if (includes.has("state")) fixture.state = STATES.find((s) => s.id === moment.stateId);
  if (includes.has("league")) fixture.league = ctx.leagueOf(script.leagueId);
  if (includes.has("season")) fixture.season = ctx.seasonOf(script.seasonId);
  if (includes.has("participants")) fixture.participants = renderParticipants(script, moment);
  if (includes.has("scores")) fixture.scores = renderScores(script, moment);
  if (includes.has("events")) fixture.events = renderEvents(script, moment);
  if (includes.has("lineups")) fixture.lineups = ctx.nowMs >= script.kickoffMs - LINEUPS_BEFORE_KICKOFF ? renderLineups(script) : [];
  if (includes.has("statistics")) fixture.statistics = renderStatistics(script, moment);
  return fixture;
}

function renderTeam(team: Team): Record<string, unknown> {
  return {
    id: team.id,
    sport_id: 1,
    country_id: team.countryId,
    venue_id: team.venueId,
    gender: "male",
    name: team.name,
    short_code: team.shortCode,
    image_path: `https://cdn.simulator.invalid/images/soccer/teams/${team.id}.png`,
    founded: team.founded,
    type: "domestic",
    placeholder: false,
    last_played_at: null,
  };
}

function renderParticipants(script: FixtureScript, moment: Moment): Record<string, unknown>[] {
  const final = FINAL_STATE_IDS.has(moment.stateId);
  const home = goalsBy(script, moment, "home");
  const away = goalsBy(script, moment, "away");
  return (["home", "away"] as const).map((side) => {
    const team = side === "home" ? script.home : script.away;
    const winner = final ? (side === "home" ? home > away : away > home) : null;
    return { ...renderTeam(team), meta: { location: side, winner, position: null } };
  });
}

function renderScores(script: FixtureScript, moment: Moment): Record<string, unknown>[] {
  if (moment.stateId === 1) return [];
  const rows: Record<string, unknown>[] = [];
  const add = (slot: number, typeId: number, description: string, side: Side, goals: number) => {
    const team = side === "home" ? script.home : script.away;
    rows.push({
      id: script.id * 10 + slot,
      fixture_id: script.id,
      type_id: typeId,
      participant_id: team.id,
      score: { goals, participant: side },
      description,
    });
  };
  for (const [i, side] of (["home", "away"] as const).entries()) {
    add(i, 1, "1ST_HALF", side, goalsBy(script, moment, side, Math.min(moment.minute, 45)));
    if (moment.minute > 45) add(2 + i, 2, "2ND_HALF", side, goalsBy(script, moment, side));
    add(4 + i, 1525, "CURRENT", side, goalsBy(script, moment, side));
  }
  return rows;
}

function renderEvents(script: FixtureScript, moment: Moment): Record<string, unknown>[] {
  if (moment.stateId === 1) return [];
  const running = { home: 0, away: 0 };
  const rows: Record<string, unknown>[] = [];
  script.events.forEach((event, index) => {
    if (event.minute > moment.minute) return;
    const team = event.side === "home" ? script.home : script.away;
    let result: string | null = null;
    if (event.typeId === 14) {
      running[event.side]++;
      result = `${running.home}-${running.away}`;
    }
    rows.push({
      id: script.id * 100 + index,
      fixture_id: script.id,
      period_id: script.id * 10 + (event.minute <= 45 ? 1 : 2),
      participant_id: team.id,
      type_id: event.typeId,
      section: "event",
      player_id: event.player.id,
      related_player_id: event.related?.id ?? null,
      player_name: event.player.name,
      related_player_name: event.related?.name ?? null,
      result,
      info: null,
      addition: null,
      minute: event.minute,
      extra_minute: null,
      injured: event.typeId === 18 ? false : null,
      on_bench: false,
      coach_id: null,
      sub_type_id: null,
      sort_order: index + 1,
    });
  });
  return rows;
}

function renderLineups(script: FixtureScript): Record<string, unknown>[] {
  return script.lineups.map((entry, index) => {
    const team = entry.side === "home" ? script.home : script.away;
    return {
      id: script.id * 40 + index,
      sport_id: 1,
      fixture_id: script.id,
      player_id: entry.player.id,
      team_id: team.id,
      position_id: entry.player.positionId,
      formation_field: entry.formationPosition === null ? null : `${entry.side === "home" ? 1 : 2}:${entry.formationPosition}`,
      type_id: entry.starter ? 11 : 12,
      formation_position: entry.formationPosition,
      player_name: entry.player.name,
      jersey_number: entry.player.jersey,
    };
  });
}

function renderStatistics(script: FixtureScript, moment: Moment): Record<string, unknown>[] {
  if (moment.stateId === 1) return [];
  const fraction = moment.minute / 90;
  const rows: Record<string, unknown>[] = [];
  let index = 0;
  for (const [typeId, [home, away]] of script.finalStats) {
    for (const side of ["home", "away"] as const) {
      const final = side === "home" ? home : away;
      let value: number;
      if (typeId === 45)
        value = final; // possession is a share, not a running count
      else if (typeId === 52) value = goalsBy(script, moment, side);
      else if (typeId === 84) value = script.events.filter((e) => e.typeId === 19 && e.side === side && e.minute <= moment.minute).length;
      else value = FINAL_STATE_IDS.has(moment.stateId) ? final : Math.floor(final * fraction);
      const team = side === "home" ? script.home : script.away;
      rows.push({
        id: script.id * 20 + index++,
        fixture_id: script.id,
        type_id: typeId,
        participant_id: team.id,
        data: { value },
        location: side,
      });
    }
  }
  return rows;
}
