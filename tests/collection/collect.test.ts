// The collector against the simulator and a real database: exact results with
// faults on, API calls near the minimum, resumable runs, and dry runs that write nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectResult } from "../../packages/core/src/collector/index.ts";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY, minimumCalls, storedFixtures, truthFixtures } from "./support.ts";

describe("collect() with faults on", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-faults", { seed: 7 });
  });
  afterAll(async () => env?.close());

  it("a dry run writes nothing, then a real run ends equal to the simulator's truth", async () => {
    const countRows = async () =>
      (
        await env.stack.query<{ n: string }>(
          `select (select count(*) from watermark.fixtures) + (select count(*) from watermark.chunks)
                + (select count(*) from watermark.etl_executions) + (select count(*) from watermark.etl_logs)
                + (select count(*) from watermark.api_rate_limits) + (select count(*) from watermark.etl_control) as n`,
        )
      )[0]?.n;
    const dry = await env.run({ dryRun: true });
    expect(dry.status).toBe("COMPLETED");
    expect(dry.executionId).toBeNull();
    // Every season in the subscription, the cup's included.
    expect(dry.plan?.length).toBe(env.sim.truth().seasons.length);
    expect(await countRows()).toBe("0");

    // Queued faults make sure each kind happens at least once; the probabilities spread more.
    env.sim.setFaults({
      serverError: 0.04,
      rateLimit: 0.02,
      truncated: 0.04,
      timeout: 0.02,
      timeoutMs: 50,
      next: [
        { kind: "server_error", count: 2 },
        { kind: "truncated", count: 1 },
        { kind: "rate_limit", count: 1 },
        { kind: "timeout", count: 1 },
      ],
    });
    const result = await env.run({ owner: "faulty" });
    expect(result.errors).toEqual([]);
    expect(result.status).toBe("COMPLETED");
    expect(result.stopReason).toBe("no_work");
    expect(result.counters.fixturesFailed).toBe(0);
    // The default world: 4 leagues and a cup whose knockout legs sit only under stage.aggregates.
    expect(truthFixtures(env.sim)).toHaveLength(842);
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
    const ties = await env.stack.query<{ id: string; fixture_ids: string[] }>(
      "select id, fixture_ids from watermark.fixture_aggregates order by id",
    );
    expect(ties.map((t) => Number(t.id))).toEqual(
      env.sim
        .truth()
        .aggregates.map((a) => (a as { id: number }).id)
        .sort((a, b) => a - b),
    );
    expect(ties.length).toBeGreaterThan(0);
    // The faults really happened and were absorbed by retries.
    const faults = Object.values(env.sim.stats().faults).reduce((a, b) => a + b, 0);
    expect(faults).toBeGreaterThan(0);
    expect(result.api.retries).toBeGreaterThanOrEqual(faults);

    const executions = await env.stack.query(
      "select status, total_chunks, processed_chunks, successful_fixtures, failed_fixtures from watermark.etl_executions",
    );
    expect(executions).toEqual([
      {
        status: "COMPLETED",
        total_chunks: env.sim.truth().seasons.length,
        processed_chunks: env.sim.truth().seasons.length,
        successful_fixtures: result.counters.fixturesRequested,
        failed_fixtures: 0,
      },
    ]);
  });

  it("a second run re-collects only the live fixtures once they are due, and rewrites nothing unchanged", async () => {
    env.sim.setFaults({ reset: true });
    const inPlay = await env.stack.query<{ n: string }>(
      `select count(*) as n from watermark.fixtures, watermark.collection_settings s
        where not is_final and not state_id = any (s.parked_state_ids) and starting_at <= now() at time zone 'UTC'`,
    );
    expect(Number(inPlay[0]?.n)).toBeGreaterThan(0);
    const nothingDue = await env.run();
    expect(nothingDue.counters.fixturesRequested).toBe(0);
    expect(nothingDue.stopReason).toBe("no_work");
    // Live fixtures are followed every live_recollect_seconds: make that 1 s and let it pass.
    await env.stack.query("select public.set_collection_settings(live_recollect_seconds => 1)");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const result = await env.run();
    await env.stack.query("select public.set_collection_settings(live_recollect_seconds => 300)");
    expect(result.status).toBe("COMPLETED");
    expect(result.counters.fixturesRequested).toBe(Number(inPlay[0]?.n));
    expect(result.counters.fixturesUnchanged).toBe(Number(inPlay[0]?.n));
    expect(result.counters.rowsWritten).toBe(0);
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
  });
});

