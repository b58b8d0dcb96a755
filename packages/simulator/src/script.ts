// One fixture's "script": everything that will happen in it (lineups, goals,
// cards, substitutions, final statistics), drawn from its own seed so fixtures
// are independent of each other.

import type { FixtureScript, LineupEntry, Player, ScriptedEvent, Side, Team } from "./dataset.ts";
import { hashParts, Random } from "./random.ts";

/** Starting XI by squad index: GK, 4 defenders, 4 midfielders, 2 attackers (4-4-2). */
const STARTER_INDEXES = [0, 3, 4, 5, 6, 11, 12, 13, 14, 19, 20];
const BENCH_INDEXES = [1, 7, 8, 15, 16, 21, 22];

/** What the scripted fixture needs from the world; the rest is drawn here. */
export type FixtureBase = Omit<
  FixtureScript,
  "venueId" | "hasPremiumOdds" | "events" | "lineups" | "finalStats" | "incident" | "correction"
>;

export function scriptFixture(seed: number, base: FixtureBase): FixtureScript {
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
  sortEvents(events);

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
    incident: null,
    correction: null,
  };
}

function sortEvents(events: ScriptedEvent[]): void {
  events.sort((a, b) => a.minute - b.minute || a.typeId - b.typeId || a.player.id - b.player.id);
}

export function goalCount(events: readonly ScriptedEvent[], side: Side): number {
  return events.filter((e) => e.typeId === 14 && e.side === side).length;
}

/**
 * The events and statistics after one goal more for `side` (at `minute`), or one goal
 * fewer (the goal at `removeIndex`): goals, shots and shots on target stay consistent.
 */
export function withGoalChange(
  script: Pick<FixtureScript, "events" | "finalStats" | "home" | "away">,
  change: { add: Side; minute: number; pick: number } | { removeIndex: number },
): { events: ScriptedEvent[]; finalStats: Map<number, [number, number]> } {
  const events = [...script.events];
  let side: Side;
  let delta: number;
  if ("add" in change) {
    side = change.add;
    delta = 1;
    const team: Team = side === "home" ? script.home : script.away;
    // An outfield starter (squad indexes 3..20 hold the outfield starters used above).
    const outfield = STARTER_INDEXES.slice(1).map((i) => team.players[i] as Player);
    events.push({ typeId: 14, minute: change.minute, side, player: outfield[change.pick % outfield.length] as Player, related: null });
    sortEvents(events);
  } else {
    const [removed] = events.splice(change.removeIndex, 1);
    if (removed?.typeId !== 14) throw new Error("withGoalChange: removeIndex must point at a goal");
    side = removed.side;
    delta = -1;
  }
  const finalStats = new Map(script.finalStats);
  const bump = (typeId: number) => {
    const [home, away] = finalStats.get(typeId) ?? [0, 0];
    finalStats.set(typeId, side === "home" ? [Math.max(0, home + delta), away] : [home, Math.max(0, away + delta)]);
  };
  bump(42);
  bump(86);
  finalStats.set(52, [goalCount(events, "home"), goalCount(events, "away")]);
  return { events, finalStats };
}
