// What goes wrong with a seeded subset of fixtures: postponed (then rescheduled
// days or weeks later), cancelled, or abandoned mid-match; and corrections of a
// finished fixture's result some time after full time. Each fixture draws from
// its own seed, so the subset does not depend on the rest of the world.

import { DAY, HOUR, MINUTE, SECOND } from "./clock.ts";
import type { FixtureScript, ScriptedEvent } from "./dataset.ts";
import { hashParts, Random } from "./random.ts";
import { goalCount, withGoalChange } from "./script.ts";

export interface IncidentRates {
  postponed: number;
  cancelled: number;
  abandoned: number;
}

export type Incident =
  /** State 10 from `announcedAtMs` (hours before kickoff); back to 1 with the new kickoff from `rescheduledAtMs`. */
  | { kind: "postponed"; announcedAtMs: number; rescheduledAtMs: number; newKickoffMs: number }
  /** State 12 from `announcedAtMs`, for good. */
  | { kind: "cancelled"; announcedAtMs: number }
  /** Played until `minute`, then state 15 for good. */
  | { kind: "abandoned"; minute: number };

export interface Correction {
  /** When the corrected data is published. */
  atMs: number;
  kind: "goal_added" | "goal_removed";
  events: ScriptedEvent[];
  finalStats: Map<number, [number, number]>;
}

export function drawIncident(seed: number, script: FixtureScript, rates: IncidentRates): Incident | null {
  const rng = new Random(hashParts(seed, "incident", script.id));
  const roll = rng.next();
  const k = script.kickoffMs;
  if (roll < rates.postponed) {
    return {
      kind: "postponed",
      announcedAtMs: k - rng.int(2, 48) * HOUR,
      rescheduledAtMs: k + rng.int(6, 72) * HOUR,
      newKickoffMs: k + rng.int(7, 24) * DAY,
    };
  }
  if (roll < rates.postponed + rates.cancelled) return { kind: "cancelled", announcedAtMs: k - rng.int(2, 72) * HOUR };
  if (roll < rates.postponed + rates.cancelled + rates.abandoned) return { kind: "abandoned", minute: rng.int(20, 80) };
  return null;
}

/** Full time of a fixture played as scheduled. */
const fullTime = (script: FixtureScript) => script.kickoffMs + 110 * MINUTE;

export function drawCorrection(
  seed: number,
  script: FixtureScript,
  rate: number,
  delayMs: { min: number; max: number },
): Correction | null {
  const rng = new Random(hashParts(seed, "correction", script.id));
  if (!rng.chance(rate)) return null;
  const delay = Math.floor((delayMs.min + rng.next() * (delayMs.max - delayMs.min)) / SECOND) * SECOND;
  const goals = script.events.flatMap((e, index) => (e.typeId === 14 ? [index] : []));
  const remove = goals.length > 0 && rng.chance(0.5);
  const changed = remove
    ? withGoalChange(script, { removeIndex: rng.pick(goals) })
    : withGoalChange(script, { add: rng.chance(0.5) ? "home" : "away", minute: rng.int(1, 90), pick: rng.int(0, 100) });
  return { atMs: fullTime(script) + delay, kind: remove ? "goal_removed" : "goal_added", ...changed };
}

/** The score a set of events adds up to, [home, away]. */
export function finalScore(events: readonly ScriptedEvent[]): [number, number] {
  return [goalCount(events, "home"), goalCount(events, "away")];
}

/** The events that hold in the end (after any correction). */
export function finalEvents(script: FixtureScript): ScriptedEvent[] {
  return script.correction?.events ?? script.events;
}
