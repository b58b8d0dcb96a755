// The static, seed-determined world: leagues, seasons, one regular-season stage
// per season with weekly rounds, teams with squads, and every fixture's full
// "script" (kickoff, goals, cards, substitutions, final statistics). What the API
// shows of a fixture at a given moment is derived from its script in fixture-view.ts.

import { DAY, MINUTE } from "./clock.ts";
import { hashParts, Random } from "./random.ts";

export interface DatasetOptions {
  seed: number;
  leagues: number;
  seasonsPerLeague: number;
  teamsPerLeague: number;
  /** Simulated instant the current season is centred on (epoch ms). */
  anchorMs: number;
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

export interface League {
  id: number;
  name: string;
  shortCode: string;
  countryId: number;
  teams: Team[];
  seasons: Season[];
}

export interface Round {
  id: number;
  name: string;
  stageId: number;
  fixtures: FixtureScript[];
}

export interface Season {
  id: number;
  leagueId: number;
  name: string;
  stageId: number;
  rounds: Round[];
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
  roundId: number;
  venueId: number;
  home: Team;
  away: Team;
  kickoffMs: number;
  hasPremiumOdds: boolean;
  /** Sorted by minute; the scorelines follow from the goal events. */
  events: ScriptedEvent[];
  lineups: LineupEntry[];
  /** Final statistics per type id: [home, away]. */
  finalStats: Map<number, [number, number]>;
}

export interface Dataset {
  options: DatasetOptions;
  leagues: League[];
  seasons: Map<number, Season>;
  fixtures: Map<number, FixtureScript>;
  /** All fixtures ordered by id. */
  fixtureList: FixtureScript[];
}

export const MATCH_LENGTH_MINUTES = 110; // 45 + 15 half time + 45 + stoppage
const SLOT_MINUTES = 90;
const WEEK = 7 * DAY;
const SEASON_GAP = 8 * WEEK;

const LEAGUE_IDS = [8, 82, 301, 384, 564, 462, 208, 72, 453, 501, 271, 2, 5, 181, 444, 600, 636, 648, 743, 779];
const LEAGUE_NAMES = [
  "Premier League",
  "Bundesliga",
  "Ligue 1",
  "Serie A",
  "La Liga",
  "Liga Portugal",
  "Pro League",
  "Eredivisie",
  "Super League",
  "Premiership",
  "Superliga",
  "Champions Cup",
  "Europa Cup",
  "Admiral Bundesliga",
  "Allsvenskan",
  "Super Lig",
  "Serie B",
  "Serie C",
  "Primera Division",
  "Premier Liga",
];
const CITIES = [
  "Northbridge",
  "Eastvale",
  "Westport",
  "Southam",
  "Kingsford",
  "Riverton",
  "Ashbury",
  "Millbrook",
  "Stonehaven",
  "Fairmont",
  "Lakeside",
  "Oakridge",
  "Harborview",
  "Glenwood",
  "Brookfield",
  "Highgate",
  "Redcliff",
  "Bayford",
  "Elmstead",
  "Marlow",
  "Crestwood",
  "Dunmore",
  "Wexley",
  "Thornbury",
];
const SUFFIXES = ["United", "City", "Athletic", "Rovers", "Wanderers", "FC", "Town", "Albion"];
const FIRST_NAMES = [
  "Adam",
  "Bruno",
  "Carlos",
  "Daniel",
  "Emil",
  "Felix",
  "Gabriel",
  "Hugo",
  "Ivan",
  "Jonas",
  "Karim",
  "Luca",
  "Marco",
  "Nico",
  "Oscar",
  "Pedro",
  "Rafael",
  "Samuel",
  "Tomas",
  "Victor",
  "Yusuf",
  "Zeno",
  "Joao",
  "Mats",
];
const LAST_NAMES = [
  "Andersen",
  "Barros",
  "Costa",
  "Duarte",
  "Eriksen",
  "Fischer",
  "Garcia",
  "Hansen",
  "Ivanov",
  "Jensen",
  "Kovac",
  "Lindqvist",
  "Moreau",
  "Novak",
  "Oliveira",
  "Petersen",
  "Quaresma",
  "Rossi",
  "Silva",
  "Taylor",
  "Urban",
  "Varga",
  "Weber",
  "Yilmaz",
];
/** Squad shape: 3 goalkeepers, 8 defenders, 8 midfielders, 6 attackers (position ids 24–27). */
const SQUAD_POSITIONS = [24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 25, 26, 26, 26, 26, 26, 26, 26, 26, 27, 27, 27, 27, 27, 27];
/** Starting XI by squad index: GK, 4 defenders, 4 midfielders, 2 attackers (4-4-2). */
const STARTER_INDEXES = [0, 3, 4, 5, 6, 11, 12, 13, 14, 19, 20];
const BENCH_INDEXES = [1, 7, 8, 15, 16, 21, 22];

export function buildDataset(options: DatasetOptions): Dataset {
  const rng = new Random(hashParts(options.seed, "world"));
  const leagues: League[] = [];
  const seasons = new Map<number, Season>();
  const fixtures = new Map<number, FixtureScript>();
  let nextTeamId = 1 + rng.int(0, 50);
  let nextPlayerId = 10_000 + rng.int(0, 500);
  let nextSeasonId = 21_000 + rng.int(0, 500);
  let nextStageId = 77_450_000 + rng.int(0, 5000);
  let nextRoundId = 330_000 + rng.int(0, 5000);
  let nextFixtureId = 19_000_000 + rng.int(0, 50_000);
  const leagueIds = rng
    .shuffle(LEAGUE_IDS)
    .slice(0, options.leagues)
    .sort((a, b) => a - b);

  leagueIds.forEach((leagueId, leagueIndex) => {
    const countryId = 400 + leagueIndex * 17;
    const cities = rng.shuffle(CITIES);
    const teams: Team[] = [];
    for (let t = 0; t < options.teamsPerLeague; t++) {
      const id = nextTeamId;
      nextTeamId += rng.int(1, 40);
      const name = `${cities[t % cities.length]} ${rng.pick(SUFFIXES)}`;
      const players = SQUAD_POSITIONS.map((positionId, index) => ({
        id: nextPlayerId++,
        name: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
        positionId,
        jersey: index + 1,
      }));
      teams.push({
        id,
        name,
        shortCode: name.slice(0, 3).toUpperCase(),
        countryId,
        venueId: 5000 + id,
        founded: rng.int(1870, 1990),
        players,
      });
    }
    const league: League = {
      id: leagueId,
      name: LEAGUE_NAMES[LEAGUE_IDS.indexOf(leagueId)] ?? `League ${leagueId}`,
      shortCode: `L${leagueId}`,
      countryId,
      teams,
      seasons: [],
    };

    const roundCount = 2 * (options.teamsPerLeague - 1);
    const currentRound = Math.floor(roundCount / 2);
    // Kickoffs of the current season's middle round straddle the anchor, so at
    // start some fixtures are finished, some live and some not started yet.
    const anchor = Math.floor(options.anchorMs / MINUTE) * MINUTE;
    const currentFirstKickoff = anchor - currentRound * WEEK - 2 * SLOT_MINUTES * MINUTE + leagueIndex * 15 * MINUTE;
    const seasonSpan = (roundCount - 1) * WEEK + SEASON_GAP;

    for (let s = 0; s < options.seasonsPerLeague; s++) {
      const seasonsBack = options.seasonsPerLeague - 1 - s;
      const firstKickoff = currentFirstKickoff - seasonsBack * seasonSpan;
      const seasonId = nextSeasonId;
      nextSeasonId += rng.int(1, 9);
      const stageId = nextStageId;
      nextStageId += rng.int(1, 30);
      const startYear = new Date(firstKickoff).getUTCFullYear();
      const season: Season = {
        id: seasonId,
        leagueId,
        name: `${startYear}/${startYear + 1}`,
        stageId,
        rounds: [],
        fixtures: [],
      };
      for (const [roundIndex, pairs] of roundRobin(teams, rng).entries()) {
        const round: Round = { id: nextRoundId, name: String(roundIndex + 1), stageId, fixtures: [] };
        nextRoundId += rng.int(1, 4);
        pairs.forEach(([home, away], slot) => {
          const id = nextFixtureId;
          nextFixtureId += rng.int(1, 3);
          const kickoffMs = firstKickoff + roundIndex * WEEK + slot * SLOT_MINUTES * MINUTE;
          const script = scriptFixture(options.seed, { id, leagueId, seasonId, stageId, roundId: round.id, home, away, kickoffMs });
          round.fixtures.push(script);
          season.fixtures.push(script);
          fixtures.set(id, script);
        });
        season.rounds.push(round);
      }
      league.seasons.push(season);
      seasons.set(seasonId, season);
    }
    leagues.push(league);
  });

  const fixtureList = [...fixtures.values()].sort((a, b) => a.id - b.id);
  return { options, leagues, seasons, fixtures, fixtureList };
}

/** Circle-method double round robin: every team meets every other once at home and once away. */
function roundRobin(teams: Team[], rng: Random): [Team, Team][][] {
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

interface FixtureBase {
  id: number;
  leagueId: number;
  seasonId: number;
  stageId: number;
  roundId: number;
  home: Team;
  away: Team;
  kickoffMs: number;
}

/** Everything that will happen in one fixture, drawn from its own seed so fixtures are independent. */
function scriptFixture(seed: number, base: FixtureBase): FixtureScript {
  const rng = new Random(hashParts(seed, "fixture", base.id));
  const lineups: LineupEntry[] = [];
  const starters: Record<Side, Player[]> = { home: [], away: [] };
  const bench: Record<Side, Player[]> = { home: [], away: [] };
  for (const side of ["home", "away"] as const) {
    const team = side === "home" ? base.home : base.away;
    STARTER_INDEXES.forEach((index, position) => {
      const player = team.players[index] as Player;
      starters[side].push(player);
      lineups.push({ player, side, starter: true, formationPosition: position + 1 });
    });
    for (const index of BENCH_INDEXES) {
      const player = team.players[index] as Player;
      bench[side].push(player);
      lineups.push({ player, side, starter: false, formationPosition: null });
    }
  }

  const events: ScriptedEvent[] = [];
  const outfield = (side: Side) => starters[side].slice(1);
  for (const side of ["home", "away"] as const) {
    const goals = Math.min(rng.poisson(side === "home" ? 1.5 : 1.1), 6);
    for (let g = 0; g < goals; g++) {
      const scorer = rng.pick(outfield(side));
      const assist = rng.chance(0.6) ? rng.pick(outfield(side).filter((p) => p !== scorer)) : null;
      events.push({ typeId: 14, minute: rng.int(1, 90), side, player: scorer, related: assist });
    }
    const yellows = rng.int(0, 4);
    for (let y = 0; y < yellows; y++) {
      events.push({ typeId: 19, minute: rng.int(5, 90), side, player: rng.pick(outfield(side)), related: null });
    }
    if (rng.chance(0.06)) {
      events.push({ typeId: 20, minute: rng.int(30, 90), side, player: rng.pick(outfield(side)), related: null });
    }
    const subs = rng.int(2, 5);
    const off = rng.shuffle(outfield(side));
    for (let s = 0; s < subs; s++) {
      events.push({ typeId: 18, minute: rng.int(46, 89), side, player: bench[side][s + 1] as Player, related: off[s] as Player });
    }
  }
  events.sort((a, b) => a.minute - b.minute || a.typeId - b.typeId || a.player.id - b.player.id);

  const count = (side: Side, typeId: number) => events.filter((e) => e.side === side && e.typeId === typeId).length;
  const possessionHome = rng.int(35, 65);
  const finalStats = new Map<number, [number, number]>();
  const shotsOnTarget: [number, number] = [count("home", 14) + rng.int(1, 5), count("away", 14) + rng.int(1, 5)];
  finalStats.set(34, [rng.int(1, 10), rng.int(1, 10)]); // corners
  finalStats.set(42, [shotsOnTarget[0] + rng.int(3, 10), shotsOnTarget[1] + rng.int(3, 10)]); // shots total
  finalStats.set(86, shotsOnTarget); // shots on target
  finalStats.set(45, [possessionHome, 100 - possessionHome]); // ball possession %
  finalStats.set(56, [rng.int(6, 18), rng.int(6, 18)]); // fouls
  finalStats.set(84, [count("home", 19), count("away", 19)]); // yellow cards
  finalStats.set(52, [count("home", 14), count("away", 14)]); // goals

  return {
    ...base,
    venueId: base.home.venueId,
    hasPremiumOdds: rng.chance(0.5),
    events,
    lineups,
    finalStats,
  };
}
