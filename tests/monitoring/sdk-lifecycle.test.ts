// The monitoring SDK against the real RPCs, through the gateway as a client calls them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWatermarkError, WatermarkError } from "../../packages/core/src/errors/index.ts";
import { EtlMonitor } from "../../packages/core/src/monitoring/index.ts";
import { createRpcClient, createSupabaseClient, type RpcClient, supabaseTransport } from "../../packages/core/src/rpc/index.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let service: RpcClient;
let viewer: RpcClient;

/** Sends arguments unchecked, so the database's own validation answers. */
const rawCall = (key: string) => {
  const supabase = createSupabaseClient(stack.supabaseUrl, key);
  return (name: string, args: Record<string, unknown>) => supabaseTransport(supabase)(name, args, {});
};
const count = async (table: string) => Number((await stack.query<{ n: string }>(`select count(*) as n from watermark.${table}`))[0]?.n);
const monitor = () => new EtlMonitor({ rpc: service, pipeline: "sdk_test", trigger: "api", component: "sdk", console: { level: "off" } });

beforeAll(async () => {
  stack = await createTestStack("monitoring-sdk");
  service = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole });
  viewer = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken: stack.keys.viewer });
});
afterAll(async () => {
  await stack?.close();
});

describe("EtlMonitor over the API", () => {
  it("records a full COMPLETED run: events in order, metrics, counters, summary", async () => {
    const outcome = await monitor().run(
      async ({ logger, metrics, progress }) => {
        const chunk = logger.child({ component: "chunk_processor", chunkId: "2451_23026" });
        for (let i = 0; i < 25; i++) await chunk.info(`fixture ${i}`, { i }, { durationMs: i });
        await metrics.trackOperation("chunk_duration", async () => "done");
        await metrics.incrementCounter("fixtures_processed", 25);
        await metrics.setGauge("queue_depth", 4, "items");
        progress({
          totalFixtures: 25,
          processedFixtures: 25,
          successfulFixtures: 24,
          failedFixtures: 1,
          totalChunks: 1,
          processedChunks: 1,
        });
        return "ok";
      },
      { config: { max_chunks: 1 }, correlationId: "corr-1" },
    );
    expect(outcome.status).toBe("COMPLETED");
    expect(outcome.summary).toMatchObject({
      execution_id: outcome.executionId,
      pipeline: "sdk_test",
      trigger: "api",
      status: "COMPLETED",
      processed_fixtures: 25,
      successful_fixtures: 24,
      success_rate: 96,
      correlation_id: "corr-1",
      log_counts: { INFO: 25 },
      metric_count: 3,
    });

    const logs = await viewer.call("get_etl_logs", { execution_id: outcome.executionId, max_rows: 100 });
    expect(logs.map((l) => l.message)).toEqual([...Array(25).keys()].map((i) => `fixture ${24 - i}`));
    expect(logs[0]).toMatchObject({
      component: "chunk_processor",
      chunk_id: "2451_23026",
      pipeline: "sdk_test",
      correlation_id: "corr-1",
      duration_ms: 24,
    });

    const summary = await viewer.call("get_etl_metric_summary", { execution_id: outcome.executionId, hours: 1 });
    expect(summary.map((m) => [m.metric_name, m.samples]).sort()).toEqual([
      ["chunk_duration", 1],
      ["fixtures_processed", 1],
      ["queue_depth", 1],
    ]);
    const kinds = await stack.query<{ metric_name: string; metric_kind: string }>(
      "select metric_name, metric_kind from watermark.etl_metrics where execution_id = $1 order by metric_name",
      [outcome.executionId],
    );
    expect(kinds.map((k) => k.metric_kind)).toEqual(["timing", "counter", "gauge"]);
  });

  it("records FAILED with the error, and CANCELLED on abort", async () => {
    const failed = await monitor().run(async () => {
      throw new Error("upstream returned 500");
    });
    // Two errors: the SDK's (with the stack) and the database's for the run that ended FAILED.
    expect(failed.summary).toMatchObject({ status: "FAILED", error_message: "upstream returned 500", log_counts: { ERROR: 2 } });
    const errors = await viewer.call("get_etl_logs", { execution_id: failed.executionId, min_level: "ERROR" });
    expect(errors.map((l) => l.message).sort()).toEqual([
      `execution ${failed.executionId} ended FAILED: upstream returned 500`,
      "execution failed",
    ]);

    const controller = new AbortController();
    const cancelled = await monitor().run(
      async ({ signal }) => {
        controller.abort(new Error("received SIGTERM"));
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
      },
      { signal: controller.signal },
    );
    expect(cancelled.summary).toMatchObject({ status: "CANCELLED", error_message: "received SIGTERM" });
  });

  it("gets WM003 when finishing twice and WM002 for an unknown execution", async () => {
    const m = monitor();
    await m.start();
    await m.finish("COMPLETED");
    await expect(m.finish("FAILED")).rejects.toMatchObject({ code: "WM003", kind: "conflict", field: "execution_id" });
    await expect(service.call("get_etl_execution_summary", { execution_id: "etl_nope" })).rejects.toMatchObject({ code: "WM002" });
  });
});

