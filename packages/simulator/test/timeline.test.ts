// What a collector sees change over simulated weeks: fixtures/latest limited to the
// watched fields, corrections after full time, postponements, season rollover and
// a league joining the plan.
import { describe, expect, it } from "vitest";
import type { FixtureScript, Simulator } from "../src/index.ts";
import { api, FIXED_NOW, simulator } from "./support.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
// biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
type Json = any;

const moveTo = (sim: Simulator, ms: number) => sim.advanceTime(ms - sim.now());
const latestIds = async (sim: Simulator): Promise<number[]> => ((await api(sim, "fixtures/latest")).body.data ?? []).map((f: Json) => f.id);
const visibleNow = (sim: Simulator, f: FixtureScript) => f.appearsAtMs <= sim.now() && f.inPlan;

describe("fixtures/latest", () => {
  it("reports a state change but not a goal that leaves the watched fields alone", async () => {
    const sim = await simulator({ correctionRate: 0 });
    const script = sim.dataset.fixtureList.find(
      (f) =>
        visibleNow(sim, f) &&
        !f.incident &&
        f.kickoffMs > sim.now() &&
        f.events.some((e) => e.typeId === 14 && e.minute > 2 && e.minute < 45),
    );
    if (!script) throw new Error("no upcoming fixture with a first-half goal");
    moveTo(sim, script.kickoffMs + 1000);
    expect(await latestIds(sim)).toContain(script.id); // NS → 1st half

    const goal = script.events.find((e) => e.typeId === 14 && e.minute > 2 && e.minute < 45) as FixtureScript["events"][number];
    moveTo(sim, script.kickoffMs + (goal.minute - 1) * MINUTE_MS + 1000);
    const live = (await api(sim, `fixtures/${script.id}?include=events`)).body.data;
    expect(live.events.map((e: Json) => e.minute)).toContain(goal.minute);
    expect(await latestIds(sim)).not.toContain(script.id);
  });
});

describe("corrections after full time", () => {
  it("change events, scores, statistics and result through fixtures/{id}, multi, between and the schedule; latest only if a watched field changed", async () => {
    const sim = await simulator({ correctionRate: 0.5, correctionDelayMinutes: { min: 5, max: 10 } });
    const corrected = sim.dataset.fixtureList.filter((f) => visibleNow(sim, f) && f.correction && f.kickoffMs > sim.now());
    expect(corrected.length).toBeGreaterThan(10);
    const include = "include=events;scores;statistics;participants";
    const seen = { resultChanged: 0, resultKept: 0 };
    for (const script of corrected.slice(0, 12)) {
      const correction = script.correction as NonNullable<FixtureScript["correction"]>;
      expect(correction.atMs - (script.kickoffMs + 110 * MINUTE_MS)).toBeGreaterThanOrEqual(5 * MINUTE_MS);
      expect(correction.atMs - (script.kickoffMs + 110 * MINUTE_MS)).toBeLessThanOrEqual(10 * MINUTE_MS);
      moveTo(sim, correction.atMs - 1000);
      const before = (await api(sim, `fixtures/${script.id}?${include}`)).body.data;
      expect(before.state_id).toBe(5);
      moveTo(sim, correction.atMs + 1000);
      const after = (await api(sim, `fixtures/${script.id}?${include}`)).body.data;
      const goals = (f: Json) => f.events.filter((e: Json) => e.type_id === 14).length;
      const current = (f: Json) =>
        f.scores.filter((s: Json) => s.description === "CURRENT").reduce((n: number, s: Json) => n + s.score.goals, 0);
      const goalStat = (f: Json) => f.statistics.filter((s: Json) => s.type_id === 52).reduce((n: number, s: Json) => n + s.data.value, 0);
      expect(goals(after) - goals(before)).toBe(correction.kind === "goal_added" ? 1 : -1);
      expect(current(after)).toBe(goals(after));
      expect(goalStat(after)).toBe(goals(after));
      const multi = (await api(sim, `fixtures/multi/${script.id}?${include}`)).body.data[0];
      expect(multi).toEqual(after);
      const day = after.starting_at.slice(0, 10);
      const between = (await api(sim, `fixtures/between/${day}/${day}?per_page=50&${include}`)).body.data;
      expect(between.find((f: Json) => f.id === script.id)).toEqual(after);
      const schedule = (await api(sim, `schedules/seasons/${script.seasonId}`)).body.data;
      const inSchedule = schedule.flatMap((s: Json) => s.rounds.flatMap((r: Json) => r.fixtures)).find((f: Json) => f.id === script.id);
      expect(inSchedule.scores).toEqual(after.scores);
      expect(after.last_processed_at > before.last_processed_at).toBe(true);

      const inLatest = (await latestIds(sim)).includes(script.id);
      expect(inLatest).toBe(after.result_info !== before.result_info);
      seen[after.result_info !== before.result_info ? "resultChanged" : "resultKept"]++;
    }
    expect(seen.resultKept).toBeGreaterThan(0);
  });
});