describe("collect() API economy", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-economy", { seed: 3, teamsPerLeague: 16 });
  });
  afterAll(async () => env?.close());

  it("uses no more than 5 % above the minimum number of API calls", async () => {
    const result = await env.run();
    expect(result.status).toBe("COMPLETED");
    const minimum = minimumCalls(env.sim);
    expect(env.sim.stats().requests).toBe(result.api.calls);
    expect(result.api.calls).toBeLessThanOrEqual(Math.floor(minimum * 1.05));
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
  });
});

describe("collect() work queries", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    // One season of 20 teams: 380 fixtures.
    env = await collectionEnv("collect-work-queries", { seed: 4, leagues: 1, seasonsPerLeague: 1, teamsPerLeague: 20, ...LEAGUES_ONLY });
  });
  afterAll(async () => env?.close());

  it("asks for a chunk's work until a short page, then releases it done without asking again", async () => {
    // Batches of 20: a work query asks for 200 ids, so 380 fixtures come as a full page and a short one.
    const { result, rpcCalls } = await env.runCountingRpcs({ batchSize: 20 });
    expect(result.stopReason, result.stopMessage).toBe("no_work");
    expect(result.counters).toMatchObject({ fixturesRequested: 380, chunksCompleted: 1 });
    expect(rpcCalls).toMatchObject({ list_chunk_work: 2, release_chunk: 1 });
    const chunks = await env.stack.query<{ status: string; checkpoint: unknown }>("select status, checkpoint from watermark.chunks");
    expect(chunks).toEqual([{ status: "done", checkpoint: {} }]);
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
  });
});

describe("collect() under a tight hourly limit", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    // Frozen time: a spent entity never resets during the test.
    env = await collectionEnv("collect-ratelimit", {
      seed: 9,
      leagues: 1,
      seasonsPerLeague: 1,
      teamsPerLeague: 24,
      hourlyLimit: 16,
      ...LEAGUES_ONLY,
    });
  });
  afterAll(async () => env?.close());

  it("pauses before the budget runs out, persists the reset, and the next run does not hammer the entity", async () => {
    const first = await env.run();
    expect(first.status).toBe("COMPLETED");
    expect(first.stopReason).toBe("rate_limited");
    expect(first.workLeft).toBe(true);
    expect(env.sim.stats().rateLimited).toBe(0);
    const persisted = await env.stack.query<{ entity: string; remaining: number; later: boolean }>(
      "select entity, remaining, resets_at > now() + interval '10 minutes' as later from watermark.api_rate_limits where entity = 'Fixture'",
    );
    expect(persisted).toEqual([{ entity: "Fixture", remaining: 10, later: true }]);
    const fixtureCalls = env.sim.stats().byEntity.Fixture;

    const second = await env.run();
    expect(second.stopReason).toBe("rate_limited");
    expect(env.sim.stats().byEntity.Fixture).toBe(fixtureCalls);
    expect(second.api.byEndpoint["fixtures/multi/{ids}"]).toBeUndefined();
    // What was collected before the pause stays, with the chunk's checkpoint for the run after the reset.
    const [chunk] = await env.stack.query<{ checkpoint: { last_fixture_id?: number }; lease_token: string | null }>(
      "select checkpoint, lease_token from watermark.chunks",
    );
    expect(chunk?.lease_token).toBeNull();
    expect(chunk?.checkpoint.last_fixture_id).toBeGreaterThan(0);
  });
});

