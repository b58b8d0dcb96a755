// The edge function's CPU and memory limits, respected by design: a run whose
// budget would not fit another batch stops at the batch boundary with the
// limit as its stop reason, its lease released and its execution finished,
// and the next run picks up from the checkpoint. The probe is the test's (the
// CPU and memory a run spends are not the test's to choose); everything else
// is real: the simulator, the collector, the database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResourceProbe } from "../../packages/core/src/collector/index.ts";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY, truthFixtures } from "./support.ts";

/** A probe whose readings jump by `step` after every batch the run reports. */
function steppingProbe(step: { cpuMs?: number; bytes?: number }) {
  let batches = 0;
  const probe: ResourceProbe = {
    cpuMs: () => batches * (step.cpuMs ?? 0),
    memoryBytes: () => 10 * 1024 * 1024 + batches * (step.bytes ?? 0),
  };
  return { probe, onProgress: (p: { phase: string }) => void (p.phase === "batch" && batches++) };
}

describe("resource budgets", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    // One season of 20 teams: 380 fixtures, eight batches of 50.
    env = await collectionEnv("resource-limits", { seed: 5, leagues: 1, seasonsPerLeague: 1, teamsPerLeague: 20, ...LEAGUES_ONLY });
  });
  afterAll(async () => env?.close());

  const chunk = async () =>
    (
      await env.stack.query<{
        status: string;
        lease_owner: string | null;
        lease_token: string | null;
        checkpoint: { last_fixture_id?: number };
      }>("select status, lease_owner, lease_token, checkpoint from watermark.chunks")
    )[0];
  const execution = async (id: string | null) =>
    (
      await env.stack.query<{ status: string; finished_at: Date | null }>(
        "select status, finished_at from watermark.etl_executions where execution_id = $1",
        [id],
      )
    )[0];
  const closingStop = async (id: string | null) =>
    (
      await env.stack.query<{ stop: string }>(
        "select details ->> 'stop_reason' as stop from watermark.etl_logs where execution_id = $1 and message like 'collection %' and details ? 'stop_reason'",
        [id],
      )
    )[0]?.stop;

  it("stops on its CPU budget before a batch that would not fit: lease released, run finished, work left", async () => {
    const { probe, onProgress } = steppingProbe({ cpuMs: 1_000 });
    const result = await env.run({ cpuBudgetMs: 1_500 }, { resources: probe, onProgress });
    expect(result.stopReason, result.stopMessage).toBe("cpu_budget");
    expect(result).toMatchObject({ status: "COMPLETED", workLeft: true });
    expect(result.stopMessage).toMatch(/^CPU budget reached: 2000 ms used, budget 1500 ms/);
    // Two batches fit (the second started at 1,000 ms with 2 × 15 + 150 ms to spare); the third would not.
    expect(result.counters.fixturesRequested).toBe(100);
    expect(result.resources).toMatchObject({ batches: 2, cpuEstimated: false });
    expect(await chunk()).toMatchObject({
      status: "pending",
      lease_owner: null,
      lease_token: null,
      checkpoint: { last_fixture_id: expect.any(Number) },
    });
    expect(await execution(result.executionId)).toMatchObject({ status: "COMPLETED", finished_at: expect.any(Date) });
    expect(await closingStop(result.executionId)).toBe("cpu_budget");
  });

  it("stops on its memory budget: lease released, run finished; the next run resumes and ends equal to the API", async () => {
    const { probe, onProgress } = steppingProbe({ bytes: 300 * 1024 * 1024 });
    const result = await env.run({ memoryBudgetMb: 200 }, { resources: probe, onProgress });
    expect(result.stopReason, result.stopMessage).toBe("memory_budget");
    expect(result).toMatchObject({ status: "COMPLETED", workLeft: true });
    expect(result.stopMessage).toMatch(/^memory budget reached: 310 MB held, budget 200 MB/);
    expect(result.counters.fixturesRequested).toBe(50);
    expect(await chunk()).toMatchObject({ status: "pending", lease_owner: null, lease_token: null });
    expect(await execution(result.executionId)).toMatchObject({ status: "COMPLETED", finished_at: expect.any(Date) });
    expect(await closingStop(result.executionId)).toBe("memory_budget");

    const rest = await env.run();
    expect(rest.stopReason).toBe("no_work");
    const collected = await env.stack.query<{ n: number }>(
      "select count(*)::integer as n from watermark.fixtures where collected_at is not null",
    );
    expect(collected[0]?.n).toBe(truthFixtures(env.sim).length);
  });

  it("without a CPU counter the budget counts a calibrated estimate per batch", async () => {
    await env.stack.query(
      "select public.requeue_collection(chunk_id => (select chunk_id from watermark.chunks), reason => 'test: collect again')",
    );
    const result = await env.run({ cpuBudgetMs: 200 }, { resources: { cpuMs: () => null, memoryBytes: () => null } });
    expect(result.stopReason, result.stopMessage).toBe("cpu_budget");
    expect(result.stopMessage).toMatch(/ms used \(estimated\), budget 200 ms/);
    expect(result.resources.cpuEstimated).toBe(true);
    expect(await chunk()).toMatchObject({ status: "pending", lease_owner: null });
  });
});
