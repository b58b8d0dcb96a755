// A cup season in the real schedule's three layouts: a group stage (type 223,
// rounds, fixtures with group_id), two-legged quarter- and semi-finals (type 224,
// aggregates with legs "1/2"/"2/2", round_id null) and a one-leg final (type 224,
// stage fixtures). Group winners and runners-up meet in the quarter-finals; every
// tie and the final are decided in normal time (a level tie gets a 90th-minute
// winner in its second leg), so the whole bracket is known when the world is built.

import { DAY, MINUTE } from "./clock.ts";
import {
  type Aggregate,
  type FixtureScript,
  type League,
  type Round,
  roundRobin,
  type Season,
  type Side,
  SLOT_MINUTES,
  type Stage,
  type Team,
  WEEK,
  type WorldContext,
} from "./dataset.ts";
import { finalEvents, finalScore } from "./incidents.ts";
import { withGoalChange } from "./script.ts";

const GROUPS = ["A", "B", "C", "D"];
/** Days after the first group round: quarter-final legs, semi-final legs, final. */
const QUARTER_FINAL_DAYS = [39, 42];
const SEMI_FINAL_DAYS = [46, 49];
const FINAL_DAY = 56;

export function buildCupSeason(ctx: WorldContext, league: League, name: string, groupStartMs: number, appearsAtMs: number): Season {
  const { ids, rng } = ctx;
  const seasonId = ids.take("season", 9);
  const season: Season = { id: seasonId, leagueId: league.id, name, appearsAtMs, inPlan: league.inPlan, stages: [], fixtures: [] };
  const stage = (name: string, typeId: 223 | 224, sortOrder: number, layout: Stage["layout"]): Stage => {
    const s: Stage = {
      id: ids.take("stage", 30),
      leagueId: league.id,
      seasonId,
      name,
      typeId,
      sortOrder,
      layout,
      rounds: [],
      aggregates: [],
      fixtures: [],
    };
    season.stages.push(s);
    return s;
  };
  const fixture = (
    s: Stage,
    home: Team,
    away: Team,
    kickoffMs: number,
    extra: Pick<FixtureScript, "groupId" | "aggregateId" | "roundId" | "leg" | "tiePositions">,
  ): FixtureScript => {
    const script = ctx.script(
      {
        id: ids.take("fixture", 3),
        leagueId: league.id,
        seasonId,
        stageId: s.id,
        home,
        away,
        kickoffMs,
        appearsAtMs,
        inPlan: league.inPlan,
        ...extra,
      },
      // Only group matches get corrections: a knockout result feeds the next round's pairing.
      { incidents: false, corrections: s.layout === "rounds" },
    );
    s.fixtures.push(script);
    season.fixtures.push(script);
    return script;
  };
  const slotMs = (slot: number) => slot * SLOT_MINUTES * MINUTE;

  // Group stage: four groups of four, a double round robin each, one round a week.
  const groupStage = stage("Group Stage", 223, 1, "rounds");
  const drawn = rng.shuffle(league.teams);
  const groups = GROUPS.map((_, g) => ({ id: ids.take("group", 3), teams: drawn.slice(g * 4, g * 4 + 4) }));
  const schedules = groups.map((group) => roundRobin(group.teams, rng));
  for (let r = 0; r < 6; r++) {
    const round: Round = { id: ids.take("round", 4), name: String(r + 1), stageId: groupStage.id, fixtures: [] };
    groups.forEach((group, g) => {
      (schedules[g]?.[r] ?? []).forEach(([home, away], slot) => {
        const kickoff = groupStartMs + r * WEEK + slotMs(g * 2 + slot);
        round.fixtures.push(
          fixture(groupStage, home, away, kickoff, {
            groupId: group.id,
            aggregateId: null,
            roundId: round.id,
            leg: "1/1",
            tiePositions: null,
          }),
        );
      });
    });
    groupStage.rounds.push(round);
  }
  const [a1, a2, b1, b2, c1, c2, d1, d2] = groups.flatMap((group) => standings(group.teams, groupStage.fixtures).slice(0, 2));

  const knockout = (s: Stage, pairs: [Team, Team][], days: number[]): Team[] =>
    pairs.map(([first, second], slot) => {
      const id = ids.take("aggregate", 9);
      const legOne = fixture(s, first, second, groupStartMs + (days[0] as number) * DAY + slotMs(slot), {
        groupId: null,
        aggregateId: id,
        roundId: null,
        leg: "1/2",
        tiePositions: { home: 1, away: 2 },
      });
      const legTwo = fixture(s, second, first, groupStartMs + (days[1] as number) * DAY + slotMs(slot), {
        groupId: null,
        aggregateId: id,
        roundId: null,
        leg: "2/2",
        tiePositions: { home: 2, away: 1 },
      });
      const [oneHome, oneAway] = finalScore(finalEvents(legOne));
      const [twoHome, twoAway] = finalScore(finalEvents(legTwo));
      // The first leg's home team scored oneHome + twoAway, the other team oneAway + twoHome.
      if (oneHome + twoAway === oneAway + twoHome) decideLate(ctx, legTwo);
      const aggregate: Aggregate = { id, leagueId: league.id, seasonId, stageId: s.id, legs: [legOne, legTwo] };
      s.aggregates.push(aggregate);
      ctx.aggregates.push(aggregate);
      return tieWinner(aggregate);
    });

  const quarterFinals = stage("Quarter-finals", 224, 2, "aggregates");
  const semiFinalists = knockout(
    quarterFinals,
    [
      [b2 as Team, a1 as Team],
      [a2 as Team, b1 as Team],
      [d2 as Team, c1 as Team],
      [c2 as Team, d1 as Team],
    ],
    QUARTER_FINAL_DAYS,
  );
  const semiFinals = stage("Semi-finals", 224, 3, "aggregates");
  const finalists = knockout(
    semiFinals,
    [
      [semiFinalists[0] as Team, semiFinalists[1] as Team],
      [semiFinalists[2] as Team, semiFinalists[3] as Team],
    ],
    SEMI_FINAL_DAYS,
  );
  const finalStage = stage("Final", 224, 4, "fixtures");
  const final = fixture(finalStage, finalists[0] as Team, finalists[1] as Team, groupStartMs + FINAL_DAY * DAY, {
    groupId: null,
    aggregateId: null,
    roundId: null,
    leg: "1/1",
    tiePositions: null,
  });
  const [home, away] = finalScore(final.events);
  if (home === away) decideLate(ctx, final);
  return season;
}

