// Retries, backoff, timeouts, 429s and the per-entity budget. The clock and
// sleep are injected: waits are recorded and advance the clock, never slept.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  InMemoryRateLimitStore,
  SportmonksClient,
  type SportmonksClientOptions,
  SportmonksMalformedResponse,
  SportmonksNetworkError,
  SportmonksRateLimited,
  type SportmonksRequestEvent,
  SportmonksServerError,
  SportmonksTimeout,
  type SportmonksWaitEvent,
} from "../../src/sportmonks/index.ts";
import { envelope, type FakeSportmonks, fixture, rateLimit, type ScriptedResponse, startFakeSportmonks } from "./fake-sportmonks.ts";

let server: FakeSportmonks;
beforeAll(async () => {
  server = await startFakeSportmonks();
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
  server.handle(() => ({ body: envelope([]) }));
});

const START = Date.parse("2026-11-22T12:00:00Z");

function harness(options: Partial<SportmonksClientOptions> = {}) {
  let now = START;
  const sleeps: number[] = [];
  const requests: SportmonksRequestEvent[] = [];
  const waits: SportmonksWaitEvent[] = [];
  const client = new SportmonksClient({
    apiKey: "test-key",
    baseUrl: server.url,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
    onRequest: (event) => requests.push(event),
    onWait: (event) => waits.push(event),
    ...options,
  });
  return { client, sleeps, requests, waits, advance: (ms: number) => (now += ms) };
}

/** Answers from a list, one per request; the last one repeats. */
function script(...responses: ScriptedResponse[]) {
  server.handle((_, index) => responses[Math.min(index, responses.length - 1)] ?? {});
}

describe("retries", () => {
  it("retries 5xx with exponential full-jitter backoff, then succeeds", async () => {
    script({ status: 500, body: { message: "boom" } }, { status: 503, body: "<html>busy</html>" }, { body: envelope([fixture(1)]) });
    const { client, sleeps, requests, waits } = harness({ baseDelayMs: 1000, maxDelayMs: 30_000 });
    expect((await client.fixturesByIds([1])).map((f) => f.id)).toEqual([1]);
    // random() = 0.5 → half of 1000·2^0, then half of 1000·2^1.
    expect(sleeps).toEqual([500, 1000]);
    expect(waits.map((w) => w.reason)).toEqual(["backoff", "backoff"]);
    expect(requests.map((r) => [r.attempt, r.status, r.error])).toEqual([
      [1, 500, "server"],
      [2, 503, "server"],
      [3, 200, null],
    ]);
    expect(requests[2]).toMatchObject({ endpoint: "fixtures/multi/{ids}", entity: "Fixture", rateLimitRemaining: 2999 });
  });

  it("caps the backoff and gives up after maxRetries", async () => {
    script({ status: 502, body: { message: "bad gateway" } });
    const { client, sleeps } = harness({ maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 3000 });
    const error = await client.fixturesByIds([1]).catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksServerError);
    expect(error.status).toBe(502);
    expect(server.requests).toHaveLength(5);
    expect(sleeps).toEqual([500, 1000, 1500, 1500]);
  });

  it("retries malformed JSON and fails typed when it stays malformed", async () => {
    const truncated = JSON.stringify(envelope([fixture(1)])).slice(0, 40);
    script({ body: truncated }, { body: envelope([fixture(1)]) });
    expect(await harness().client.fixturesByIds([1])).toHaveLength(1);
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    script({ body: truncated });
    const error = await harness({ maxRetries: 2 })
      .client.fixturesByIds([1])
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksMalformedResponse);
    expect(error.message).toMatch(/^fixtures\/multi\/\{ids\}: body is not JSON \(40 bytes\)$/);
    expect(server.requests).toHaveLength(3);
  });

  it("times out a hanging request and retries it", async () => {
    script({ hang: true }, { body: envelope([fixture(1)]) });
    expect(await harness({ timeoutMs: 100 }).client.fixturesByIds([1])).toHaveLength(1);

    server.requests.length = 0;
    script({ hang: true });
    const { client, requests } = harness({ timeoutMs: 100, maxRetries: 1 });
    const error = await client.fixturesByIds([1]).catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksTimeout);
    expect(error.message).toBe("fixtures/multi/{ids}: no complete response within 100 ms");
    expect(server.requests).toHaveLength(2);
    expect(requests.map((r) => [r.status, r.error])).toEqual([
      [null, "timeout"],
      [null, "timeout"],
    ]);
  });

  it("retries network errors", async () => {
    const { client, requests } = harness({ baseUrl: "http://127.0.0.1:9/v3/football", maxRetries: 2 });
    const error = await client
      .leagues()
      .toArray()
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksNetworkError);
    expect(requests.map((r) => r.error)).toEqual(["network", "network", "network"]);
  });

  it("a throwing metrics hook does not fail the request", async () => {
    script({ body: envelope([fixture(1)]) });
    const { client } = harness({
      onRequest: () => {
        throw new Error("metrics down");
      },
    });
    expect(await client.fixturesByIds([1])).toHaveLength(1);
  });
});

