// The relay's side of request_fixture_answer / take_fixture_answer: what it
// sends, how it waits for pg_net, how each answer maps to the client's reading.
// The database side is pgTAP's (29-fixture-answers.sql); end to end, the
// collect function runs this path (tests/collection/trigger.test.ts, npm run bench -- backfill).
import { describe, expect, it } from "vitest";
import { fixtureAnswerRelay } from "../../src/collector/answer-relay.ts";
import { collectorRpcs } from "../../src/collector/rpcs.ts";
import { WatermarkError } from "../../src/errors/index.ts";
import { rpcClientFromTransport } from "../../src/rpc/client.ts";
import { SportmonksTimeout } from "../../src/sportmonks/errors.ts";

const batch = {
  chunk_id: "1_10",
  lease_token: "00000000-0000-4000-8000-000000000001",
  fixture_ids: [101, 102],
  checkpoint: { last_fixture_id: 102 },
  execution_id: "etl_1",
};
const request = { url: "http://api.test/v3/football/fixtures/multi/101,102", headers: { Authorization: "key" }, timeoutMs: 30_000 };
const written = {
  inserted: 2,
  updated: 0,
  unchanged: 0,
  failed: 0,
  rows_written: 2,
  checkpoint: { last_fixture_id: 102 },
  rate_limit: { resets_in_seconds: 3500, remaining: 2990, requested_entity: "Fixture" },
};

/** A database that answers each take with the next of `takes`, recording every call. */
function database(takes: unknown[]) {
  const calls: { name: string; args: Record<string, unknown> }[] = [];
  const rpc = rpcClientFromTransport(collectorRpcs, async (name, args) => {
    calls.push({ name, args });
    if (name === "request_fixture_answer") return 7;
    if (name === "take_fixture_answer") return takes.shift();
    throw new Error(`unexpected ${name}`);
  });
  return { rpc, calls };
}

describe("fixtureAnswerRelay", () => {
  it("asks for the batch with the client's URL, headers and timeout, then takes it with the batch's lease, ids and checkpoint", async () => {
    const db = database([{ written }]);
    expect(await fixtureAnswerRelay(db.rpc)(batch)(request)).toEqual({ taken: written });
    expect(db.calls).toEqual([
      {
        name: "request_fixture_answer",
        args: {
          chunk_id: "1_10",
          lease_token: batch.lease_token,
          url: request.url,
          headers: request.headers,
          timeout_milliseconds: 30_000,
        },
      },
      { name: "take_fixture_answer", args: { request_id: 7, ...batch, wait_milliseconds: 5_000 } },
    ]);
  });

  it("keeps taking while pg_net has not answered", async () => {
    const db = database([{ pending: true }, { pending: true }, { written }]);
    expect(await fixtureAnswerRelay(db.rpc)(batch)(request)).toEqual({ taken: written });
    expect(db.calls.map((c) => c.name)).toEqual(["request_fixture_answer", ...Array(3).fill("take_fixture_answer")]);
  });

  it("gives up with a timeout naming pg_net's worker once the answer is overdue", async () => {
    let now = 0;
    const db = database(Array(10).fill({ pending: true }));
    const relay = fixtureAnswerRelay(db.rpc, () => {
      now += 20_000;
      return now;
    })(batch);
    const error = await relay({ ...request, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SportmonksTimeout);
    expect((error as Error).message).toMatch(/pg_net has not answered request 7 within 25000 ms; check that its background worker runs/);
  });

  it("maps every other answer for the client to read", async () => {
    const answers = [
      { status: 429, retry_after: "30", body: '{"message": "Too Many Attempts."}' },
      { status: 503, retry_after: null, body: null },
      { status: 200, malformed: true, bytes: 10 },
      { failed: true, timed_out: true, error: "Timeout of 30000 ms reached" },
    ];
    const db = database([...answers]);
    const relay = fixtureAnswerRelay(db.rpc)(batch);
    const read = [];
    for (const _ of answers) read.push(await relay(request));
    expect(read).toEqual([
      { status: 429, retryAfter: "30", body: '{"message": "Too Many Attempts."}' },
      { status: 503, retryAfter: null, body: "" },
      { malformed: true, bytes: 10 },
      { failed: true, timedOut: true, error: "Timeout of 30000 ms reached" },
    ]);
  });

  it("throws the database's refusal as its error: WM001 naming the field, WM004 a lost lease", async () => {
    const db = database([
      { refused: { code: "WM001", message: "response.data[0].id: fixture 999 was not asked for", details: null, hint: null } },
      { refused: { code: "WM004", message: "lease lost", details: null, hint: "claim the chunk again" } },
    ]);
    const relay = fixtureAnswerRelay(db.rpc)(batch);
    const invalid = await relay(request).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(WatermarkError);
    expect(invalid).toMatchObject({
      code: "WM001",
      kind: "invalid_parameter",
      message: "response.data[0].id: fixture 999 was not asked for",
    });
    expect(await relay(request).catch((e: unknown) => e)).toMatchObject({
      code: "WM004",
      kind: "lease_lost",
      hint: "claim the chunk again",
    });
  });

  it("keeps the timeout within pg_net's bounds", async () => {
    const db = database([{ written }, { written }]);
    const relay = fixtureAnswerRelay(db.rpc)(batch);
    await relay({ ...request, timeoutMs: 10 });
    await relay({ ...request, timeoutMs: 10_000_000 });
    expect(db.calls.filter((c) => c.name === "request_fixture_answer").map((c) => c.args.timeout_milliseconds)).toEqual([1_000, 300_000]);
  });

  it("refuses a result the database should not give", async () => {
    const db = database([{ written: { inserted: "two" } }]);
    await expect(fixtureAnswerRelay(db.rpc)(batch)(request)).rejects.toThrow(/take_fixture_answer returned an unexpected result/);
  });
});
