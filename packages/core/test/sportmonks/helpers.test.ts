// The small pure pieces: backoff, Retry-After, next-page params, the in-memory limiter, include names in rejections.
import { describe, expect, it } from "vitest";
import { rejectedInclude } from "../../src/sportmonks/include-errors.ts";
import { backoffDelayMs, InMemoryRateLimitStore, nextPageParams, parseRetryAfterMs, RateLimiter } from "../../src/sportmonks/index.ts";

describe("backoffDelayMs", () => {
  it("draws uniformly below an exponential ceiling that stops at the cap", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, 100, 1000, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, 100, 1000, () => 0)).toBe(0);
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2026-11-22T12:00:00Z");
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfterMs("30", now)).toBe(30_000);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 12:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs(null, now)).toBeNull();
    expect(parseRetryAfterMs("soon", now)).toBeNull();
  });
});

describe("nextPageParams", () => {
  const base = { count: 50, per_page: 50, current_page: 2 };
  it("takes page or cursor from next_page, falls back to next_cursor or current_page + 1", () => {
    expect(nextPageParams({ ...base, has_more: true, next_page: "https://elsewhere.invalid/x?page=3&api_token=zzz" })?.toString()).toBe(
      "page=3",
    );
    expect(nextPageParams({ ...base, has_more: true, next_page: "/x?cursor=c1" })?.toString()).toBe("cursor=c1");
    expect(nextPageParams({ ...base, has_more: true, next_cursor: "c2" })?.toString()).toBe("cursor=c2");
    expect(nextPageParams({ ...base, has_more: true, next_page: null })?.toString()).toBe("page=3");
    expect(nextPageParams({ ...base, has_more: false, next_page: "/x?page=3" })).toBeNull();
    expect(nextPageParams(undefined)).toBeNull();
  });
});

describe("RateLimiter", () => {
  it("counts requests against the budget between responses and forgets it after the reset", async () => {
    let now = 0;
    const limiter = new RateLimiter({ store: new InMemoryRateLimitStore(), reserve: 1, now: () => now });
    expect(await limiter.acquire("Fixture")).toEqual({ waitMs: 0, resetsAt: null });
    await limiter.record({ requested_entity: "Fixture", remaining: 3, resets_in_seconds: 10 });
    expect((await limiter.acquire("Fixture")).waitMs).toBe(0); // 3 → 2
    expect((await limiter.acquire("Fixture")).waitMs).toBe(0); // 2 → 1
    expect(await limiter.acquire("Fixture")).toEqual({ waitMs: 10_000, resetsAt: new Date(10_000) });
    now = 4_000;
    expect((await limiter.acquire("Fixture")).waitMs).toBe(6_000);
    now = 10_000;
    expect(await limiter.acquire("Fixture")).toEqual({ waitMs: 0, resetsAt: null });
    expect((await limiter.acquire("League")).waitMs).toBe(0);
  });
});

describe("rejectedInclude", () => {
  const requested = ["events", "lineups", "lineups.player", "weatherReport"];
  it("finds the requested include the message names, in the request's spelling", () => {
    expect(rejectedInclude("The requested include 'lineups.player' is not allowed.", requested)).toBe("lineups.player");
    expect(rejectedInclude("No access to include lineups.", requested)).toBe("lineups");
    expect(rejectedInclude('Include "weatherreport" is not available.', requested)).toBe("weatherReport");
  });
  it("does not take a prefix of a longer name, and falls back to the only include requested", () => {
    expect(rejectedInclude("Include lineups.player.country is too deep.", ["events", "lineups"])).toBeNull();
    expect(rejectedInclude("Insufficient includes.", requested)).toBeNull();
    expect(rejectedInclude("Insufficient includes.", ["odds"])).toBe("odds");
    expect(rejectedInclude(undefined, [])).toBeNull();
  });
});
