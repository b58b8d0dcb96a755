import { afterEach, describe, expect, it, vi } from "vitest";
import { WatermarkError } from "../../src/errors/index.ts";
import { abortOnSignals, EtlLogger, EtlMonitor, type EtlMonitorOptions, RpcEventSink } from "../../src/monitoring/index.ts";
import { fakeRpc } from "./fake-rpc.ts";

const quiet = { level: "off" } as const;
const monitorFor = (fake: ReturnType<typeof fakeRpc>, o: Partial<EtlMonitorOptions> = {}) =>
  new EtlMonitor({ rpc: fake.client, pipeline: "unit", component: "test", console: quiet, sleep: async () => {}, ...o });

afterEach(() => vi.useRealTimers());

describe("EtlMonitor.run", () => {
  it("finishes COMPLETED with the counters, after flushing the run's events", async () => {
    const fake = fakeRpc();
    const outcome = await monitorFor(fake).run(async ({ logger, metrics, progress }) => {
      await logger.info("working", { step: 1 });
      await metrics.incrementCounter("fixtures_processed", 5);
      progress({ processedFixtures: 5, totalFixtures: 5 });
      return 42;
    });
    expect(outcome).toMatchObject({ status: "COMPLETED", result: 42, error: undefined });
    const names = fake.calls.map((c) => c.name);
    expect(names[0]).toBe("start_etl_execution");
    expect(names.at(-1)).toBe("finish_etl_execution");
    expect(names.indexOf("log_etl_events")).toBeLessThan(names.indexOf("finish_etl_execution"));
    expect(fake.calls.at(-1)?.args).toMatchObject({ status: "COMPLETED", processed_fixtures: 5, total_fixtures: 5 });
    expect(fake.events).toEqual([
      expect.objectContaining({
        level: "INFO",
        component: "test",
        message: "working",
        details: { step: 1 },
        execution_id: outcome.executionId,
        pipeline: "unit",
      }),
    ]);
    expect(fake.metrics).toEqual([
      expect.objectContaining({
        metric_name: "fixtures_processed",
        metric_value: 5,
        metric_kind: "counter",
        execution_id: outcome.executionId,
      }),
    ]);
  });

  it("finishes FAILED with the error when fn throws, and logs it", async () => {
    const fake = fakeRpc();
    const outcome = await monitorFor(fake).run(async () => {
      throw new Error("sportmonks said no");
    });
    expect(outcome.status).toBe("FAILED");
    expect(outcome.error?.message).toBe("sportmonks said no");
    expect(fake.calls.at(-1)?.args).toMatchObject({ status: "FAILED", error_message: "sportmonks said no" });
    expect(fake.events).toEqual([
      expect.objectContaining({
        level: "ERROR",
        message: "execution failed",
        details: { error: { name: "Error", message: "sportmonks said no" } },
      }),
    ]);
  });

  it("finishes CANCELLED when the caller's signal aborts, and fn sees the abort", async () => {
    const fake = fakeRpc();
    const controller = new AbortController();
    let sawAbort = false;
    const outcome = await monitorFor(fake).run(
      (ctx) =>
        new Promise<never>(() => {
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
          });
          controller.abort(new Error("received SIGTERM"));
        }),
      { signal: controller.signal },
    );
    expect(sawAbort).toBe(true);
    expect(outcome.status).toBe("CANCELLED");
    expect(fake.calls.at(-1)?.args).toMatchObject({ status: "CANCELLED", error_message: "received SIGTERM" });
  });

  it("does not call fn when the signal is already aborted", async () => {
    const fake = fakeRpc();
    const fn = vi.fn(async () => 1);
    const outcome = await monitorFor(fake).run(fn, { signal: AbortSignal.abort(new Error("stop")) });
    expect(fn).not.toHaveBeenCalled();
    expect(outcome.status).toBe("CANCELLED");
  });

  it("heartbeats while running and stops the work when the run is no longer RUNNING", async () => {
    vi.useFakeTimers();
    const fake = fakeRpc();
    const monitor = monitorFor(fake, { heartbeatIntervalMs: 1_000 });
    const running = monitor.run((ctx) => new Promise<never>(() => ctx.progress({ processedChunks: 1 }))).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1_000);
    const beat = fake.calls.find((c) => c.name === "heartbeat_etl_execution");
    expect(beat?.args).toMatchObject({ progress: { processed_chunks: 1 } });
    // Reaped elsewhere: the next heartbeat gets WM003 and the run is cancelled.
    fake.status.set(monitor.executionId, "ABANDONED");
    await vi.advanceTimersByTimeAsync(1_000);
    // finish_etl_execution then reports the conflict: the run was not ours to finish any more.
    expect(await running).toMatchObject({ code: "WM003" });
  });

  it("keepAlive beats with fresh counters, reports a lost run once per beat, and stops when asked", async () => {
    vi.useFakeTimers();
    const fake = fakeRpc();
    const monitor = monitorFor(fake);
    await monitor.start();
    let processed = 0;
    const lost: Error[] = [];
    const stop = monitor.keepAlive({ intervalMs: 500, progress: () => ({ processedFixtures: processed }), onLost: (e) => lost.push(e) });
    processed = 7;
    await vi.advanceTimersByTimeAsync(500);
    processed = 9;
    await vi.advanceTimersByTimeAsync(500);
    const beats = fake.calls.filter((c) => c.name === "heartbeat_etl_execution");
    expect(beats.map((b) => b.args.progress)).toEqual([{ processed_fixtures: 7 }, { processed_fixtures: 9 }]);
    expect(lost).toEqual([]);

    fake.status.set(monitor.executionId, "ABANDONED");
    await vi.advanceTimersByTimeAsync(500);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ code: "WM003" });

    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fake.calls.filter((c) => c.name === "heartbeat_etl_execution")).toHaveLength(3);
  });

  it("keepAlive refuses to run before start", () => {
    expect(() => monitorFor(fakeRpc()).keepAlive({ onLost: () => {} })).toThrow(/call start\(\)/);
  });

  it("still finishes when the final flush fails, then reports the unwritten events", async () => {
    const fake = fakeRpc();
    const monitor = monitorFor(fake, { batching: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } } });
    await monitor.start();
    await monitor.logger.info("one");
    fake.failNext("log_etl_events", new Error("fetch failed"));
    await expect(monitor.finish("COMPLETED")).rejects.toThrow(
      /finished COMPLETED, but 1 log events and 0 metrics are not written yet: fetch failed/,
    );
    expect(fake.status.get(monitor.executionId)).toBe("COMPLETED");
    expect(monitor.pendingEvents().logs).toEqual([expect.objectContaining({ message: "one" })]);
  });

  it("refuses a second start and use before start", async () => {
    const monitor = monitorFor(fakeRpc());
    expect(() => monitor.logger).toThrow(/call start\(\)/);
    await monitor.start({ executionId: "etl_fixed" });
    expect(monitor.executionId).toBe("etl_fixed");
    await expect(monitor.start()).rejects.toThrow(/already runs execution etl_fixed/);
    await monitor.logger.info("last words");
    await monitor.close();
    expect(monitor.pendingEvents().logs).toEqual([]);
    expect(() => monitor.logger.info("too late")).toThrow(/closed/);
  });
});

