// The static, seed-determined world: domestic leagues (one regular-season stage of
// weekly rounds), cups (group stage, two-legged knockouts, a one-leg final), the
// seasons that appear later (rollover, a league joining the plan), teams with
// squads, and every fixture's full script (see script.ts, incidents.ts). What the
// API shows at a given moment is derived from these in fixture-view.ts and catalog.ts.

import { DAY, MINUTE } from "./clock.ts";
import { buildCupSeason } from "./cup.ts";
import { type Correction, drawCorrection, drawIncident, type Incident, type IncidentRates } from "./incidents.ts";
import { CITIES, CUP_IDS, CUP_NAMES, FIRST_NAMES, LAST_NAMES, LEAGUE_IDS, LEAGUE_NAMES, SQUAD_POSITIONS, SUFFIXES } from "./names.ts";
import { hashParts, Random } from "./random.ts";
import { type FixtureBase, scriptFixture } from "./script.ts";

export interface DatasetOptions {
  seed: number;
  leagues: number;
  seasonsPerLeague: number;
  teamsPerLeague: number;
  cups: number;
  /** Extra leagues listed by `leagues`/`seasons` whose schedules and fixtures answer 5007. */
  leaguesOutsidePlan: number;
  /** Simulated instant the current season is centred on (epoch ms). */
  anchorMs: number;
  /** When every league's next season appears; null: three weeks after its current season's last kickoff. */
  nextSeasonAtMs: number | null;
  /** When a new league (with one season) joins the plan; null: never. */
  newLeagueAtMs: number | null;
  incidents: IncidentRates;
  correctionRate: number;
  correctionDelayMs: { min: number; max: number };
}

export interface Player {
  id: number;
  name: string;
  positionId: number;
  jersey: number;
}

export interface Team {
  id: number;
  name: string;
  shortCode: string;
  countryId: number;
  venueId: number;
  founded: number;
  players: Player[];
}

/** Always visible: the world as it stands at start. */
const FROM_THE_START = Number.NEGATIVE_INFINITY;

export interface League {
  id: number;
  name: string;
  shortCode: string;
  countryId: number;
  kind: "league" | "cup";
  /** False: listed, but its schedules and fixtures answer 403 with code 5007. */
  inPlan: boolean;
  /** Simulated instant from which the API shows it (FROM_THE_START for the initial world). */
  appearsAtMs: number;
  teams: Team[];
  seasons: Season[];
}

export interface Round {
  id: number;
  name: string;
  stageId: number;
  fixtures: FixtureScript[];
}

/** Two legs between the same teams; the first leg's home team holds position 1. */
export interface Aggregate {
  id: number;
  leagueId: number;
  seasonId: number;
  stageId: number;
  legs: [FixtureScript, FixtureScript];
}

/**
 * A stage as the schedule lays it out: `rounds` (league / group stage, type 223),
 * `aggregates` (two-legged knockout, type 224) or `fixtures` (single-leg knockout, type 224).
 */
export interface Stage {
  id: number;
  leagueId: number;
  seasonId: number;
  name: string;
  typeId: 223 | 224;
  sortOrder: number;
  layout: "rounds" | "aggregates" | "fixtures";
  rounds: Round[];
  aggregates: Aggregate[];
  /** Every fixture of the stage, whatever the layout. */
  fixtures: FixtureScript[];
}

export interface Season {
  id: number;
  leagueId: number;
  name: string;
  appearsAtMs: number;
  inPlan: boolean;
  stages: Stage[];
  fixtures: FixtureScript[];
}

export type Side = "home" | "away";

export interface ScriptedEvent {
  /** Event type id as the API reports it: 14 goal, 18 substitution, 19 yellow card, 20 red card. */
  typeId: number;
  minute: number;
  side: Side;
  player: Player;
  related: Player | null;
}

export interface LineupEntry {
  player: Player;
  side: Side;
  starter: boolean;
  formationPosition: number | null;
}

