// What the API shows of a fixture at a simulated instant: its state (incidents
// included), the events that have happened so far (corrected ones once the
// correction is out), the scores they add up to, partial statistics, and lineups
// once announced (an hour before kickoff). Also when that view changes: any change
// moves `last_processed_at`; only changes of the watched fields reach `fixtures/latest`.

import { DAY, MINUTE, type Stamps } from "./clock.ts";
import type { FixtureScript, ScriptedEvent, Side, Team } from "./dataset.ts";
import { MATCH_LENGTH_MINUTES } from "./dataset.ts";

export const FIXTURE_INCLUDES = [
  "events",
  "lineups",
  "lineups.details",
  "statistics",
  "participants",
  "scores",
  "state",
  "league",
  "season",
] as const;

/**
 * Per-player statistics a lineup entry carries with `lineups.details` (type ids
 * as the API names them): minutes played, rating, passes, accurate passes,
 * touches, duels won, tackles, interceptions, shots total.
 * With them (simulator option `playerDetails`) a played fixture answers about
 * 50 KB, the size of a real one (../shared/sportmonks/samples: 48 KB with
 * events, statistics and the rest).
 */
const PLAYER_DETAIL_TYPES: readonly { typeId: number; max: number }[] = [
  { typeId: 119, max: 90 },
  { typeId: 118, max: 10 },
  { typeId: 80, max: 90 },
  { typeId: 116, max: 80 },
  { typeId: 120, max: 110 },
  { typeId: 106, max: 15 },
  { typeId: 78, max: 8 },
  { typeId: 100, max: 6 },
  { typeId: 42, max: 6 },
];

/**
 * States as GET /states lists them (the subset a simulated fixture can be in, with the real ids).
 * 1–10 are copied from the documented example; the names and short names of 11–17 are not checked.
 */
export const STATES = [
  { id: 1, state: "NS", name: "Not Started", short_name: "NS", developer_name: "NS" },
  { id: 2, state: "INPLAY_1ST_HALF", name: "1st Half", short_name: "1st", developer_name: "INPLAY_1ST_HALF" },
  { id: 3, state: "HT", name: "Half Time", short_name: "HT", developer_name: "HT" },
  { id: 5, state: "FT", name: "Full Time", short_name: "FT", developer_name: "FT" },
  { id: 7, state: "AET", name: "After Extra Time", short_name: "AET", developer_name: "AET" },
  { id: 8, state: "FT_PEN", name: "After Penalties", short_name: "FTP", developer_name: "FT_PEN" },
  { id: 10, state: "POSTPONED", name: "Postponed", short_name: "POST", developer_name: "POSTPONED" },
  { id: 11, state: "SUSPENDED", name: "Suspended", short_name: "SUSP", developer_name: "SUSPENDED" },
  { id: 12, state: "CANCELLED", name: "Cancelled", short_name: "CANC", developer_name: "CANCELLED" },
  { id: 15, state: "ABANDONED", name: "Abandoned", short_name: "ABAN", developer_name: "ABANDONED" },
  { id: 17, state: "AWARDED", name: "Technical Loss", short_name: "AWARDED", developer_name: "AWARDED" },
  { id: 22, state: "INPLAY_2ND_HALF", name: "2nd Half", short_name: "2nd", developer_name: "INPLAY_2ND_HALF" },
] as const;

/** Finished with a result. */
export const FINAL_STATE_IDS: ReadonlySet<number> = new Set([5, 7, 8]);
/** States a simulated fixture never leaves (finished, cancelled, abandoned, awarded). */
export const ENDED_STATE_IDS: ReadonlySet<number> = new Set([5, 7, 8, 12, 15, 17]);
/** The fields whose change puts a fixture in `fixtures/latest` (documented list). */
export const LATEST_WATCHED_FIELDS = [
  "state_id",
  "venue_id",
  "name",
  "starting_at",
  "starting_at_timestamp",
  "result_info",
  "leg",
  "length",
  "placeholder",
  "has_odds",
  "has_premium_odds",
] as const;

const LINEUPS_BEFORE_KICKOFF = 60 * MINUTE;
/** When an unplayed fixture was last touched: a fixed time before kickoff, so it never drifts. */
const SCHEDULED_BEFORE_KICKOFF = 60 * DAY;

export interface Moment {
  stateId: number;
  /** Match minute reached (0 before kickoff and for a fixture that is not played, 90 at the end). */
  minute: number;
}

/** The kickoff the fixture is (or will be) played at; null if it never is. */
export function playedKickoff(script: FixtureScript): number | null {
  const incident = script.incident;
  if (incident?.kind === "cancelled") return null;
  return incident?.kind === "postponed" ? incident.newKickoffMs : script.kickoffMs;
}

