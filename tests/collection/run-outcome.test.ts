// What a run reports is what happened: the CLI's headline and exit code agree
// with the stop reason; a burst of spurious 429s and 5xx is retried (each retry
// logged and counted) without spending an entity's saved budget or ending the
// run; a failed run closes with an ERROR log; and health's source_api section
// reports the Sportmonks calls the collector really made.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollectorDeps } from "../../packages/core/src/collector/deps.ts";
import { collect } from "../../packages/core/src/collector/index.ts";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY, startCli } from "./support.ts";

interface SourceApi {
  status: string;
  calls_1h: number;
  errors_1h: number;
  rate_limited_1h: number;
  error_rate_1h: number | null;
  rate_limited_rate_1h: number | null;
  p95_latency_ms: number | null;
  last_success_at: string | null;
  entities: { entity: string; calls_1h: number; errors_1h: number; rate_limited_1h: number; last_success_at: string | null }[];
  rate_limits: { entity: string; remaining: number; status: string }[];
  thresholds: Record<string, unknown>;
}

describe("a run's outcome, as reported", () => {
  let env: CollectionEnv;
  beforeAll(async () => {
    env = await collectionEnv("run-outcome", { seed: 11, leagues: 2, seasonsPerLeague: 1, teamsPerLeague: 6, ...LEAGUES_ONLY });
  });
  afterAll(async () => env?.close());

  const sourceApi = async () =>
    (await env.stack.query<{ s: SourceApi }>("select public.get_health_report() -> 'services' -> 'source_api' as s"))[0]?.s as SourceApi;
  const executionOf = (stdout: string) => /execution (etl_\w+)/.exec(stdout)?.[1];

  it("stopping with work left is ■ stopped and exit 3, never ✔ completed", async () => {
    const run = await startCli(["--max-chunks", "1"], env.cliEnv()).done;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(
      /^■ collection stopped: max chunks, work left for the next run \([\d.]+ s, execution etl_\w+\): claimed 1 chunks\n/,
    );
    expect(run.stdout).not.toContain("✔");

    const rest = await startCli([], env.cliEnv()).done;
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/^✔ collection completed \([\d.]+ s, execution etl_\w+\): no chunk needs work now: /);
  });

  it("source_api reports the calls the collector made: volume, errors, latency, last success and headroom", async () => {
    const s = await sourceApi();
    const served = env.sim.stats();
    // Every request the simulator answered is one sample; none failed.
    expect(s.calls_1h).toBe(served.requests);
    expect(s).toMatchObject({ status: "healthy", errors_1h: 0, rate_limited_1h: 0, error_rate_1h: 0, rate_limited_rate_1h: 0 });
    expect(s.p95_latency_ms).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(s.last_success_at ?? "")).toBeLessThan(5 * 60_000);
    expect(s.entities.map((e) => e.entity).sort()).toEqual(["Fixture", "League", "Schedule", "Season"]);
    expect(s.entities.reduce((sum, e) => sum + e.calls_1h, 0)).toBe(served.requests);
    const saved = await env.stack.query<{ entity: string; remaining: number }>(
      "select entity, remaining from watermark.api_rate_limits order by entity",
    );
    expect(s.rate_limits.map((r) => ({ entity: r.entity, remaining: r.remaining }))).toEqual(saved);
    expect(s.rate_limits.every((r) => r.remaining > 0 && r.status === "healthy")).toBe(true);
    expect(Object.keys(s.thresholds).sort()).toEqual([
      "error_rate",
      "last_success_age_seconds",
      "min_calls",
      "p95_latency_ms",
      "rate_limit_remaining",
      "rate_limited_rate",
    ]);
    // The per-run counters add up to the same calls.
    const [counted] = await env.stack.query<{ n: number }>(
      "select sum(metric_value)::int as n from watermark.etl_metrics where metric_name = 'sportmonks.calls'",
    );
    expect(counted?.n).toBe(served.requests);

    // And the health function answers 200 with it, right after a normal collection.
    Object.assign(process.env, {
      SUPABASE_URL: env.stack.supabaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: env.stack.keys.serviceRole,
      SUPABASE_ANON_KEY: env.stack.keys.anon,
    });
    const health = (await import("../../functions/health/index.ts")).default;
    const response = await health.fetch(
      new Request("http://localhost/functions/v1/health", { headers: { Authorization: `Bearer ${env.stack.keys.viewer}` } }),
    );
    const report = (await response.json()) as { status: string; reasons: string[]; services: { source_api: SourceApi } };
    expect({ http: response.status, status: report.status, reasons: report.reasons }).toEqual({
      http: 200,
      status: "healthy",
      reasons: [],
    });
    expect(report.services.source_api.calls_1h).toBe(served.requests);
  });

  it("a burst of spurious 429s and a 5xx is retried, logged and counted, and spends no budget", async () => {
    const budgets = await env.stack.query<{ entity: string; remaining: number }>("select entity, remaining from watermark.api_rate_limits");
    expect(budgets.find((b) => b.entity === "Season")?.remaining).toBeGreaterThan(2000);
    await env.stack.query("update watermark.fixtures set next_check_at = now()");
    // The CLI's client retries 3 times: the first request (the seasons read) fails all 4 attempts.
    env.sim.setFaults({ next: [{ kind: "server_error" }, { kind: "rate_limit", count: 3 }] });
    const run = await startCli(["--verbose"], env.cliEnv()).done;
    env.sim.setFaults({ reset: true });

    // The run went on: the catalog read failed, the due fixtures were collected.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✔ collection completed /);
    expect(run.stdout).toMatch(/fixtures: \d+ fetched/);
    const retries = run.stderr.split("\n").filter((line) => line.includes("retrying seasons"));
    expect(retries).toHaveLength(3);
    expect(retries[0]).toMatch(/retrying seasons \(attempt 2\) after server HTTP 50[023]/);
    expect(retries[1]).toMatch(/retrying seasons \(attempt 3\) after rate_limited HTTP 429/);
    const [counted] = await env.stack.query<{ n: number }>(
      "select sum(metric_value)::int as n from watermark.etl_metrics where metric_name = 'sportmonks.retries' and execution_id = $1",
      [executionOf(run.stdout)],
    );
    expect(counted?.n).toBe(3);
    // No entity's saved budget was set to zero by the spurious answers.
    const after = await env.stack.query<{ entity: string; remaining: number }>("select entity, remaining from watermark.api_rate_limits");
    expect(after.every((b) => b.remaining > 0)).toBe(true);
    expect(after.find((b) => b.entity === "Season")?.remaining).toBe(budgets.find((b) => b.entity === "Season")?.remaining);

    const s = await sourceApi();
    expect(s).toMatchObject({ errors_1h: 1, rate_limited_1h: 3 });
    expect(s.calls_1h).toBe(env.sim.stats().requests);
  });

  it("a failed run closes with an ERROR log from the collector", async () => {
    const result = await collect(
      createCollectorDeps({
        supabaseUrl: env.stack.supabaseUrl,
        serviceRoleKey: env.stack.keys.serviceRole,
        sportmonksApiKey: "not-the-key",
        sportmonksBaseUrl: env.sim.baseUrl,
        console: { level: "off" },
      }),
      { timeBudgetMs: 60_000 },
    );
    expect(result.status).toBe("FAILED");
    const logs = await env.stack.query<{ level: string }>(
      "select level from watermark.etl_logs where execution_id = $1 and component = 'collector' and message = 'collection failed'",
      [result.executionId],
    );
    expect(logs).toEqual([{ level: "ERROR" }]);
  });
});