export interface FixtureScript {
  id: number;
  leagueId: number;
  seasonId: number;
  stageId: number;
  groupId: number | null;
  aggregateId: number | null;
  /** Null for knockout fixtures, as the API has them. */
  roundId: number | null;
  /** "1/1", or "1/2" / "2/2" for the legs of an aggregate. */
  leg: string;
  /** In an aggregate: each side's position in the tie (1 = the first leg's home team). */
  tiePositions: Record<Side, 1 | 2> | null;
  venueId: number;
  home: Team;
  away: Team;
  /** The originally scheduled kickoff (a postponement moves it later, see `incident`). */
  kickoffMs: number;
  appearsAtMs: number;
  inPlan: boolean;
  hasPremiumOdds: boolean;
  /** Sorted by minute; the scorelines follow from the goal events. */
  events: ScriptedEvent[];
  lineups: LineupEntry[];
  /** Final statistics per type id: [home, away]. */
  finalStats: Map<number, [number, number]>;
  /** Postponed, cancelled or abandoned; null for a fixture played as scheduled. */
  incident: Incident | null;
  /** A change to the result published some time after full time; null if none. */
  correction: Correction | null;
}

export interface Dataset {
  options: DatasetOptions;
  leagues: League[];
  seasons: Map<number, Season>;
  fixtures: Map<number, FixtureScript>;
  /** All fixtures ordered by id (visible or not yet: filter with the catalog). */
  fixtureList: FixtureScript[];
  /** All two-legged ties ordered by id. */
  aggregates: Aggregate[];
}

export const MATCH_LENGTH_MINUTES = 110; // 45 + 15 half time + 45 + stoppage
export const SLOT_MINUTES = 90;
export const WEEK = 7 * DAY;
const SEASON_GAP = 8 * WEEK;
/** A season that appears later kicks off this long after it appears. */
const NEW_SEASON_LEAD = WEEK;
/** Without `nextSeasonAtMs`, the next season appears this long after the current season's last kickoff. */
const NATURAL_ROLLOVER_AFTER = 3 * WEEK;
const CUP_TEAMS = 16;

type IdKind = "team" | "player" | "season" | "stage" | "round" | "group" | "aggregate" | "fixture";

/** Increasing id sequences with seeded gaps, like the real API's. */
class IdSequence {
  private readonly next: Record<IdKind, number>;

  constructor(private readonly rng: Random) {
    this.next = {
      team: 1 + rng.int(0, 50),
      player: 10_000 + rng.int(0, 500),
      season: 21_000 + rng.int(0, 500),
      stage: 77_450_000 + rng.int(0, 5000),
      round: 330_000 + rng.int(0, 5000),
      group: 246_000 + rng.int(0, 500),
      aggregate: 58_000 + rng.int(0, 500),
      fixture: 19_000_000 + rng.int(0, 50_000),
    };
  }

  take(kind: IdKind, maxStep: number): number {
    const id = this.next[kind];
    this.next[kind] += this.rng.int(1, maxStep);
    return id;
  }
}

/** What the league and cup builders share: ids, randomness and how to script a fixture. */
export interface WorldContext {
  seed: number;
  rng: Random;
  ids: IdSequence;
  fixtures: Map<number, FixtureScript>;
  aggregates: Aggregate[];
  /** Scripts a fixture (with its incident and correction when `kinds` allow them) and registers it. */
  script(base: FixtureBase, kinds: { incidents: boolean; corrections: boolean }): FixtureScript;
}

