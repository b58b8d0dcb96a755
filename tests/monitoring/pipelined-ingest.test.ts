// The SDK's pipelined log path against the real RPCs over HTTP: several batches in flight,
// stored once and in order even when the transport reorders, loses answers or is down.
// A fetch wrapper plays the unreliable network; the database and gateway are real.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WatermarkError } from "../../packages/core/src/errors/index.ts";
import { EtlLogger, RpcEventSink, type RpcEventSinkOptions } from "../../packages/core/src/monitoring/index.ts";
import { createRpcClient, createSupabaseClient, supabaseTransport } from "../../packages/core/src/rpc/index.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let execution = 0;

beforeAll(async () => {
  stack = await createTestStack("pipelined-ingest");
});
afterAll(async () => {
  await stack?.close();
});

const isLogBatch = (input: RequestInfo | URL) => String(input instanceof Request ? input.url : input).endsWith("/rpc/log_etl_events");

/** A sink and logger for a fresh execution, sending through `fetch`. */
async function writer(fetch: typeof globalThis.fetch, batching: RpcEventSinkOptions["batching"] = {}) {
  const rpc = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole, fetch });
  const executionId = await rpc.call("start_etl_execution", { execution_id: `etl_pipelined_${++execution}` });
  const sink = new RpcEventSink(rpc, {
    batching: { maxBatchSize: 25, maxInFlight: 4, maxBuffered: 1_000, ...batching },
    sleep: async () => {},
  });
  const logger = new EtlLogger({ sink, context: { executionId }, console: { level: "off" } });
  return { sink, logger, executionId };
}

/** The execution's messages in storage (log_id) order. */
const stored = async (executionId: string) =>
  (
    await stack.query<{ message: string }>("select message from watermark.etl_logs where execution_id = $1 order by log_id", [executionId])
  ).map((r) => r.message);
const messages = (n: number) => [...Array(n).keys()].map((i) => `event ${i}`);

describe("pipelined log batches", () => {
  it("are stored in order when a later batch reaches the server first", async () => {
    let held = false;
    const { sink, logger, executionId } = await writer(async (input, init) => {
      // Hold back the first batch so the next ones overtake it on the way.
      if (isLogBatch(input) && !held) {
        held = true;
        await new Promise((r) => setTimeout(r, 300));
      }
      return fetch(input, init);
    });
    for (const m of messages(200)) await logger.info(m);
    await sink.close();
    expect(await stored(executionId)).toEqual(messages(200));
  });

  it("resends a batch whose answer was lost, and the server stores it once", async () => {
    let batches = 0;
    const { sink, logger, executionId } = await writer(async (input, init) => {
      const response = await fetch(input, init);
      if (isLogBatch(input) && ++batches === 2) {
        // The server stored it; the client never hears so.
        await response.arrayBuffer();
        throw new TypeError("fetch failed", { cause: new Error("socket hang up") });
      }
      return response;
    });
    for (const m of messages(200)) await logger.info(m);
    await sink.close();
    expect(batches).toBeGreaterThan(200 / 25);
    expect(await stored(executionId)).toEqual(messages(200));
  });

  it("keeps events while the API is down and delivers them, once and in order, when it is back", async () => {
    const closedPort = await freePort();
    let down = true;
    const { sink, logger, executionId } = await writer(
      (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        return fetch(down && isLogBatch(input) ? url.replace(/:\d+\//, `:${closedPort}/`) : url, init);
      },
      { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    );
    for (const m of messages(60)) await logger.info(m);
    await expect(sink.flush()).rejects.toThrow(/fetch failed/);
    expect(sink.pending().logs.map((e) => e.message)).toEqual(messages(60));
    expect(await stored(executionId)).toEqual([]);

    down = false;
    await logger.info("event 60");
    await sink.close();
    expect(sink.pending().logs).toEqual([]);
    expect(await stored(executionId)).toEqual(messages(61));
  });
});

describe("sequenced batches: bad input is WM001 naming the field, nothing written", () => {
  const rawCall = (args: Record<string, unknown>) =>
    supabaseTransport(createSupabaseClient(stack.supabaseUrl, stack.keys.serviceRole))("log_etl_events", args, {});
  const events = [{ level: "INFO", component: "c", message: "never stored" }];
  const count = async () =>
    Number((await stack.query<{ n: string }>("select count(*) as n from watermark.etl_logs where message = 'never stored'"))[0]?.n);

  it.each([
    [{ events, stream: "w 1", first_seq: 1 }, "stream"],
    [{ events, stream: "writer-bad-0001", first_seq: 0 }, "first_seq"],
    [{ events, stream: "writer-bad-0001" }, "first_seq"],
    [{ events, first_seq: 1 }, "stream"],
    [{ events: [{ level: "INFO", component: "c" }], stream: "writer-bad-0001", first_seq: 1 }, "events[0].message"],
  ])("%j → WM001 on %s", async (args, field) => {
    await expect(rawCall(args)).rejects.toMatchObject({ code: "WM001", field });
    expect(await count()).toBe(0);
  });

  it("the client refuses a bad stream before sending, with the same field name", async () => {
    const rpc = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole });
    const err = await rpc.call("log_etl_events", { events: [], stream: "short", first_seq: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatermarkError);
    expect(err).toMatchObject({ code: "WM001", field: "stream" });
  });
});
