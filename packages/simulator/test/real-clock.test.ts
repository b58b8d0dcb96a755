// realClockStamps: a compressed world served on the real clock, so a consumer whose own
// clock is the real one (a database's now()) agrees with the served kickoffs and states.
import { describe, expect, it } from "vitest";
import { FIXTURE_INCLUDES, type FixtureScript, type Simulator, startSimulator } from "../src/index.ts";
import { api, simulator } from "./support.ts";

const SCALE = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;
// biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
type Json = any;

/** As the lead runs it: no `now`, so the world starts at the (floored) wall clock. */
const realClockSimulator = () => simulator({ now: undefined, timeScale: SCALE, realClockStamps: true });
const fixture = async (sim: Simulator, id: number, include = ""): Promise<Json> =>
  (await api(sim, `fixtures/${id}${include ? `?include=${include}` : ""}`)).body.data;
const playedAsScheduled = (sim: Simulator) => sim.dataset.fixtureList.filter((f) => f.inPlan && !f.incident && f.appearsAtMs <= sim.now());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("realClockStamps", () => {
  it("serves a world kickoff a week ahead about a minute ahead on the real clock, with agreeing timestamp and datetime", async () => {
    const before = Date.now();
    const sim = await realClockSimulator();
    const after = Date.now();
    const script = playedAsScheduled(sim).find((f) => f.kickoffMs > sim.now() + 7 * DAY_MS) as FixtureScript;
    const served = await fixture(sim, script.id);
    expect(served.starting_at).toBe(new Date(served.starting_at_timestamp * 1000).toISOString().slice(0, 19).replace("T", " "));
    // served = wall clock at start + (kickoff − world start) ÷ scale, the world start being the wall clock floored to the minute.
    const floorMinute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
    const low = before + (script.kickoffMs - floorMinute(after)) / SCALE;
    const high = after + (script.kickoffMs - floorMinute(before)) / SCALE;
    expect(served.starting_at_timestamp * 1000).toBeGreaterThan(low - 1000);
    expect(served.starting_at_timestamp * 1000).toBeLessThanOrEqual(high);
  });

  it("keeps a fixture's served starting_at fixed while the world runs", async () => {
    const sim = await realClockSimulator();
    const ids = playedAsScheduled(sim)
      .filter((f) => f.kickoffMs > sim.now() + 2 * DAY_MS)
      .slice(0, 5)
      .map((f) => f.id);
    const first = await Promise.all(ids.map((id) => fixture(sim, id)));
    await sleep(1100);
    const second = await Promise.all(ids.map((id) => fixture(sim, id)));
    expect(second.map((f) => [f.starting_at, f.starting_at_timestamp])).toEqual(first.map((f) => [f.starting_at, f.starting_at_timestamp]));
  });

  it("has kicked off every fixture whose served kickoff is in the real past and none in the real future", async () => {
    const sim = await realClockSimulator();
    await sleep(300); // let the world run past a few kickoffs
    const scripted = new Set(playedAsScheduled(sim).map((f) => f.id));
    const before = Date.now();
    const response = await api(sim, "fixtures?filters=populate&per_page=1000");
    const after = Date.now();
    expect(response.body.pagination.has_more).toBe(false);
    const fixtures = (response.body.data as Json[]).filter((f) => scripted.has(f.id));
    // A served second covers [s, s + 1 s); a fixture within a second of the request is left out.
    const past = fixtures.filter((f) => (f.starting_at_timestamp + 1) * 1000 + 1000 <= before);
    const future = fixtures.filter((f) => f.starting_at_timestamp * 1000 >= after + 1000);
    expect(past.length).toBeGreaterThan(100);
    expect(future.length).toBeGreaterThan(10);
    expect(past.filter((f) => f.state_id === 1).map((f) => f.id)).toEqual([]);
    expect(future.filter((f) => f.state_id !== 1).map((f) => f.id)).toEqual([]);
    const servedNow = response.body.subscription[0].meta.current_timestamp * 1000;
    expect(servedNow).toBeGreaterThanOrEqual(before - 2000);
    expect(servedNow).toBeLessThanOrEqual(after + 1000);
  });

  it("finds a fixture with fixtures/between and fixtures/date by its served date, not its world date", async () => {
    const sim = await realClockSimulator();
    // A world kickoff two weeks ahead is served today (or tomorrow near midnight), never on its world date.
    const script = playedAsScheduled(sim).find((f) => f.kickoffMs > sim.now() + 14 * DAY_MS) as FixtureScript;
    const served = await fixture(sim, script.id);
    const date = (served.starting_at as string).slice(0, 10);
    expect(date).not.toBe(new Date(script.kickoffMs).toISOString().slice(0, 10));
    const ids = async (path: string) => ((await api(sim, `${path}?filters=populate&per_page=1000`)).body.data ?? []).map((f: Json) => f.id);
    expect(await ids(`fixtures/between/${date}/${date}`)).toContain(script.id);
    expect(await ids(`fixtures/date/${date}`)).toContain(script.id);
    const nextDay = new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    expect(await ids(`fixtures/date/${nextDay}`)).not.toContain(script.id);
  });

  it("gives the truth each fixture exactly as fixtures/{id} serves it", async () => {
    const sim = await realClockSimulator();
    // Fixtures whose rendering does not move while the test runs: long finished, or weeks ahead.
    const stable = playedAsScheduled(sim).filter((f) => f.kickoffMs < sim.now() - 60 * DAY_MS || f.kickoffMs > sim.now() + 21 * DAY_MS);
    const ids = [...stable.slice(0, 3), ...stable.slice(-3)].map((f) => f.id);
    const before = Date.now();
    const truth = sim.truth();
    const after = Date.now();
    const byId = new Map(truth.fixtures.map((f) => [f.id as number, f]));
    // `league` is left out: its last_played_at moves with every kickoff of the running world.
    const withoutLeague = ({ league: _, ...rest }: Json) => rest;
    for (const id of ids) {
      const served = await fixture(sim, id, FIXTURE_INCLUDES.join(";"));
      expect(withoutLeague(served)).toEqual(withoutLeague(byId.get(id)));
      expect(served.league.last_played_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
    // The served now is the real clock (within a millisecond or so of drift between the process's clocks).
    expect(Date.parse(truth.now)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(truth.now)).toBeLessThanOrEqual(after + 1000);
    const healthBefore = Date.now();
    const health = await (await fetch(`${sim.url}/__health`)).json();
    expect(Date.parse(health.now)).toBeGreaterThanOrEqual(healthBefore - 1000);
    expect(Date.parse(health.now)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it("is rejected with a frozen clock", async () => {
    await expect(startSimulator({ timeScale: 0, realClockStamps: true })).rejects.toThrow(/realClockStamps: needs timeScale > 0/);
  });
});

describe("freeze", () => {
  it("stops the world: served answers and the truth stop changing", async () => {
    const sim = await realClockSimulator();
    const at = sim.freeze();
    const live =
      playedAsScheduled(sim).find((f) => f.kickoffMs <= at && f.kickoffMs > at - 3 * 60 * 60 * 1000) ?? playedAsScheduled(sim)[0];
    const first = await fixture(sim, live?.id as number, "events;scores");
    const truthNow = sim.truth().now;
    await sleep(300);
    expect(sim.now()).toBe(at);
    expect(await fixture(sim, live?.id as number, "events;scores")).toEqual(first);
    expect(sim.truth().now).toBe(truthNow);
  });
});