describe("EtlLogger", () => {
  it("carries child context and prints level-filtered JSON lines", async () => {
    const fake = fakeRpc();
    const lines: string[] = [];
    const sink = new RpcEventSink(fake.client);
    const root = new EtlLogger({
      sink,
      context: { component: "root", executionId: "etl_1" },
      console: { level: "WARNING", write: (l) => lines.push(l) },
    });
    const child = root.child({ component: "chunk", chunkId: "2451_23026", fixtureId: 7 });
    await child.debug("detail");
    await child.warning("slow", { ms: 900 }, { durationMs: 900 });
    await sink.flush();
    expect(fake.events.map((e) => [e.level, e.component, e.chunk_id, e.fixture_id, e.execution_id])).toEqual([
      ["DEBUG", "chunk", "2451_23026", 7, "etl_1"],
      ["WARNING", "chunk", "2451_23026", 7, "etl_1"],
    ]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      level: "WARNING",
      message: "slow",
      component: "chunk",
      duration_ms: 900,
      details: { ms: 900 },
    });
    expect(root.context.component).toBe("root");
  });

  it("throws WM001 naming the field for an invalid event, buffering nothing", async () => {
    const fake = fakeRpc();
    const sink = new RpcEventSink(fake.client);
    const logger = new EtlLogger({ sink, console: quiet });
    expect(() => logger.info("")).toThrow(WatermarkError);
    expect(() => logger.info("x", {}, { durationMs: -5 })).toThrow(/^duration_ms: /);
    await sink.flush();
    expect(fake.events).toEqual([]);
  });

  it("names a bad context field on every event, though the context is checked once", async () => {
    const fake = fakeRpc();
    const sink = new RpcEventSink(fake.client);
    const logger = new EtlLogger({ sink, context: { executionId: "etl_1" }, console: quiet }).child({ fixtureId: -1 });
    expect(() => logger.info("one")).toThrow(/^fixture_id: /);
    expect(() => logger.info("two")).toThrow(/^fixture_id: /);
    expect(() => logger.info("")).toThrow(/^message: /);
    await sink.flush();
    expect(fake.events).toEqual([]);
  });

  it("stores details as JSON makes them, copied when logged, and the message trimmed", async () => {
    const fake = fakeRpc();
    const sink = new RpcEventSink(fake.client);
    const logger = new EtlLogger({ sink, console: quiet, now: () => new Date("2026-12-02T04:00:00.000Z") });
    const flat: Record<string, unknown> = { n: 1, s: "x", b: false, z: null, gone: undefined, nan: Number.NaN };
    const error = Object.assign(new Error("boom"), { code: "E1" });
    await logger.info("  flat  ", flat);
    flat.n = 2;
    await logger.info("nested", { error, big: 10n, list: [1, undefined], at: new Date("2026-12-02T00:00:00Z") });
    await logger.info("not plain", new Date("2026-12-02T00:00:00Z") as unknown as Record<string, unknown>);
    await sink.flush();
    expect(fake.events.map((e) => [e.message, e.details, e.timestamp])).toEqual([
      ["flat", { n: 1, s: "x", b: false, z: null, nan: null }, "2026-12-02T04:00:00.000Z"],
      [
        "nested",
        { error: { name: "Error", message: "boom", code: "E1" }, big: "10", list: [1, null], at: "2026-12-02T00:00:00.000Z" },
        "2026-12-02T04:00:00.000Z",
      ],
      ["not plain", { value: "2026-12-02T00:00:00.000Z" }, "2026-12-02T04:00:00.000Z"],
    ]);
  });
});