describe("429", () => {
  it("waits Retry-After, then retries", async () => {
    script({ status: 429, headers: { "retry-after": "7" }, body: { message: "Too Many Attempts." } }, { body: envelope([fixture(1)]) });
    const { client, sleeps, waits } = harness();
    expect(await client.fixturesByIds([1])).toHaveLength(1);
    expect(sleeps).toEqual([7000]);
    expect(waits).toEqual([
      {
        endpoint: "fixtures/multi/{ids}",
        entity: "Fixture",
        waitMs: 7000,
        reason: "rate_limited",
        attempt: 1,
        error: "rate_limited",
        status: 429,
      },
    ]);
  });

  it("takes a 429 whose rate_limit shows budget left as transient: retried, the budget neither spent nor saved", async () => {
    const spurious = {
      status: 429,
      headers: { "retry-after": "1" },
      body: { message: "Too Many Attempts.", code: 5005, rate_limit: rateLimit(2500, 1) },
    };
    script(spurious, spurious, { body: envelope([fixture(1)]) });
    const store = new InMemoryRateLimitStore();
    const { client, sleeps } = harness({ rateLimitStore: store });
    expect(await client.fixturesByIds([1])).toHaveLength(1);
    expect(sleeps).toEqual([1000, 1000]);
    // Only the good answer's numbers are kept.
    expect(await store.load("Fixture")).toEqual({ remaining: 2999, resetsAt: new Date(START + 2000 + 3_600_000) });

    // When the retries run out it throws a transient error, and still saves nothing.
    script(spurious);
    const fresh = new InMemoryRateLimitStore();
    const error = await harness({ rateLimitStore: fresh, maxRetries: 2 })
      .client.fixturesByIds([1])
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksRateLimited);
    expect(error).toMatchObject({ transient: true, entity: "Fixture" });
    expect(await fresh.load("Fixture")).toBeNull();
  });

  it("prefers Retry-After over the body, and falls back to resets_in_seconds", async () => {
    script(
      { status: 429, headers: { "retry-after": "3" }, body: { message: "slow down", rate_limit: rateLimit(0, 50) } },
      { status: 429, body: { message: "slow down", rate_limit: rateLimit(0, 12) } },
      { body: envelope([fixture(1)]) },
    );
    const { client, sleeps } = harness();
    expect(await client.fixturesByIds([1])).toHaveLength(1);
    expect(sleeps).toEqual([3000, 12_000]);
  });

  it("does not sleep through a far reset: it throws with the entity and reset time", async () => {
    script({ status: 429, body: { message: "slow down", rate_limit: rateLimit(0, 1200, "Fixture") } });
    const store = new InMemoryRateLimitStore();
    const { client, sleeps } = harness({ maxRateLimitWaitMs: 60_000, rateLimitStore: store });
    const error = await client.fixturesByIds([1]).catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksRateLimited);
    expect(error).toMatchObject({ entity: "Fixture", resetsAt: new Date(START + 1_200_000), status: 429 });
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
    // The reset time is persisted for the next run.
    expect(await store.load("Fixture")).toEqual({ remaining: 0, resetsAt: new Date(START + 1_200_000) });
  });
});