/** The kickoff the API shows at `nowMs`: a postponed fixture shows its new date once rescheduled. */
export function kickoffAt(script: FixtureScript, nowMs: number): number {
  const incident = script.incident;
  return incident?.kind === "postponed" && nowMs >= incident.rescheduledAtMs ? incident.newKickoffMs : script.kickoffMs;
}

/** The simulated instant at which an event of this minute becomes visible. */
function minuteVisibleAt(kickoffMs: number, minute: number): number {
  return kickoffMs + (minute <= 45 ? minute - 1 : 60 + minute - 46) * MINUTE;
}

function abandonedAt(script: FixtureScript): number | null {
  const incident = script.incident;
  const k = playedKickoff(script);
  return incident?.kind === "abandoned" && k !== null ? minuteVisibleAt(k, incident.minute + 1) : null;
}

export function momentAt(script: FixtureScript, nowMs: number): Moment {
  const incident = script.incident;
  if (incident?.kind === "cancelled") return { stateId: nowMs >= incident.announcedAtMs ? 12 : 1, minute: 0 };
  if (incident?.kind === "postponed" && nowMs >= incident.announcedAtMs && nowMs < incident.rescheduledAtMs) {
    return { stateId: 10, minute: 0 };
  }
  const abandon = abandonedAt(script);
  if (incident?.kind === "abandoned" && abandon !== null && nowMs >= abandon) return { stateId: 15, minute: incident.minute };
  const elapsed = (nowMs - (playedKickoff(script) as number)) / MINUTE;
  if (elapsed < 0) return { stateId: 1, minute: 0 };
  if (elapsed < 45) return { stateId: 2, minute: Math.floor(elapsed) + 1 };
  if (elapsed < 60) return { stateId: 3, minute: 45 };
  if (elapsed < 105) return { stateId: 22, minute: 46 + Math.floor(elapsed - 60) };
  if (elapsed < MATCH_LENGTH_MINUTES) return { stateId: 22, minute: 90 };
  return { stateId: 5, minute: 90 };
}

/** When the fixture reaches the state it keeps (full time, cancellation, abandonment). */
export function endsAt(script: FixtureScript): number {
  const incident = script.incident;
  if (incident?.kind === "cancelled") return incident.announcedAtMs;
  return abandonedAt(script) ?? (playedKickoff(script) as number) + MATCH_LENGTH_MINUTES * MINUTE;
}

/** The events and final statistics as published at `nowMs` (corrected once the correction is out). */
function dataAt(script: FixtureScript, nowMs: number): { events: ScriptedEvent[]; finalStats: Map<number, [number, number]> } {
  const correction = script.correction;
  return correction && nowMs >= correction.atMs ? correction : script;
}

/** Every instant at which this fixture's API view changes, ascending. */
function changePoints(script: FixtureScript): number[] {
  const points = new Set<number>([createdAt(script)]);
  const incident = script.incident;
  if (incident?.kind === "cancelled" || incident?.kind === "postponed") points.add(incident.announcedAtMs);
  if (incident?.kind === "postponed") points.add(incident.rescheduledAtMs);
  const k = playedKickoff(script);
  if (k !== null) {
    const end = endsAt(script);
    const minutes = script.events.map((e) => e.minute);
    for (const point of [
      k - LINEUPS_BEFORE_KICKOFF,
      k,
      k + 45 * MINUTE,
      k + 60 * MINUTE,
      end,
      ...minutes.map((m) => minuteVisibleAt(k, m)),
    ]) {
      if (point <= end) points.add(point);
    }
    if (script.correction) points.add(script.correction.atMs);
  }
  return [...points].sort((a, b) => a - b);
}

/** When the fixture was created: a fixed time before kickoff, or when its season appeared. */
function createdAt(script: FixtureScript): number {
  return Math.max(script.kickoffMs - SCHEDULED_BEFORE_KICKOFF, script.appearsAtMs);
}

/** The last instant at or before `nowMs` at which the fixture's view changed. */
function lastChangeAt(script: FixtureScript, nowMs: number): number {
  let last = createdAt(script);
  for (const point of changePoints(script)) {
    if (point > nowMs) break;
    last = point;
  }
  return last;
}

/** The watched fields at `nowMs` as served, as one comparable string. */
function watchedAt(script: FixtureScript, nowMs: number, stamps: Stamps): string {
  const fields = baseFields(script, nowMs, stamps);
  return JSON.stringify(LATEST_WATCHED_FIELDS.map((name) => fields[name]));
}

