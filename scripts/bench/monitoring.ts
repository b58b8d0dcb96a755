// Monitoring write and read paths on one private database (issue 2 §9, issue 9 §3):
// events/s through the SDK's batched path (pipelined, and one batch at a time for
// reference), per-event log_etl_event calls and raw COPY of the same rows into the same
// table; get_etl_health_status latency at 10 thousand vs 5 million log rows.

import { spawn } from "node:child_process";
import path from "node:path";
import { type BatchOptions, createRpcClient, defaultBatchOptions, EtlLogger, type RpcClient, RpcEventSink } from "@watermark/core";
import type { TestStack } from "../../tests/support/test-stack.ts";
import { repoRoot } from "../local/paths.ts";
import { freePort, waitForPort } from "../local/ports.ts";
import { psql } from "../local/psql.ts";
import { loadState } from "../local/state.ts";
import { fmt, heading, latencyMs, median, rate, ratio, row, timed } from "./measure.ts";

const EXECUTION = "etl_bench_monitoring";
const ROUNDS = 3;

/** COPYs `count` log rows (ids from `offset`) into watermark.etl_logs with psql's copy from stdin. */
async function copyRows(databaseUrl: string, count: number, offset: number): Promise<void> {
  const lines: string[] = [];
  for (let i = offset; i < offset + count; i++) {
    lines.push(`INFO\tbench\tevent ${i}\t{"i": ${i}}\t${EXECUTION}\t2451_23026\t1.5`);
  }
  psql(databaseUrl, {
    command: "\\copy watermark.etl_logs (level, component, message, details, execution_id, chunk_id, duration_ms) from stdin",
    input: lines.length ? `${lines.join("\n")}\n` : "",
  });
}

/** Logs `count` events through EtlLogger → RpcEventSink (the same rows copyRows writes); returns events/s. */
async function sdkRate(rpc: RpcClient, count: number, batching: Partial<BatchOptions>): Promise<number> {
  const sink = new RpcEventSink(rpc, { batching });
  const logger = new EtlLogger({
    sink,
    context: { component: "bench", executionId: EXECUTION, chunkId: "2451_23026" },
    console: { level: "off" },
  });
  const { seconds } = await timed(async () => {
    for (let i = 0; i < count; i++) await logger.info(`event ${i}`, { i }, { durationMs: 1.5 });
    await sink.close();
  });
  return count / seconds;
}

/** Adds log rows spread over the last 30 days (the retention window) straight in SQL, 500 k per statement. */
async function growLogs(stack: TestStack, target: number): Promise<void> {
  const [{ n }] = (await stack.query<{ n: string }>("select count(*) as n from watermark.etl_logs")) as [{ n: string }];
  for (let have = Number(n); have < target; have += 500_000) {
    const batch = Math.min(500_000, target - have);
    await stack.query(
      `insert into watermark.etl_logs ("timestamp", level, component, message, execution_id, pipeline)
       select now() - (g % 720) * interval '1 hour', (array['DEBUG','INFO','INFO','INFO','WARNING','ERROR'])[1 + g % 6],
              'bench', 'filler ' || g, $1, (array['watermark','other_a','other_b'])[1 + g % 3]
       from generate_series(1, $2::int) g`,
      [EXECUTION, batch],
    );
  }
  await stack.query("analyze watermark.etl_logs");
}

/** The API in its own process (scripts/bench/gateway-process.ts) on the stack's private database. */
async function separateGateway(stack: TestStack): Promise<{ url: string; stop: () => void }> {
  const state = loadState();
  if (!state) throw new Error("the local stack is not running: npm run stack -- up");
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "scripts/bench/gateway-process.ts")], {
    env: {
      ...process.env,
      BENCH_GATEWAY_DATABASE_URL: `postgresql://authenticator:${encodeURIComponent(state.authenticatorPassword)}@127.0.0.1:${state.dbPort}/${stack.database}`,
      BENCH_GATEWAY_JWT_SECRET: stack.jwtSecret,
      BENCH_GATEWAY_PORT: String(port),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

export async function benchMonitoring(
  stack: TestStack,
  options: { events: number; perEventCalls: number; bigLogRows: number },
): Promise<boolean> {
  const api = await separateGateway(stack);
  try {
    return await benchWithApi(stack, api.url, options);
  } finally {
    api.stop();
  }
}

async function benchWithApi(
  stack: TestStack,
  apiUrl: string,
  options: { events: number; perEventCalls: number; bigLogRows: number },
): Promise<boolean> {
  const service = createRpcClient({ url: apiUrl, apiKey: stack.keys.serviceRole });
  const viewer = createRpcClient({ url: apiUrl, apiKey: stack.keys.anon, accessToken: stack.keys.viewer });
  await service.call("start_etl_execution", { execution_id: EXECUTION, pipeline: "watermark" });

  heading("Monitoring writes (one database, one client, the API in its own process)");
  const perEvent = await timed(async () => {
    for (let i = 0; i < options.perEventCalls; i++) {
      await service.call("log_etl_event", {
        level: "INFO",
        component: "bench",
        message: `event ${i}`,
        details: { i },
        execution_id: EXECUTION,
        chunk_id: "2451_23026",
        fixture_id: i,
        duration_ms: 1.5,
      });
    }
  });
  const perEventRate = rate("per-event log_etl_event", options.perEventCalls, perEvent.seconds);

  // The three alternate over a few rounds and report medians: one run of each
  // on a shared 2-core machine swings by ±50 %.
  const pipelinedRates: number[] = [];
  const serialRates: number[] = [];
  const copyRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    pipelinedRates.push(await sdkRate(service, options.events, {}));
    serialRates.push(await sdkRate(service, options.events, { maxInFlight: 1 }));
    const copy = await timed(() => copyRows(stack.databaseUrl, options.events, round * options.events));
    copyRates.push(options.events / copy.seconds);
  }
  const pipelinedRate = median(pipelinedRates);
  const serialRate = median(serialRates);
  const copyRate = median(copyRates);
  const of = `(median of ${ROUNDS} × ${fmt(options.events)})`;
  row(`SDK batched, pipelined (${defaultBatchOptions.maxInFlight} in flight)`, `${fmt(pipelinedRate)} events/s  ${of}`);
  row("SDK batched, one batch at a time", `${fmt(serialRate)} events/s  ${of}`);
  row("raw COPY into watermark.etl_logs", `${fmt(copyRate)} events/s  ${of}`);
  row("one at a time / COPY (reference)", fmt(serialRate / copyRate, 2));

  const writesOk = [
    ratio("batched / COPY", pipelinedRate / copyRate, { atLeast: 0.5 }),
    ratio("batched / per-event", pipelinedRate / perEventRate, { atLeast: 20 }),
  ].every(Boolean);

  heading("get_etl_health_status latency (median of 30 calls over HTTP, as a viewer)");
  await stack.query("delete from watermark.etl_logs");
  await growLogs(stack, 10_000);
  const small = await latencyMs(() => viewer.call("get_etl_health_status", {}));
  row("with 10,000 log rows", `${small.toFixed(2)} ms`);
  await growLogs(stack, options.bigLogRows);
  const big = await latencyMs(() => viewer.call("get_etl_health_status", {}));
  row(`with ${options.bigLogRows.toLocaleString("en-US")} log rows`, `${big.toFixed(2)} ms`);
  const readsOk = ratio("latency ratio", big / small, { atMost: 3 });
  return writesOk && readsOk;
}