describe("per-entity budget", () => {
  it("pauses for the reset when the entity reaches its reserve instead of collecting 429s", async () => {
    let remaining = 13;
    server.handle(() => {
      remaining -= 1;
      return { body: envelope([fixture(1)], { rate_limit: rateLimit(remaining, 30) }) };
    });
    const { client, sleeps, waits, requests } = harness({ rateLimitReserve: 10 });
    for (let i = 0; i < 4; i++) await client.fixturesByIds([1]);
    // Responses said 12, 11, 10 left: the 4th request waits the 30 s to the reset first.
    expect(requests.map((r) => r.rateLimitRemaining)).toEqual([12, 11, 10, 9]);
    expect(sleeps).toEqual([30_000]);
    expect(waits).toEqual([{ endpoint: "fixtures/multi/{ids}", entity: "Fixture", waitMs: 30_000, reason: "budget_reserve", attempt: 1 }]);
    expect(requests.every((r) => r.status === 200)).toBe(true);
  });

  it("keeps budgets per entity", async () => {
    server.handle((request) =>
      request.path.endsWith("/leagues")
        ? { body: envelope([{ id: 1, name: "L" }], { rate_limit: rateLimit(5, 100, "League") }) }
        : { body: envelope([fixture(1)], { rate_limit: rateLimit(500, 100, "Fixture") }) },
    );
    const { client, sleeps } = harness({ rateLimitReserve: 10, maxRateLimitWaitMs: 200_000 });
    await client.leagues().toArray();
    await client.fixturesByIds([1]);
    await client.fixturesByIds([1]);
    expect(sleeps).toEqual([]);
    await client.leagues().toArray();
    expect(sleeps).toEqual([100_000]);
  });

  it("starts from the stored state: a throttled entity is refused before any request", async () => {
    const store = new InMemoryRateLimitStore();
    await store.save("Fixture", { remaining: 0, resetsAt: new Date(START + 45 * 60_000) });
    const { client } = harness({ rateLimitStore: store, maxRateLimitWaitMs: 60_000 });
    const error = await client.fixturesByIds([1]).catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksRateLimited);
    expect(error.message).toBe(
      "fixtures/multi/{ids}: entity Fixture is down to its reserve of 10 requests until 2026-11-22T12:45:00.000Z; resume after the reset",
    );
    expect(error.resetsAt).toEqual(new Date(START + 45 * 60_000));
    expect(server.requests).toHaveLength(0);
  });

  it("ignores stored state whose reset has passed, and saves what responses say", async () => {
    const store = new InMemoryRateLimitStore();
    await store.save("Fixture", { remaining: 0, resetsAt: new Date(START - 1000) });
    server.handle(() => ({ body: envelope([fixture(1)], { rate_limit: rateLimit(2999, 3600) }) }));
    await harness({ rateLimitStore: store }).client.fixturesByIds([1]);
    expect(server.requests).toHaveLength(1);
    expect(await store.load("Fixture")).toEqual({ remaining: 2999, resetsAt: new Date(START + 3_600_000) });
  });
});

describe("the API key stays secret", () => {
  const key = "sk-live-SECRET-0123456789";

  it.each([
    ["401", { status: 401, body: { message: `Invalid token ${key}` } }],
    ["500", { status: 500, body: { message: `failed for ${key}` } }],
    ["403", { status: 403, body: { message: `not in your plan, ${key}` } }],
    ["include", { status: 403, body: { message: `include denied for ${key}`, code: 5002 } }],
    ["429", { status: 429, body: { message: `slow down ${key}` } }],
  ])("is not in the error text (%s)", async (_, response) => {
    server.handle(() => response);
    const events: unknown[] = [];
    const client = new SportmonksClient({
      apiKey: key,
      baseUrl: server.url,
      maxRetries: 1,
      sleep: async () => {},
      onRequest: (e) => events.push(e),
      onWait: (e) => events.push(e),
    });
    const error = await client.seasonSchedule(1).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain("[redacted]");
    const visible = [error.message, String(error), error.stack, JSON.stringify(error), JSON.stringify(events)].join("\n");
    expect(visible).not.toContain(key);
    expect(server.requests[0]?.authorization).toBe(key);
  });
});
