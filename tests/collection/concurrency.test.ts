// Three collectors at once over the same chunks: leases keep them apart, so no
// chunk is worked twice and every fixture is fetched and written exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY, storedFixtures, truthFixtures } from "./support.ts";

describe("three concurrent collectors", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-concurrency", { seed: 11, leagues: 4, seasonsPerLeague: 3, ...LEAGUES_ONLY });
    // Every fixture final: nothing needs work again after its chunk's pass.
    env.sim.advanceTime(400 * 24 * 3_600_000);
  });
  afterAll(async () => env?.close());

  it("never process one chunk twice", async () => {
    const results = await Promise.all(["a", "b", "c"].map((owner) => env.run({ owner, batchSize: 25 })));
    const total = truthFixtures(env.sim).length;
    for (const r of results) {
      expect(r.status).toBe("COMPLETED");
      expect(r.errors).toEqual([]);
    }
    const sum = (pick: (r: (typeof results)[number]) => number) => results.reduce((acc, r) => acc + pick(r), 0);
    expect(sum((r) => r.counters.chunksClaimed)).toBe(12);
    expect(sum((r) => r.counters.chunksCompleted)).toBe(12);
    expect(sum((r) => r.counters.fixturesRequested)).toBe(total);
    expect(sum((r) => r.counters.fixturesInserted)).toBe(total);
    expect(env.sim.stats().fixturesServed).toBe(total);
    // More than one collector did real work, so the leases were actually contended.
    expect(results.filter((r) => r.counters.chunksClaimed > 0).length).toBeGreaterThan(1);

    const claims = await env.stack.query<{ chunk_id: string; executions: string }>(
      `select chunk_id, count(distinct execution_id) as executions from watermark.etl_logs
        where message like 'chunk claimed%' group by chunk_id order by chunk_id`,
    );
    expect(claims).toHaveLength(12);
    expect(claims.every((c) => c.executions === "1")).toBe(true);
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
  });
});