describe("PerformanceTracker", () => {
  it("times operations (tagged ok/error), counts and gauges", async () => {
    const fake = fakeRpc();
    const monitor = monitorFor(fake);
    await monitor.start();
    const t = monitor.metrics;
    await expect(t.trackOperation("fetch", async () => "ok")).resolves.toBe("ok");
    await expect(t.trackOperation("fetch", async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await t.setGauge("queue_depth", 3, "items");
    await t.incrementCounter("fixtures");
    await t.incrementCounter("fixtures", 2);
    expect(() => t.recordMetric("bad", Number.POSITIVE_INFINITY)).toThrow(/^metric_value: /);
    await monitor.flush();
    expect(
      fake.metrics.map((m) => [m.metric_name, m.metric_kind, (m.tags as Record<string, unknown> | undefined)?.status ?? null]),
    ).toEqual([
      ["fetch", "timing", "ok"],
      ["fetch", "timing", "error"],
      ["queue_depth", "gauge", null],
      ["fixtures", "counter", null],
      ["fixtures", "counter", null],
    ]);
    const snap = t.snapshot();
    expect(snap.counters).toEqual({ fixtures: 3 });
    expect(snap.gauges).toEqual({ queue_depth: 3 });
    expect(snap.timings.fetch?.count).toBe(2);
  });
});

describe("abortOnSignals", () => {
  it("aborts on the first signal and detaches", () => {
    const listeners = new Map<string, (s: string) => void>();
    const source = { once: (e: string, l: (s: string) => void) => listeners.set(e, l), off: (e: string) => listeners.delete(e) };
    const { signal } = abortOnSignals(source);
    expect([...listeners.keys()]).toEqual(["SIGTERM", "SIGINT"]);
    listeners.get("SIGTERM")?.("SIGTERM");
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe("received SIGTERM");
    expect(listeners.size).toBe(0);
  });
});