describe("postponements", () => {
  it("shows POSTPONED hours before kickoff, then the new date with NS, then plays the fixture then", async () => {
    const sim = await simulator({ postponementRate: 0.3, cancellationRate: 0, abandonmentRate: 0 });
    const script = sim.dataset.fixtureList.find(
      (f) => visibleNow(sim, f) && f.incident?.kind === "postponed" && f.incident.announcedAtMs > sim.now(),
    );
    if (script?.incident?.kind !== "postponed") throw new Error("no upcoming postponement");
    const { announcedAtMs, rescheduledAtMs, newKickoffMs } = script.incident;
    expect(announcedAtMs).toBeLessThan(script.kickoffMs);
    expect(newKickoffMs - script.kickoffMs).toBeGreaterThanOrEqual(7 * DAY_MS);
    const get = async () => (await api(sim, `fixtures/${script.id}?include=events;lineups`)).body.data;
    const originalStart = (await get()).starting_at;

    moveTo(sim, announcedAtMs + 1000);
    expect(await get()).toMatchObject({ state_id: 10, starting_at: originalStart, events: [], lineups: [] });
    expect(await latestIds(sim)).toContain(script.id);

    moveTo(sim, rescheduledAtMs + 1000);
    const rescheduled = await get();
    expect(rescheduled.state_id).toBe(1);
    expect(rescheduled.starting_at_timestamp).toBe(newKickoffMs / 1000);
    expect(await latestIds(sim)).toContain(script.id);
    const day = rescheduled.starting_at.slice(0, 10);
    const between = (await api(sim, `fixtures/between/${day}/${day}?per_page=50`)).body.data;
    expect(between.map((f: Json) => f.id)).toContain(script.id);

    moveTo(sim, newKickoffMs + 111 * MINUTE_MS);
    const played = await get();
    expect(played.state_id).toBe(5);
    expect(played.result_info).not.toBeNull();
  });

  it("cancels and abandons a seeded few for good, with the real state ids", async () => {
    const sim = await simulator({ postponementRate: 0, cancellationRate: 0.1, abandonmentRate: 0.1 });
    const past = sim.dataset.fixtureList.filter((f) => visibleNow(sim, f) && f.kickoffMs < sim.now() - DAY_MS);
    const byId = new Map(sim.truth().fixtures.map((f) => [f.id, f]));
    const cancelled = past.filter((f) => f.incident?.kind === "cancelled");
    const abandoned = past.filter((f) => f.incident?.kind === "abandoned");
    expect(cancelled.length).toBeGreaterThan(0);
    expect(abandoned.length).toBeGreaterThan(0);
    for (const f of cancelled) expect(byId.get(f.id)).toMatchObject({ state_id: 12, result_info: null, events: [] });
    for (const f of abandoned) {
      const fixture = byId.get(f.id) as Json;
      expect(fixture.state_id).toBe(15);
      expect(fixture.result_info).toBeNull();
      const minute = f.incident?.kind === "abandoned" ? f.incident.minute : 0;
      expect(fixture.events.every((e: Json) => e.minute <= minute)).toBe(true);
    }
  });

  it("is the same subset for the same seed and none at rate 0", async () => {
    const a = await simulator({ seed: 3 });
    const b = await simulator({ seed: 3 });
    const incidents = (sim: Simulator) => sim.dataset.fixtureList.map((f) => f.incident);
    expect(incidents(a)).toEqual(incidents(b));
    const none = await simulator({ postponementRate: 0, cancellationRate: 0, abandonmentRate: 0 });
    expect(none.dataset.fixtureList.every((f) => f.incident === null)).toBe(true);
  });
});