describe("bad input: WM001 naming the field, nothing written", () => {
  it("rejects a batch with one bad element as a whole", async () => {
    const call = rawCall(stack.keys.serviceRole);
    const before = await count("etl_logs");
    const err = await call("log_etl_events", {
      events: [
        { level: "INFO", component: "c", message: "fine" },
        { level: "NOTICE", component: "c", message: "bad level" },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatermarkError);
    expect(err).toMatchObject({ code: "WM001", kind: "invalid_parameter", field: "events[1].level", status: 400 });
    expect(await count("etl_logs")).toBe(before);
  });

  it.each([
    ["log_etl_event", { level: "INFO", component: "", message: "m" }, "component"],
    ["log_etl_event", { level: "INFO", component: "c", message: "m", duration_ms: -1 }, "duration_ms"],
    [
      "record_etl_metrics",
      {
        metrics: [
          { metric_name: "m", metric_value: 1 },
          { metric_name: "m", metric_value: "x" },
        ],
      },
      "metrics[1].metric_value",
    ],
    ["start_etl_execution", { trigger: "cron" }, "trigger"],
  ])("%s %j → WM001 on %s", async (rpc, args, field) => {
    const before = [await count("etl_logs"), await count("etl_metrics"), await count("etl_executions")];
    await expect(rawCall(stack.keys.serviceRole)(rpc, args)).rejects.toMatchObject({ code: "WM001", field });
    expect([await count("etl_logs"), await count("etl_metrics"), await count("etl_executions")]).toEqual(before);
  });

  it("the tracker refuses a bad metric before buffering it, naming the field, and stores a good one as the schema shapes it", async () => {
    const m = monitor();
    const executionId = await m.start();
    const refused = (record: () => unknown) => {
      try {
        record();
      } catch (err) {
        return err;
      }
      return "accepted";
    };
    for (const [record, field] of [
      [() => m.metrics.recordMetric("", 1), "metric_name"],
      [() => m.metrics.recordMetric("x".repeat(201), 1), "metric_name"],
      [() => m.metrics.recordMetric("m", Number.NaN), "metric_value"],
      [() => m.metrics.recordMetric("m", Number.POSITIVE_INFINITY), "metric_value"],
      [() => m.metrics.recordMetric("m", 1, { unit: "u".repeat(51) }), "metric_unit"],
      [() => m.metrics.recordMetric("m", 1, { kind: "histogram" as never }), "metric_kind"],
    ] as const) {
      expect(refused(record)).toMatchObject({ code: "WM001", field });
    }
    // A name the schema trims is stored trimmed; tags, unit and kind as given.
    await m.metrics.recordMetric("  padded.name  ", 2, { unit: "ms", kind: "timing", tags: { entity: "Fixture", status: 200, ok: true } });
    await m.metrics.recordMetric("plain.name", 3);
    await m.finish("COMPLETED");
    const rows = await stack.query<{
      metric_name: string;
      metric_value: number;
      metric_unit: string | null;
      metric_kind: string;
      tags: unknown;
    }>(
      "select metric_name, metric_value::float8 as metric_value, metric_unit, metric_kind, tags from watermark.etl_metrics where execution_id = $1 order by metric_name",
      [executionId],
    );
    expect(rows).toEqual([
      {
        metric_name: "padded.name",
        metric_value: 2,
        metric_unit: "ms",
        metric_kind: "timing",
        tags: { entity: "Fixture", status: 200, ok: true },
      },
      { metric_name: "plain.name", metric_value: 3, metric_unit: null, metric_kind: "gauge", tags: {} },
    ]);
  });

  it("log details are stored as JSON gives them, nested objects included", async () => {
    const m = monitor();
    const executionId = await m.start();
    // Plain nested objects (copied as they are), and values only JSON knows how to write (dates, errors, arrays).
    const plain = {
      fixtures: 50,
      rate_limit: { remaining: 12, resets_in_seconds: 30, requested_entity: "Fixture" },
      checkpoint: { last_fixture_id: 7, deeper: { still: { plain: null, dropped: undefined, deepest: { five: { levels: 5 } } } } },
      skipped: undefined,
    };
    const other = { at: new Date(0), ids: [1, 2], nested: { error: new Error("boom") } };
    await m.logger.info("plain details", plain);
    await m.logger.info("other details", other);
    await m.finish("COMPLETED");
    const logs = await viewer.call("get_etl_logs", { execution_id: executionId, max_rows: 10 });
    const stored = (message: string) => logs.find((l) => l.message === message)?.details;
    expect(stored("plain details")).toEqual(JSON.parse(JSON.stringify(plain)));
    expect(stored("other details")).toEqual({
      at: "1970-01-01T00:00:00.000Z",
      ids: [1, 2],
      nested: { error: { name: "Error", message: "boom" } },
    });
  });

  it("the client refuses the same mistakes before sending, with the same field names", async () => {
    await expect(service.call("log_etl_event", { level: "INFO", component: "", message: "m" })).rejects.toMatchObject({
      code: "WM001",
      field: "component",
    });
  });
});

describe("access", () => {
  it("denies anon and a user without Watermark rights; lets a viewer read but not write", async () => {
    const anon = await rawCall(stack.keys.anon)("get_etl_health_status", {}).catch((e: unknown) => e);
    expect(isWatermarkError(anon, "insufficient_privilege")).toBe(true);
    const user = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken: stack.keys.user });
    await expect(user.call("get_etl_logs", {})).rejects.toMatchObject({ code: "42501" });
    await expect(user.call("log_etl_events", { events: [{ level: "INFO", component: "c", message: "m" }] })).rejects.toMatchObject({
      code: "42501",
    });

    const health = await viewer.call("get_etl_health_status", {});
    expect(health.total_executions).toBeGreaterThanOrEqual(1);
    expect(health.pipelines.map((p) => p.pipeline)).toContain("sdk_test");
    await expect(viewer.call("start_etl_execution", {})).rejects.toMatchObject({ code: "42501" });
  });
});