export function buildDataset(options: DatasetOptions): Dataset {
  const rng = new Random(hashParts(options.seed, "world"));
  const fixtures = new Map<number, FixtureScript>();
  const aggregates: Aggregate[] = [];
  const ctx: WorldContext = {
    seed: options.seed,
    rng,
    ids: new IdSequence(rng),
    fixtures,
    aggregates,
    script: (base, kinds) => {
      const script = scriptFixture(options.seed, base);
      if (kinds.incidents) script.incident = drawIncident(options.seed, script, options.incidents);
      if (kinds.corrections && !script.incident) {
        script.correction = drawCorrection(options.seed, script, options.correctionRate, options.correctionDelayMs);
      }
      fixtures.set(script.id, script);
      return script;
    },
  };

  const leagueIds = rng.shuffle(LEAGUE_IDS).slice(0, options.leagues + options.leaguesOutsidePlan);
  const inPlanIds = new Set(leagueIds.slice(0, options.leagues));
  const roundCount = 2 * (options.teamsPerLeague - 1);
  const seasonSpan = (roundCount - 1) * WEEK + SEASON_GAP;
  const anchor = Math.floor(options.anchorMs / MINUTE) * MINUTE;
  const leagues: League[] = [];

  [...leagueIds]
    .sort((a, b) => a - b)
    .forEach((leagueId, leagueIndex) => {
      const league = newLeague(ctx, {
        id: leagueId,
        name: LEAGUE_NAMES[LEAGUE_IDS.indexOf(leagueId)] ?? `League ${leagueId}`,
        countryId: 400 + leagueIndex * 17,
        kind: "league",
        inPlan: inPlanIds.has(leagueId),
        appearsAtMs: FROM_THE_START,
        teamCount: options.teamsPerLeague,
      });
      // Kickoffs of the current season's middle round straddle the anchor, so at
      // start some fixtures are finished, some live and some not started yet.
      const currentFirstKickoff = anchor - Math.floor(roundCount / 2) * WEEK - 2 * SLOT_MINUTES * MINUTE + leagueIndex * 15 * MINUTE;
      for (let s = 0; s < options.seasonsPerLeague; s++) {
        const firstKickoff = currentFirstKickoff - (options.seasonsPerLeague - 1 - s) * seasonSpan;
        addLeagueSeason(ctx, league, firstKickoff, FROM_THE_START);
      }
      leagues.push(league);
    });

  for (let c = 0; c < options.cups; c++) {
    const cup = newLeague(ctx, {
      id: CUP_IDS[c] as number,
      name: CUP_NAMES[c] as string,
      countryId: 1000 + c,
      kind: "cup",
      inPlan: true,
      appearsAtMs: FROM_THE_START,
      teamCount: CUP_TEAMS,
    });
    // The current season's group stage has one round left after this week's, so the
    // knockouts (and the final, about 4½ weeks on) are still to come.
    const currentGroupStart = anchor - 4 * WEEK + 3 * DAY + c * 20 * MINUTE;
    for (let s = 0; s < options.seasonsPerLeague; s++) {
      const groupStart = currentGroupStart - (options.seasonsPerLeague - 1 - s) * seasonSpan;
      cup.seasons.push(buildCupSeason(ctx, cup, seasonName(cup, groupStart), groupStart, FROM_THE_START));
    }
    leagues.push(cup);
  }

  // Later seasons get higher ids than every season of the initial world.
  for (const league of leagues) {
    const current = league.seasons.at(-1) as Season;
    const appearsAt = options.nextSeasonAtMs ?? Math.max(...current.fixtures.map((f) => f.kickoffMs)) + NATURAL_ROLLOVER_AFTER;
    const firstKickoff = Math.floor((appearsAt + NEW_SEASON_LEAD) / MINUTE) * MINUTE;
    if (league.kind === "cup") league.seasons.push(buildCupSeason(ctx, league, seasonName(league, firstKickoff), firstKickoff, appearsAt));
    else addLeagueSeason(ctx, league, firstKickoff, appearsAt);
  }

  if (options.newLeagueAtMs !== null) {
    const id = Math.max(...leagues.map((l) => l.id)) + rng.int(100, 400);
    const league = newLeague(ctx, {
      id,
      name: "Challenger League",
      countryId: 990,
      kind: "league",
      inPlan: true,
      appearsAtMs: options.newLeagueAtMs,
      teamCount: options.teamsPerLeague,
    });
    addLeagueSeason(ctx, league, Math.floor((options.newLeagueAtMs + NEW_SEASON_LEAD) / MINUTE) * MINUTE, options.newLeagueAtMs);
    leagues.push(league);
  }

  const seasons = new Map<number, Season>();
  for (const league of leagues) for (const season of league.seasons) seasons.set(season.id, season);
  const fixtureList = [...fixtures.values()].sort((a, b) => a.id - b.id);
  aggregates.sort((a, b) => a.id - b.id);
  return { options, leagues, seasons, fixtures, fixtureList, aggregates };
}

interface LeagueSpec {
  id: number;
  name: string;
  countryId: number;
  kind: League["kind"];
  inPlan: boolean;
  appearsAtMs: number;
  teamCount: number;
}