describe("season rollover and a joining league", () => {
  it("shows nothing of the next season or the new league before their time, then lists them with higher ids", async () => {
    const start = Date.parse(FIXED_NOW);
    const sim = await simulator({ nextSeasonAt: start + 2 * DAY_MS, newLeagueAt: start + 3 * DAY_MS });
    const before = sim.truth();
    const hidden = sim.dataset.fixtureList.filter((f) => f.appearsAtMs > sim.now());
    expect(hidden.length).toBeGreaterThan(0);
    expect(before.fixtures.map((f) => f.id)).not.toContain(hidden[0]?.id);
    expect((await api(sim, `fixtures/${hidden[0]?.id}`)).body.data).toBeUndefined();
    expect((await api(sim, `schedules/seasons/${hidden[0]?.seasonId}`)).body.data).toBeUndefined();
    expect((await api(sim, `seasons/${hidden[0]?.seasonId}`)).body.data).toBeUndefined();
    const maxSeason = Math.max(...before.seasons.map((s) => s.id as number));
    const maxLeague = Math.max(...before.leagues.map((l) => l.id as number));
    expect((await api(sim, `seasons?filters=idAfter:${maxSeason}`)).body.data).toBeUndefined();

    moveTo(sim, start + 2 * DAY_MS);
    const rolled = (await api(sim, `seasons?filters=idAfter:${maxSeason}&per_page=50`)).body.data;
    expect(rolled.map((s: Json) => s.league_id).sort()).toEqual(before.leagues.map((l) => l.id).sort());
    for (const season of rolled) expect(season).toMatchObject({ is_current: true, finished: false, pending: true });
    const previous = sim.truth().seasons.filter((s) => before.seasons.some((b) => b.id === s.id && b.is_current));
    for (const season of previous) expect(season).toMatchObject({ is_current: false, finished: false });
    expect((await api(sim, `leagues?filters=idAfter:${maxLeague}`)).body.data).toBeUndefined();

    moveTo(sim, start + 3 * DAY_MS);
    const joined = (await api(sim, `leagues?filters=idAfter:${maxLeague}&include=seasons`)).body.data;
    expect(joined).toHaveLength(1);
    expect(joined[0].seasons).toHaveLength(1);
    expect(joined[0].seasons[0]).toMatchObject({ is_current: true, pending: true });
    expect(joined[0].seasons[0].id).toBeGreaterThan(Math.max(...rolled.map((s: Json) => s.id)));
    const schedule = (await api(sim, `schedules/seasons/${joined[0].seasons[0].id}`)).body.data;
    expect(schedule[0].rounds.length).toBeGreaterThan(0);
    expect(sim.truth().fixtures.some((f) => f.league_id === joined[0].id)).toBe(true);

    // The previous seasons finish once their last fixture is final, and the new ones get played.
    moveTo(sim, start + 120 * DAY_MS);
    const truth = sim.truth();
    for (const season of truth.seasons.filter((s) => previous.some((p) => p.id === s.id))) expect(season.finished).toBe(true);
    const newSeasonIds = new Set([...rolled.map((s: Json) => s.id), joined[0].seasons[0].id]);
    expect(truth.fixtures.some((f) => newSeasonIds.has(f.season_id) && f.state_id === 5)).toBe(true);
  });

  it("rolls over by default three weeks after a season's last kickoff", async () => {
    const sim = await simulator();
    const league = sim.dataset.leagues[1];
    const [, current, next] = league?.seasons ?? [];
    if (!current || !next) throw new Error("expected a next season");
    const last = Math.max(...current.fixtures.map((f) => f.kickoffMs));
    expect(next.appearsAtMs).toBe(last + 21 * DAY_MS);
    expect(next.id).toBeGreaterThan(current.id);
  });
});