/** Fixtures that `fixtures/latest` reports at `nowMs`: created, or a watched field changed, within the window. */
export function changedWithin(script: FixtureScript, sinceMs: number, nowMs: number, stamps: Stamps): boolean {
  if (createdAt(script) > sinceMs) return true;
  return watchedAt(script, sinceMs, stamps) !== watchedAt(script, nowMs, stamps);
}

export interface RenderContext {
  nowMs: number;
  /** How instants are served (world time, or mapped onto the real clock). */
  stamps: Stamps;
  /** Per-player statistics under lineups.details (the simulator's `playerDetails`); off, each `details` is []. */
  playerDetails: boolean;
  leagueOf(id: number): unknown;
  seasonOf(id: number): unknown;
}

function goalsBy(events: readonly ScriptedEvent[], moment: Moment, side: Side, toMinute = moment.minute): number {
  if (moment.minute === 0) return 0;
  return events.filter((e) => e.typeId === 14 && e.side === side && e.minute <= toMinute).length;
}

function resultInfo(script: FixtureScript, events: readonly ScriptedEvent[], moment: Moment): string | null {
  if (!FINAL_STATE_IDS.has(moment.stateId)) return null;
  const home = goalsBy(events, moment, "home");
  const away = goalsBy(events, moment, "away");
  if (home === away) return "Game ended in draw.";
  return `${home > away ? script.home.name : script.away.name} won after full-time.`;
}

/** The fixture's own fields (no includes). */
function baseFields(script: FixtureScript, nowMs: number, stamps: Stamps): Record<string, unknown> {
  const moment = momentAt(script, nowMs);
  const kickoff = kickoffAt(script, nowMs);
  return {
    id: script.id,
    sport_id: 1,
    league_id: script.leagueId,
    season_id: script.seasonId,
    stage_id: script.stageId,
    group_id: script.groupId,
    aggregate_id: script.aggregateId,
    round_id: script.roundId,
    state_id: moment.stateId,
    venue_id: script.venueId,
    name: `${script.home.name} vs ${script.away.name}`,
    starting_at: stamps.dateTime(kickoff),
    result_info: resultInfo(script, dataAt(script, nowMs).events, moment),
    leg: script.leg,
    details: null,
    length: 90,
    placeholder: false,
    last_processed_at: stamps.dateTime(lastChangeAt(script, nowMs)),
    has_odds: true,
    has_premium_odds: script.hasPremiumOdds,
    starting_at_timestamp: stamps.epochSeconds(kickoff),
  };
}

/** Goals per side at the end of a finished fixture, [home, away], as published at `nowMs`; null before. */
export function finalGoals(script: FixtureScript, nowMs: number): [number, number] | null {
  const moment = momentAt(script, nowMs);
  if (!FINAL_STATE_IDS.has(moment.stateId)) return null;
  const { events } = dataAt(script, nowMs);
  return [goalsBy(events, moment, "home"), goalsBy(events, moment, "away")];
}

export function renderFixture(script: FixtureScript, includes: ReadonlySet<string>, ctx: RenderContext): Record<string, unknown> {
  const moment = momentAt(script, ctx.nowMs);
  const { events, finalStats } = dataAt(script, ctx.nowMs);
  const fixture = baseFields(script, ctx.nowMs, ctx.stamps);
  if (includes.has("state")) fixture.state = STATES.find((s) => s.id === moment.stateId);
  if (includes.has("league")) fixture.league = ctx.leagueOf(script.leagueId);
  if (includes.has("season")) fixture.season = ctx.seasonOf(script.seasonId);
  if (includes.has("participants")) fixture.participants = renderParticipants(script, events, moment);
  if (includes.has("scores")) fixture.scores = renderScores(script, events, moment);
  if (includes.has("events")) fixture.events = renderEvents(script, events, moment);
  if (includes.has("lineups") || includes.has("lineups.details")) {
    const withDetails = includes.has("lineups.details");
    const details = withDetails ? (ctx.playerDetails ? { events, moment } : "none") : null;
    fixture.lineups = lineupsAnnounced(script, ctx.nowMs) ? renderLineups(script, details) : [];
  }
  if (includes.has("statistics")) fixture.statistics = renderStatistics(script, events, finalStats, moment);
  return fixture;
}