function newLeague(ctx: WorldContext, spec: LeagueSpec): League {
  const { rng, ids } = ctx;
  const cities = rng.shuffle(CITIES);
  const teams: Team[] = [];
  for (let t = 0; t < spec.teamCount; t++) {
    const id = ids.take("team", 40);
    const name = `${cities[t % cities.length]}${t >= cities.length ? " II" : ""} ${rng.pick(SUFFIXES)}`;
    const players = SQUAD_POSITIONS.map((positionId, index) => ({
      id: ids.take("player", 1),
      name: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      positionId,
      jersey: index + 1,
    }));
    teams.push({
      id,
      name,
      shortCode: name.slice(0, 3).toUpperCase(),
      countryId: spec.countryId,
      venueId: 5000 + id,
      founded: rng.int(1870, 1990),
      players,
    });
  }
  return {
    id: spec.id,
    name: spec.name,
    shortCode: `${spec.kind === "cup" ? "C" : "L"}${spec.id}`,
    countryId: spec.countryId,
    kind: spec.kind,
    inPlan: spec.inPlan,
    appearsAtMs: spec.appearsAtMs,
    teams,
    seasons: [],
  };
}

/** "2024/2025" from the first season's start year onward, one year per season. */
function seasonName(league: League, firstKickoffMs: number): string {
  const first = league.seasons[0]?.name;
  const startYear = first ? Number(first.slice(0, 4)) + league.seasons.length : new Date(firstKickoffMs).getUTCFullYear();
  return `${startYear}/${startYear + 1}`;
}

/** A double round robin, one round a week, one regular-season stage. */
function addLeagueSeason(ctx: WorldContext, league: League, firstKickoffMs: number, appearsAtMs: number): void {
  const { ids, rng } = ctx;
  const seasonId = ids.take("season", 9);
  const stageId = ids.take("stage", 30);
  const season: Season = {
    id: seasonId,
    leagueId: league.id,
    name: seasonName(league, firstKickoffMs),
    appearsAtMs,
    inPlan: league.inPlan,
    stages: [],
    fixtures: [],
  };
  const stage: Stage = {
    id: stageId,
    leagueId: league.id,
    seasonId,
    name: "Regular Season",
    typeId: 223,
    sortOrder: 1,
    layout: "rounds",
    rounds: [],
    aggregates: [],
    fixtures: [],
  };
  for (const [roundIndex, pairs] of roundRobin(league.teams, rng).entries()) {
    const round: Round = { id: ids.take("round", 4), name: String(roundIndex + 1), stageId, fixtures: [] };
    pairs.forEach(([home, away], slot) => {
      const script = ctx.script(
        {
          id: ids.take("fixture", 3),
          leagueId: league.id,
          seasonId,
          stageId,
          groupId: null,
          aggregateId: null,
          roundId: round.id,
          leg: "1/1",
          tiePositions: null,
          home,
          away,
          kickoffMs: firstKickoffMs + roundIndex * WEEK + slot * SLOT_MINUTES * MINUTE,
          appearsAtMs,
          inPlan: league.inPlan,
        },
        { incidents: true, corrections: true },
      );
      round.fixtures.push(script);
      stage.fixtures.push(script);
      season.fixtures.push(script);
    });
    stage.rounds.push(round);
  }
  season.stages.push(stage);
  league.seasons.push(season);
}

/** Circle-method double round robin: every team meets every other once at home and once away. */
export function roundRobin(teams: Team[], rng: Random): [Team, Team][][] {
  const order = rng.shuffle(teams);
  const n = order.length;
  const firstLeg: [Team, Team][][] = [];
  for (let r = 0; r < n - 1; r++) {
    const pairs: [Team, Team][] = [];
    for (let i = 0; i < n / 2; i++) {
      const a = order[i] as Team;
      const b = order[n - 1 - i] as Team;
      pairs.push(r % 2 === 0 ? [a, b] : [b, a]);
    }
    firstLeg.push(pairs);
    // Rotate every team but the first.
    order.splice(1, 0, order.pop() as Team);
  }
  const secondLeg = firstLeg.map((pairs) => pairs.map(([home, away]) => [away, home] as [Team, Team]));
  return [...firstLeg, ...secondLeg];
}