/** A 90th-minute goal for a seeded side, so a tie or final has a winner without extra time. */
function decideLate(ctx: WorldContext, script: FixtureScript): void {
  const side: Side = ctx.rng.chance(0.5) ? "home" : "away";
  Object.assign(script, withGoalChange(script, { add: side, minute: 90, pick: ctx.rng.int(0, 100) }));
}

/** The team that goes through: more goals over both legs (never level, see decideLate). */
function tieWinner(aggregate: Aggregate): Team {
  const [legOne, legTwo] = aggregate.legs;
  const [h1, a1] = finalScore(finalEvents(legOne));
  const [h2, a2] = finalScore(finalEvents(legTwo));
  return h1 + a2 > a1 + h2 ? legOne.home : legOne.away;
}

/** Group table from the final (corrected) results: points, goal difference, goals, then team id. */
function standings(teams: Team[], fixtures: FixtureScript[]): Team[] {
  const table = new Map(teams.map((t) => [t.id, { team: t, points: 0, diff: 0, goals: 0 }]));
  for (const f of fixtures) {
    const home = table.get(f.home.id);
    const away = table.get(f.away.id);
    if (!home || !away) continue;
    const [h, a] = finalScore(finalEvents(f));
    home.goals += h;
    away.goals += a;
    home.diff += h - a;
    away.diff += a - h;
    if (h > a) home.points += 3;
    else if (a > h) away.points += 3;
    else {
      home.points++;
      away.points++;
    }
  }
  return [...table.values()]
    .sort((x, y) => y.points - x.points || y.diff - x.diff || y.goals - x.goals || x.team.id - y.team.id)
    .map((row) => row.team);
}
