// Two weeks of a season replayed at 10,000× against the real database, run
// after run as a schedule would run them, with no flag and no human step:
// matches kick off and go live, fixtures are postponed and rescheduled, results
// are corrected after full time, every league and the cup roll over to a new
// season and a new league joins. The simulator serves its world on the real
// clock (realClockStamps), so the database's now() and the served kickoffs
// agree. At the end the world stops, the collector catches up on its own
// settle windows, and the fixtures table equals the simulator's truth, events
// included, with API calls within what docs/collection.md says the strategy costs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CollectResult } from "../../packages/core/src/collector/index.ts";
import { type CollectionEnv, collectionEnv, storedFixtures, truthFixtures } from "./support.ts";

const SPEED = 10_000; // world seconds per real second
const WORLD_DAY = 24 * 3_600_000;
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The defaults of docs/collection.md, compressed by SPEED (whole seconds, at least 1).
const SETTINGS = {
  settle: [1, 9], // 2.8 h and 25 h of world time: after every correction the simulator makes (≤ 10 h)
  liveRecollect: 1,
  rediscover: 3,
  catalogRefresh: 20,
};

describe("a season replayed at speed", () => {
  let env: CollectionEnv;
  let worldStart: number;
  const runs: CollectResult[] = [];
  const calls = (r: CollectResult, endpoint: string) => r.api.byEndpoint[endpoint] ?? 0;

  beforeAll(async () => {
    worldStart = Math.floor(Date.now() / MINUTE) * MINUTE;
    env = await collectionEnv("season-replay", {
      seed: 21,
      now: worldStart,
      timeScale: SPEED,
      realClockStamps: true,
      leagues: 2,
      teamsPerLeague: 6,
      seasonsPerLeague: 1,
      cups: 1,
      nextSeasonAt: worldStart + 4 * WORLD_DAY,
      newLeagueAt: worldStart + 6 * WORLD_DAY,
      postponementRate: 0.1,
      correctionRate: 0.3,
      correctionDelayMinutes: { min: 30, max: 600 },
    });
    await env.stack.query(
      `select public.set_collection_settings(settle_after_seconds => $1, live_recollect_seconds => $2,
         rediscover_after_seconds => $3, catalog_refresh_seconds => $4, min_fixtures => 0)`,
      [SETTINGS.settle, SETTINGS.liveRecollect, SETTINGS.rediscover, SETTINGS.catalogRefresh],
    );
  });
  afterAll(async () => env?.close());

  const collect = async () => {
    const result = await env.run({ timeBudgetMs: 60_000 });
    expect(result.status, result.errors.join("\n")).toBe("COMPLETED");
    expect(result.errors).toEqual([]);
    runs.push(result);
  };

  it("ends equal to the simulator's truth, events, cups, rollovers and corrections included", { timeout: 600_000 }, async () => {
    // Two weeks of world time, a run every ~0.3 real seconds (about 50 world minutes).
    while (env.sim.now() < worldStart + 14 * WORLD_DAY) {
      await collect();
      await sleep(150);
    }
    // The world stops; the collector's own rules (live, settle windows, rediscovery) bring it level.
    env.sim.freeze();
    const catchUpUntil = Date.now() + (Math.max(...SETTINGS.settle) + SETTINGS.rediscover + 2) * 1000;
    while (Date.now() < catchUpUntil) {
      await collect();
      await sleep(300);
    }

    const truth = env.sim.truth();
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));

    // Ties: legs, aggregate result and winner as the schedule shows them.
    const ties = await env.stack.query<Record<string, unknown>>(
      `select id::int as id, fixture_ids::int[] as fixture_ids, result, winner_participant_id::int as winner
         from watermark.fixture_aggregates order by id`,
    );
    const truthTies = truth.aggregates.map((a) => ({
      id: a.id,
      fixture_ids: a.fixture_ids,
      result: a.result ?? null,
      winner: a.winner_participant_id ?? null,
    }));
    expect(ties).toEqual(truthTies.sort((a, b) => Number(a.id) - Number(b.id)));

    // The world really had what the replay is about.
    const stored = await env.stack.query<{ kind: string; n: string }>(
      `select 'seasons' as kind, count(*) as n from watermark.chunks
       union all select 'leagues', count(distinct league_id) from watermark.chunks
       union all select 'tie legs', count(*) from watermark.fixtures where aggregate_id is not null and collected_at is not null
       union all select 'group fixtures', count(*) from watermark.fixtures where group_id is not null and collected_at is not null`,
    );
    const count = (kind: string) => Number(stored.find((r) => r.kind === kind)?.n);
    expect(count("seasons")).toBe(truth.seasons.length);
    expect(count("seasons")).toBeGreaterThan(3); // 2 leagues + a cup, then their next seasons and a new league
    expect(count("leagues")).toBe(truth.leagues.length);
    expect(count("tie legs")).toBeGreaterThan(0);
    expect(count("group fixtures")).toBeGreaterThan(0);
    const scripts = env.sim.dataset.fixtureList.filter((f) => f.inPlan && f.appearsAtMs <= env.sim.now());
    expect(scripts.some((f) => f.incident?.kind === "postponed")).toBe(true);
    expect(scripts.some((f) => f.correction && f.correction.atMs <= env.sim.now())).toBe(true);
  });

  it("spends API calls as docs/collection.md says", () => {
    // Catalog: one call per entity per run, plus the leagues list when new seasons come back, plus whole reads.
    for (const r of runs) {
      expect(calls(r, "leagues")).toBeLessThanOrEqual(1);
      expect(calls(r, "seasons")).toBeLessThanOrEqual(1);
      // One schedule read per claimed chunk at most.
      expect(calls(r, "schedules/seasons/{id}")).toBeLessThanOrEqual(r.counters.chunksClaimed);
    }
    // ⌈due ÷ 50⌉ multi calls per claimed chunk. At 10,000× a run spans hours of world time, so a few fixtures fall
    // due while their chunk is being worked and cost one more call: 10 % of slack for that.
    const total = (pick: (r: CollectResult) => number) => runs.reduce((n, r) => n + pick(r), 0);
    const multi = total((r) => calls(r, "fixtures/multi/{ids}"));
    expect(multi).toBeLessThanOrEqual(1.1 * (total((r) => r.counters.chunksClaimed) + total((r) => r.counters.fixturesRequested) / 50));
    // A season's schedule is read when it appears and then once per rediscovery interval, while not settled.
    const chunks = env.sim.truth().seasons.length;
    const replaySeconds = (env.sim.now() - worldStart) / SPEED + Math.max(...SETTINGS.settle) + SETTINGS.rediscover + 2;
    const schedules = total((r) => calls(r, "schedules/seasons/{id}"));
    expect(schedules).toBeLessThanOrEqual(chunks * (1 + Math.ceil(replaySeconds / SETTINGS.rediscover)));
    // Each fixture is fetched at discovery, at kickoff, while live, at full time, once per settle window and when
    // the schedule moves it: a handful of times, not once per run.
    const fetched = total((r) => r.counters.fixturesRequested);
    const fixtures = env.sim.truth().fixtures.length;
    expect(fetched / fixtures).toBeLessThan(8);
    expect(runs.length).toBeGreaterThan(100);
  });
});
