// `npm run collect` as a user runs it: bad usage and missing configuration exit
// 2 with nothing written; a collector killed with SIGKILL mid-chunk holds its
// chunk (another run says so) until it is reaped (ABANDONED, lease freed) one
// minute after its last heartbeat, and the next run resumes from the checkpoint — nothing lost,
// nothing fetched or written twice; SIGTERM finishes CANCELLED and releases the lease.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY, startCli, storedFixtures, truthFixtures } from "./support.ts";

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("npm run collect", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("collect-cli", { seed: 5, leagues: 1, seasonsPerLeague: 2, teamsPerLeague: 24, ...LEAGUES_ONLY });
    env.sim.advanceTime(400 * 24 * 3_600_000);
  });
  afterAll(async () => env?.close());

  const collected = async () =>
    Number((await env.stack.query<{ n: string }>("select count(*) as n from watermark.fixtures where collected_at is not null"))[0]?.n);

  it("rejects bad usage and missing configuration with exit 2 and writes nothing", async () => {
    const tooBig = await startCli(["--batch-size", "51"], env.cliEnv()).done;
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toContain("--batch-size");
    const { SPORTMONKS_API_KEY: _omitted, ...withoutKey } = env.cliEnv();
    const missing = await startCli([], withoutKey).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Missing environment variables: SPORTMONKS_API_KEY");
    const help = await startCli(["--help"], {}).done;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
    expect(await env.stack.query("select 1 from watermark.etl_executions")).toHaveLength(0);
    expect(env.sim.stats().requests).toBe(0);
  });

  it("--dry-run shows the plan and writes nothing", async () => {
    const dry = await startCli(["--dry-run", "--json"], env.cliEnv()).done;
    expect(dry.code, dry.stderr).toBe(0);
    const result = JSON.parse(dry.stdout) as { executionId: string | null; plan: { chunkId: string; newFixtures: number }[] };
    expect(result.executionId).toBeNull();
    expect(result.plan.map((p) => p.newFixtures)).toEqual([552, 552]);
    const written = await env.stack.query<{ n: string }>(
      `select (select count(*) from watermark.chunks) + (select count(*) from watermark.etl_executions)
            + (select count(*) from watermark.etl_logs) + (select count(*) from watermark.api_rate_limits) as n`,
    );
    expect(written[0]?.n).toBe("0");
  });

  it("after SIGKILL mid-chunk, the dead run is ABANDONED and a restart ends exact without refetching", async () => {
    // Slow answers so the kill lands between batches of the first chunk.
    env.sim.setFaults({ slow: 1, slowMs: 150 });
    const first = startCli(["--batch-size", "50", "--lease-seconds", "600"], env.cliEnv());
    await waitFor(async () => (await collected()) >= 100, "two batches written");
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    env.sim.setFaults({ reset: true });

    const [dead] = await env.stack.query<{ execution_id: string; status: string }>(
      "select execution_id, status from watermark.etl_executions",
    );
    expect(dead?.status).toBe("RUNNING");
    const leased = await env.stack.query("select chunk_id from watermark.chunks where lease_token is not null");
    expect(leased).toHaveLength(1);
    const writtenByDead = Number(
      (
        await env.stack.query<{ n: string }>(
          "select count(*) as n from watermark.fixtures where last_execution_id = $1 and collected_at is not null",
          [dead?.execution_id],
        )
      )[0]?.n,
    );
    expect(writtenByDead).toBeGreaterThanOrEqual(100);
    const servedBefore = env.sim.stats().fixturesServed;

    // Until it is reaped the dead run still holds its chunk: a run for that season says so.
    const [held] = await env.stack.query<{ season_id: string }>("select season_id from watermark.chunks where lease_token is not null");
    const blocked = await startCli(["--season-id", String(held?.season_id)], env.cliEnv()).done;
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(blocked.stdout).toMatch(
      /^✔ collection completed \([\d.]+ s, execution etl_\w+\): no chunk needs work now: 1 held by another run \(until /,
    );

    // Its heartbeat stops. pg_cron runs the reaper every minute, so a timeout of at most 60 s
    // abandons the run within 2 minutes of its last heartbeat; 61 s without one is enough.
    await env.stack.query("update watermark.etl_executions set heartbeat_at = now() - interval '61 seconds' where execution_id = $1", [
      dead?.execution_id,
    ]);
    const reaped = await env.stack.query<{ r: { reaped: number; chunks_released: number } }>("select public.reap_stale_executions() as r");
    expect(reaped[0]?.r).toMatchObject({ reaped: 1, chunks_released: 1 });
    const [abandoned] = await env.stack.query<{ status: string }>("select status from watermark.etl_executions where execution_id = $1", [
      dead?.execution_id,
    ]);
    expect(abandoned?.status).toBe("ABANDONED");
    // The lease frees on the same clock, not when its own expiry (600 s here) comes.
    expect(await env.stack.query("select chunk_id from watermark.chunks where lease_token is not null")).toEqual([]);

    const metricsFile = path.join(mkdtempSync(path.join(tmpdir(), "collect-")), "metrics.json");
    const second = await startCli(["--json", "--track-performance", "--export-metrics", metricsFile], env.cliEnv()).done;
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout) as { counters: { fixturesRequested: number; fixturesInserted: number } };
    const total = truthFixtures(env.sim).length;
    // Resumed from the checkpoint: what the dead run wrote is neither fetched nor written again.
    expect(result.counters.fixturesRequested).toBe(total - writtenByDead);
    expect(result.counters.fixturesInserted).toBe(total - writtenByDead);
    expect(env.sim.stats().fixturesServed - servedBefore).toBe(total - writtenByDead);
    expect(await storedFixtures(env.stack)).toEqual(truthFixtures(env.sim));
    const exported = JSON.parse(readFileSync(metricsFile, "utf8")) as {
      api: { calls: number };
      performance: { timings: Record<string, unknown> };
    };
    expect(exported.api.calls).toBeGreaterThan(0);
    expect(Object.keys(exported.performance.timings).sort()).toEqual(["collector.fetch_batch", "collector.upsert_batch"]);
  });

  it("SIGTERM finishes the run CANCELLED and releases its lease with the checkpoint kept", async () => {
    await env.stack.query("update watermark.fixtures set next_check_at = now()");
    env.sim.setFaults({ slow: 1, slowMs: 150 });
    const before = await env.stack.query<{ n: string }>("select count(*) as n from watermark.etl_executions");
    const run = startCli(["--batch-size", "20"], env.cliEnv());
    await waitFor(
      async () =>
        (await env.stack.query("select 1 from watermark.chunks where checkpoint ? 'last_fixture_id' and lease_token is not null")).length >
        0,
      "a checkpoint under lease",
    );
    run.child.kill("SIGTERM");
    const finished = await run.done;
    env.sim.setFaults({ reset: true });
    expect(finished.code, finished.stderr).toBe(3);
    expect(finished.stdout).toMatch(/^■ collection cancelled, work left for the next run \([\d.]+ s, execution etl_\w+\): /);
    expect(finished.stderr).toMatch(/collect: claimed \d+_\d+ /);
    const [execution] = await env.stack.query<{ status: string }>(
      "select status from watermark.etl_executions order by started_at desc limit 1",
    );
    expect(Number(before[0]?.n)).toBe(3);
    expect(execution?.status).toBe("CANCELLED");
    const chunks = await env.stack.query<{ status: string; lease_token: string | null; checkpoint: Record<string, unknown> }>(
      "select status, lease_token, checkpoint from watermark.chunks where checkpoint ? 'last_fixture_id'",
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ status: "pending", lease_token: null });
  });
});