function lineupsAnnounced(script: FixtureScript, nowMs: number): boolean {
  const k = playedKickoff(script);
  return k !== null && nowMs >= k - LINEUPS_BEFORE_KICKOFF && momentAt(script, nowMs).stateId !== 10;
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

function renderParticipants(script: FixtureScript, events: readonly ScriptedEvent[], moment: Moment): Record<string, unknown>[] {
  const final = FINAL_STATE_IDS.has(moment.stateId);
  const home = goalsBy(events, moment, "home");
  const away = goalsBy(events, moment, "away");
  return (["home", "away"] as const).map((side) => {
    const team = side === "home" ? script.home : script.away;
    const winner = final ? (side === "home" ? home > away : away > home) : null;
    return { ...renderTeam(team), meta: { location: side, winner, position: script.tiePositions?.[side] ?? null } };
  });
}

function renderScores(script: FixtureScript, events: readonly ScriptedEvent[], moment: Moment): Record<string, unknown>[] {
  if (moment.minute === 0) return [];
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
    const firstHalf = goalsBy(events, moment, side, Math.min(moment.minute, 45));
    const total = goalsBy(events, moment, side);
    add(i, 1, "1ST_HALF", side, firstHalf);
    if (moment.minute > 45) {
      add(2 + i, 2, "2ND_HALF", side, total);
      add(6 + i, 48996, "2ND_HALF_ONLY", side, total - firstHalf);
    }
    add(4 + i, 1525, "CURRENT", side, total);
  }
  return rows;
}

function renderEvents(script: FixtureScript, events: readonly ScriptedEvent[], moment: Moment): Record<string, unknown>[] {
  if (moment.minute === 0) return [];
  const running = { home: 0, away: 0 };
  const rows: Record<string, unknown>[] = [];
  events.forEach((event, index) => {
    if (event.minute > moment.minute) return;
    const team = event.side === "home" ? script.home : script.away;
    let result: string | null = null;
    if (event.typeId === 14) {
      running[event.side]++;
      result = `${running.home}-${running.away}`;
    }
    // Ids stay put when a correction removes or adds a goal: an added one takes the spare slot 99.
    const original = script.events.indexOf(event);
    rows.push({
      id: script.id * 100 + (original >= 0 ? original : 99),
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

/** A value in 0..max that stays put for a fixture, player and type (no RNG: the dataset's draws stay as they are). */
function detailValue(fixtureId: number, playerId: number, typeId: number, max: number): number {
  let h = (fixtureId * 31 + playerId) * 31 + typeId;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return ((h ^ (h >>> 16)) >>> 0) % (max + 1);
}

/** A player's `details` so far: starters from kickoff, substitutes from the minute they came on; none for an unused one. */
function renderPlayerDetails(
  script: FixtureScript,
  entry: FixtureScript["lineups"][number],
  lineupId: number,
  teamId: number,
  played: { events: readonly ScriptedEvent[]; moment: Moment },
): Record<string, unknown>[] {
  const { events, moment } = played;
  const on = entry.starter
    ? 0
    : events.find((e) => e.typeId === 18 && e.player.id === entry.player.id && e.minute <= moment.minute)?.minute;
  if (on === undefined || moment.minute === 0) return [];
  const share = (moment.minute - on) / 90;
  return PLAYER_DETAIL_TYPES.map(({ typeId, max }) => ({
    id: lineupId * 100 + typeId,
    fixture_id: script.id,
    player_id: entry.player.id,
    team_id: teamId,
    lineup_id: lineupId,
    type_id: typeId,
    data: {
      value:
        typeId === 119
          ? moment.minute - on
          : typeId === 118
            ? 6 + detailValue(script.id, entry.player.id, typeId, 30) / 10
            : Math.round(detailValue(script.id, entry.player.id, typeId, max) * share),
    },
  }));
}

/** `details`: the per-player statistics so far, "none" for a league without player coverage, null when not asked. */
function renderLineups(
  script: FixtureScript,
  details: { events: readonly ScriptedEvent[]; moment: Moment } | "none" | null,
): Record<string, unknown>[] {
  return script.lineups.map((entry, index) => {
    const team = entry.side === "home" ? script.home : script.away;
    const id = script.id * 40 + index;
    return {
      id,
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
      ...(details === null ? {} : { details: details === "none" ? [] : renderPlayerDetails(script, entry, id, team.id, details) }),
    };
  });
}

function renderStatistics(
  script: FixtureScript,
  events: readonly ScriptedEvent[],
  finalStats: Map<number, [number, number]>,
  moment: Moment,
): Record<string, unknown>[] {
  if (moment.minute === 0) return [];
  const fraction = moment.minute / 90;
  const rows: Record<string, unknown>[] = [];
  let index = 0;
  for (const [typeId, [home, away]] of finalStats) {
    for (const side of ["home", "away"] as const) {
      const final = side === "home" ? home : away;
      let value: number;
      if (typeId === 45)
        value = final; // possession is a share, not a running count
      else if (typeId === 52) value = goalsBy(events, moment, side);
      else if (typeId === 84) value = events.filter((e) => e.typeId === 19 && e.side === side && e.minute <= moment.minute).length;
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
