// The client against the Sportmonks v3 simulator: walking leagues → seasons →
// schedules → fixtures/multi reproduces the simulator's ground truth, with
// faults on, and the budget pause keeps real 429s at zero.
import { type Simulator, startSimulator } from "@watermark/simulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  FIXTURE_INCLUDES,
  type Fixture,
  SPORTMONKS_MAX_MULTI_IDS,
  SportmonksClient,
  type SportmonksClientOptions,
  SportmonksRateLimited,
  type SportmonksWaitEvent,
} from "../../src/sportmonks/index.ts";

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function simulator(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const sim = await startSimulator({ now: "2026-03-01T12:00:00Z", timeScale: 0, ...options });
  sims.push(sim);
  return sim;
}

function clientFor(sim: Simulator, options: Partial<SportmonksClientOptions> = {}): SportmonksClient {
  return new SportmonksClient({ apiKey: sim.apiKey, baseUrl: sim.baseUrl, sleep: async () => {}, ...options });
}

/** What a collector does: every fixture of every season, fetched by id in batches of 50 with includes. */
async function collectEverything(client: SportmonksClient): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  for await (const league of client.leagues({ perPage: 2 })) {
    for await (const season of client.seasons({ leagueId: league.id, perPage: 1 })) {
      // Every stage layout; Postgres does this for the collector (schedule_entries).
      const stages = await client.seasonSchedule(season.id);
      const listed = stages.flatMap((s) => [
        ...s.fixtures,
        ...s.rounds.flatMap((r) => r.fixtures),
        ...s.aggregates.flatMap((a) => a.fixtures),
      ]);
      const ids = [...new Set(listed.map((f) => f.id))];
      for (let i = 0; i < ids.length; i += SPORTMONKS_MAX_MULTI_IDS) {
        fixtures.push(...(await client.fixturesByIds(ids.slice(i, i + SPORTMONKS_MAX_MULTI_IDS), { include: FIXTURE_INCLUDES })));
      }
    }
  }
  return fixtures.sort((a, b) => a.id - b.id);
}

function expectTruth(sim: Simulator, fixtures: Fixture[]): void {
  const truth = sim.truth().fixtures;
  expect(fixtures.map((f) => f.id)).toEqual(truth.map((f) => f.id));
  fixtures.forEach((fixture, i) => {
    const expected = truth[i] as Record<string, unknown>;
    // Top-level includes only: a nested one (lineups.details) sits inside its parent.
    for (const include of FIXTURE_INCLUDES) expect(fixture).toHaveProperty([include.split(".")[0] as string]);
    expect(fixture).toEqual(Object.fromEntries(Object.keys(fixture).map((key) => [key, expected[key]])));
  });
}

describe("against the simulator", () => {
  it("collects exactly the ground truth", async () => {
    const sim = await simulator({ seed: 7, leagues: 3, seasonsPerLeague: 2, teamsPerLeague: 8 });
    const fixtures = await collectEverything(clientFor(sim));
    expect(fixtures.length).toBeGreaterThan(SPORTMONKS_MAX_MULTI_IDS);
    expectTruth(sim, fixtures);
    expect(sim.stats().rateLimited).toBe(0);
  });

  it("still collects exactly the ground truth with 5xx, spurious 429s, truncated bodies and timeouts", async () => {
    const sim = await simulator({ seed: 11, leagues: 2, seasonsPerLeague: 2, teamsPerLeague: 8 });
    sim.setFaults({
      serverError: 0.15,
      rateLimit: 0.1,
      truncated: 0.1,
      timeout: 0.05,
      timeoutMs: 5_000,
      // Each kind at least once, whatever the draws.
      next: [{ kind: "timeout" }, { kind: "truncated" }, { kind: "server_error" }, { kind: "rate_limit" }],
    });
    const fixtures = await collectEverything(clientFor(sim, { maxRetries: 10, timeoutMs: 250 }));
    expectTruth(sim, fixtures);
    const { faults } = sim.stats();
    expect(faults.server_error).toBeGreaterThan(0);
    expect(faults.rate_limit).toBeGreaterThan(0);
    expect(faults.truncated).toBeGreaterThan(0);
    expect(faults.timeout).toBeGreaterThan(0);
  });

  it("pauses at the reserve until the hourly reset instead of receiving 429s", async () => {
    const sim = await simulator({ seed: 3, leagues: 1, seasonsPerLeague: 1, hourlyLimit: 15 });
    const waits: SportmonksWaitEvent[] = [];
    const client = clientFor(sim, {
      rateLimitReserve: 3,
      maxRateLimitWaitMs: 2 * 3_600_000,
      // The client's clock is the simulator's; sleeping moves simulated time.
      now: () => sim.now(),
      sleep: async (ms) => {
        sim.advanceTime(ms);
      },
      onWait: (event) => waits.push(event),
    });
    const [fixture] = sim.truth().fixtures as Array<{ id: number }>;
    for (let i = 0; i < 20; i++) await client.fixturesByIds([fixture?.id ?? 0]);
    expect(sim.stats().rateLimited).toBe(0);
    expect(sim.stats().byEntity.Fixture).toBe(20);
    expect(waits.map((w) => [w.reason, w.entity])).toEqual([["budget_reserve", "Fixture"]]);
  });

  it("refuses to wait past maxRateLimitWaitMs and says when the entity resets", async () => {
    const sim = await simulator({ seed: 3, leagues: 1, seasonsPerLeague: 1, hourlyLimit: 5 });
    const client = clientFor(sim, { rateLimitReserve: 1, now: () => sim.now() });
    const [fixture] = sim.truth().fixtures as Array<{ id: number }>;
    const results: unknown[] = [];
    for (let i = 0; i < 6; i++) results.push(await client.fixturesByIds([fixture?.id ?? 0]).catch((e) => e));
    const errors = results.filter((r) => r instanceof SportmonksRateLimited);
    expect(results.length - errors.length).toBe(4);
    expect(errors[0]).toMatchObject({ entity: "Fixture", status: null });
    expect((errors[0] as SportmonksRateLimited).resetsAt?.getTime()).toBeGreaterThan(sim.now());
    expect(sim.stats().rateLimited).toBe(0);
  });
});