describe("collect() dry runs stop where a real run would", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-dry-stops", { seed: 5 });
  });
  afterAll(async () => env?.close());

  const scheduleCalls = (r: CollectResult) => r.api.byEndpoint["schedules/seasons/{id}"] ?? 0;

  it("the time budget stops the plan before any schedule is read", async () => {
    const dry = await env.run({ dryRun: true, timeBudgetMs: 1_000 });
    expect(dry.status).toBe("COMPLETED");
    expect(dry.stopReason).toBe("time_budget");
    expect(dry.workLeft).toBe(true);
    expect(dry.plan).toEqual([]);
    expect(scheduleCalls(dry)).toBe(0);
  });

  it("chunks released below min_fixtures count toward max_chunks, as claim_chunk counts them", async () => {
    const options = { minFixtures: 100_000, maxChunks: 2 };
    const dry = await env.run({ ...options, dryRun: true });
    expect(dry.stopReason).toBe("max_chunks");
    expect(dry.plan).toEqual([]);
    expect(scheduleCalls(dry)).toBe(2);
    expect(dry.counters).toMatchObject({ chunksClaimed: 2, chunksBelowMinFixtures: 2 });

    const real = await env.run(options);
    expect(real.stopReason).toBe("max_chunks");
    expect(scheduleCalls(real)).toBe(2);
    expect(real.counters).toMatchObject({ chunksClaimed: 2, chunksBelowMinFixtures: 2 });
  });

  it("a dry run applies the database's live min_fixtures, as claim_chunk does", async () => {
    await env.stack.query("select public.set_collection_settings(min_fixtures => 100000)");
    try {
      const dry = await env.run({ dryRun: true, maxChunks: 2 });
      expect(dry.plan).toEqual([]);
      expect(dry.counters).toMatchObject({ chunksClaimed: 2, chunksBelowMinFixtures: 2 });
    } finally {
      await env.stack.query("select public.set_collection_settings(min_fixtures => 0)");
    }
  });
});

describe("collect() requeue", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-requeue", { seed: 11, leagues: 1, seasonsPerLeague: 2, teamsPerLeague: 6 });
  });
  afterAll(async () => env?.close());

  it("a requeued season is collected again by the next run, and only it", async () => {
    await env.run({ minFixtures: 0 });
    const [season] = await env.stack.query<{ season_id: string; n: string }>(
      "select season_id, count(*) as n from watermark.fixtures where collected_at is not null group by season_id order by season_id limit 1",
    );
    const idle = await env.run({ minFixtures: 0 });
    expect(idle.counters.fixturesRequested).toBe(0);
    const again = await env.run({ minFixtures: 0, seasonId: Number(season?.season_id), requeue: true });
    expect(again.counters.fixturesRequested).toBe(Number(season?.n));
    expect(again.counters.fixturesUnchanged).toBe(Number(season?.n));
    expect(again.api.byEndpoint["schedules/seasons/{id}"]).toBe(1);
    const audit = await env.stack.query("select action from watermark.chunk_audit where action = 'requeue'");
    expect(audit).toHaveLength(1);
  });
});

describe("collect() and the plan's coverage", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-plan", {
      seed: 13,
      leagues: 1,
      seasonsPerLeague: 1,
      teamsPerLeague: 6,
      leaguesOutsidePlan: 1,
      ...LEAGUES_ONLY,
    });
  });
  afterAll(async () => env?.close());

  it("sets a season the plan does not cover aside, says so, and does not ask again", async () => {
    const first = await env.run();
    expect(first.status).toBe("COMPLETED");
    expect(first.counters.chunksNotInPlan).toBe(1);
    expect(first.errors.join("\n")).toMatch(/not covered by the plan/);
    const chunks = await env.stack.query<{ status: string; blocked_by: string | null; last_error: string }>(
      `select c.status, q.blocked_by, c.last_error from watermark.chunks c
         join public.list_chunk_queue() q using (chunk_id) where c.status = 'not_in_plan'`,
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ status: "not_in_plan", blocked_by: "not_in_plan" });
    expect(chunks[0]?.last_error).toMatch(/5007|403/);
    // Everything the plan covers was collected; the next run asks nothing of the refused season.
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
    const second = await env.run();
    expect(second.counters.chunksNotInPlan).toBe(0);
    expect(second.api.byEndpoint["schedules/seasons/{id}"]).toBeUndefined();
  });
});

describe("collect() with a budget below the low water", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    // Frozen time: the window never resets, so the simulator's count is the budget left.
    env = await collectionEnv("collect-thinned-saves", {
      seed: 9,
      leagues: 1,
      seasonsPerLeague: 1,
      teamsPerLeague: 24,
      hourlyLimit: 60,
      ...LEAGUES_ONLY,
    });
  });
  afterAll(async () => env?.close());

  it("saves the budget every few calls during the run and as it ended when the run closes", async () => {
    const run = await env.run({ maxFixtures: 150 });
    expect(run.stopReason).toBe("max_fixtures");
    const served = env.sim.stats().byEntity;
    const saved = await env.stack.query<{ entity: string; remaining: number }>(
      "select entity, remaining from watermark.api_rate_limits order by entity",
    );
    expect(saved).toEqual(
      Object.keys(served)
        .sort()
        .map((entity) => ({ entity, remaining: 60 - (served[entity] ?? 0) })),
    );
  });
});
