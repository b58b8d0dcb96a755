// Endpoints, parsing, pagination, argument guards and the mapping of v3 error
// bodies to typed errors, against a scripted local server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  FIXTURE_INCLUDES,
  type Relay,
  type RelayedRequest,
  SportmonksAuthError,
  SportmonksClient,
  type SportmonksClientOptions,
  SportmonksIncludeError,
  SportmonksInvalidArgument,
  SportmonksMalformedResponse,
  SportmonksNotFound,
  SportmonksPlanError,
  SportmonksRateLimited,
  SportmonksRequestError,
  type SportmonksWaitEvent,
} from "../../src/sportmonks/index.ts";
import { envelope, type FakeSportmonks, fixture, miss, rateLimit, startFakeSportmonks } from "./fake-sportmonks.ts";

let server: FakeSportmonks;
beforeAll(async () => {
  server = await startFakeSportmonks();
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
  server.handle(() => ({ body: envelope([]) }));
});

const noWait = async () => {};
function client(options: Partial<SportmonksClientOptions> = {}): SportmonksClient {
  return new SportmonksClient({ apiKey: "test-key", baseUrl: server.url, sleep: noWait, ...options });
}

describe("requests", () => {
  it("sends the key in the Authorization header, never in the query", async () => {
    await client().leagues().toArray();
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.authorization).toBe("test-key");
    expect(request?.path).toBe("/v3/football/leagues");
    expect(request?.query.get("api_token")).toBeNull();
    expect(request?.query.get("per_page")).toBe("50");
  });

  it("joins includes with semicolons and ids with commas", async () => {
    server.handle(() => ({ body: envelope([fixture(1), fixture(2)]) }));
    const fixtures = await client().fixturesByIds([1, 2, 2], { include: FIXTURE_INCLUDES });
    expect(fixtures.map((f) => f.id)).toEqual([1, 2]);
    const [request] = server.requests;
    expect(request?.path).toBe("/v3/football/fixtures/multi/1,2");
    expect(request?.query.get("include")).toBe("events;lineups;lineups.details;statistics;participants;scores");
  });

  it("filters seasons by league", async () => {
    server.handle(() => ({ body: envelope([{ id: 19735, league_id: 501, name: "2022/2023", is_current: true }]) }));
    const seasons = await client().seasons({ leagueId: 501 }).toArray();
    expect(seasons).toEqual([expect.objectContaining({ id: 19735, league_id: 501, name: "2022/2023" })]);
    expect(server.requests[0]?.query.get("filters")).toBe("seasonLeagues:501");
  });

  it("reads only newer catalog records with idAfter, and big pages without includes with populate", async () => {
    const c = client();
    await c.leagues({ idAfter: 1659 }).toArray();
    await c.leagues({ populate: true }).toArray();
    await c.leagues({ populate: true, idAfter: 1659, perPage: 200 }).toArray();
    await c.seasons({ idAfter: 23614 }).toArray();
    await c.seasons({ populate: true, idAfter: 23614, leagueId: 501 }).toArray();
    await c.seasons({ populate: false, leagueId: 501 }).toArray();
    // One `filters` parameter: static and dynamic filters chain with `;`.
    expect(server.requests.map((r) => [r.path, r.query.get("filters"), r.query.get("per_page"), r.query.getAll("filters").length])).toEqual(
      [
        ["/v3/football/leagues", "idAfter:1659", "50", 1],
        ["/v3/football/leagues", "populate", "1000", 1],
        ["/v3/football/leagues", "populate;idAfter:1659", "200", 1],
        ["/v3/football/seasons", "idAfter:23614", "50", 1],
        ["/v3/football/seasons", "populate;idAfter:23614;seasonLeagues:501", "1000", 1],
        ["/v3/football/seasons", "seasonLeagues:501", "50", 1],
      ],
    );
    expect(server.requests.every((r) => r.query.get("include") === null)).toBe(true);
  });

  it("keeps idAfter and populate on every page", async () => {
    server.handle((request) => {
      const n = Number(request.query.get("page") ?? "1");
      return {
        body: envelope([{ id: 1000 + n, league_id: 501, name: `S${n}` }], {
          pagination: {
            count: 1,
            per_page: 1000,
            current_page: n,
            next_page: n < 2 ? `/v3/football/seasons?page=${n + 1}` : null,
            has_more: n < 2,
          },
        }),
      };
    });
    const seasons = await client().seasons({ populate: true, idAfter: 1000 }).toArray();
    expect(seasons.map((s) => s.id)).toEqual([1001, 1002]);
    expect(server.requests.map((r) => [r.query.get("page"), r.query.get("filters"), r.query.get("per_page")])).toEqual([
      [null, "populate;idAfter:1000", "1000"],
      ["2", "populate;idAfter:1000", "1000"],
    ]);
  });

  it("asks fixtures/latest with includes", async () => {
    server.handle(() => ({ body: envelope([fixture(7, { state_id: 1, result_info: null })]) }));
    const latest = await client().latestFixtures({ include: ["scores"] });
    expect(latest.map((f) => [f.id, f.state_id, f.result_info])).toEqual([[7, 1, null]]);
    expect(server.requests[0]?.path).toBe("/v3/football/fixtures/latest");
    expect(server.requests[0]?.query.get("include")).toBe("scores");
  });
});

describe("parsing", () => {
  it("types the fixture fields and keeps includes and unknown fields as JSON", async () => {
    const events = [{ id: 1, type_id: 14, minute: 23, player_name: "A. Player" }];
    server.handle(() => ({ body: envelope([fixture(18537988, { events, scores: [], weather_report: { temp: 12 } })]) }));
    const [parsed] = await client().fixturesByIds([18537988], { include: ["events", "scores"] });
    expect(parsed?.league_id).toBe(501);
    expect(parsed?.starting_at).toBe("2023-03-04 15:00:00");
    expect(parsed?.events).toEqual(events);
    expect(parsed?.scores).toEqual([]);
    expect(parsed?.lineups).toBeUndefined();
    expect((parsed as Record<string, unknown>).weather_report).toEqual({ temp: 12 });
  });

  it("reads a schedule as stages → rounds → fixtures, including round-less stages", async () => {
    server.handle(() => ({
      body: envelope([
        {
          id: 77457866,
          season_id: 19735,
          name: "Regular Season",
          rounds: [
            { id: 1, stage_id: 77457866, name: "1", fixtures: [{ id: 10, state_id: 5 }, { id: 11 }] },
            { id: 2, stage_id: 77457866, name: "2", fixtures: [{ id: 12 }] },
          ],
        },
        { id: 77457867, season_id: 19735, name: "Final", fixtures: [{ id: 13 }] },
      ]),
    }));
    const stages = await client().seasonSchedule(19735);
    expect(server.requests[0]?.path).toBe("/v3/football/schedules/seasons/19735");
    expect(stages.map((s) => s.rounds.length)).toEqual([2, 0]);
    expect(stages.flatMap((s) => [...s.rounds.flatMap((r) => r.fixtures), ...s.fixtures]).map((f) => f.id)).toEqual([10, 11, 12, 13]);
  });

  it("rejects data that does not match the schema as malformed", async () => {
    server.handle(() => ({ body: envelope([fixture(1, { league_id: "501" })]) }));
    const error = await client({ maxRetries: 0 })
      .fixturesByIds([1])
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksMalformedResponse);
    expect(error.message).toContain("data.0.league_id");
  });

  it("rejects an envelope whose rate_limit is broken as malformed", async () => {
    server.handle(() => ({ body: envelope([], { rate_limit: { remaining: "many" } }) }));
    const error = await client({ maxRetries: 0 })
      .leagues()
      .toArray()
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksMalformedResponse);
    expect(error.message).toContain("rate_limit");
  });
});

describe("pagination", () => {
  const page = (n: number, hasMore: boolean, nextPage: string | null) =>
    envelope([fixture(n * 100 + 1), fixture(n * 100 + 2)], {
      pagination: { count: 2, per_page: 2, current_page: n, next_page: nextPage, has_more: hasMore },
    });

  it("follows next_page until has_more is false, keeping per_page and includes", async () => {
    server.handle((request) => {
      const n = Number(request.query.get("page") ?? "1");
      return {
        body: page(n, n < 3, n < 3 ? `https://api.sportmonks.com/v3/football/fixtures/between/2023-03-01/2023-03-31?page=${n + 1}` : null),
      };
    });
    const pages = [];
    for await (const p of client()
      .fixturesBetween("2023-03-01", "2023-03-31", { include: ["scores"], perPage: 2 })
      .pages())
      pages.push(p);
    expect(pages.map((p) => p.items.map((f) => f.id))).toEqual([
      [101, 102],
      [201, 202],
      [301, 302],
    ]);
    expect(pages.map((p) => p.pagination?.current_page)).toEqual([1, 2, 3]);
    // Every page went to our server (not the host named in next_page) with the same options.
    expect(server.requests.map((r) => [r.path, r.query.get("page"), r.query.get("per_page"), r.query.get("include")])).toEqual([
      ["/v3/football/fixtures/between/2023-03-01/2023-03-31", null, "2", "scores"],
      ["/v3/football/fixtures/between/2023-03-01/2023-03-31", "2", "2", "scores"],
      ["/v3/football/fixtures/between/2023-03-01/2023-03-31", "3", "2", "scores"],
    ]);
  });

  it("iterates items lazily: stopping early stops requesting", async () => {
    server.handle((request) => {
      const n = Number(request.query.get("page") ?? "1");
      return { body: page(n, true, `/v3/football/leagues?page=${n + 1}`) };
    });
    const seen: number[] = [];
    for await (const f of client().fixturesBetween("2023-03-01", "2023-03-02")) {
      seen.push(f.id);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([101, 102, 201]);
    expect(server.requests).toHaveLength(2);
  });

  it("uses next_cursor when the API paginates by cursor", async () => {
    server.handle((request) =>
      request.query.get("cursor") === "abc"
        ? {
            body: envelope([{ id: 2, name: "B" }], {
              pagination: { count: 1, per_page: 1, current_page: 1, next_cursor: null, has_more: false },
            }),
          }
        : {
            body: envelope([{ id: 1, name: "A" }], {
              pagination: { count: 1, per_page: 1, current_page: 1, next_cursor: "abc", has_more: true },
            }),
          },
    );
    const leagues = await client().leagues({ perPage: 1 }).toArray();
    expect(leagues.map((l) => l.name)).toEqual(["A", "B"]);
  });

  it("refuses a pagination loop", async () => {
    server.handle(() => ({ body: page(1, true, "/v3/football/leagues?page=1") }));
    const error = await client({ maxRetries: 0 })
      .fixturesBetween("2023-03-01", "2023-03-02")
      .toArray()
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksMalformedResponse);
    expect(server.requests.length).toBeLessThanOrEqual(3);
  });

  it("treats a miss as an empty list", async () => {
    server.handle(() => ({ body: miss() }));
    expect(await client().fixturesBetween("2023-03-01", "2023-03-02").toArray()).toEqual([]);
    expect(await client().fixturesByIds([404])).toEqual([]);
  });
});

describe("fixtures/multi piped (the collector's write path)", () => {
  const text = (body: ReadableStream<Uint8Array>) => new Response(body).text();

  it("hands a 200 body to the sink byte for byte, unread, even one no schema would accept", async () => {
    const body = '{"data":[{"id":1,"state_id":"not a number"}],"rate_limit":{"remaining":"?"}}';
    server.handle(() => ({ body }));
    expect(await client().fixturesByIdsPiped([1, 1], { include: FIXTURE_INCLUDES }, text)).toBe(body);
    expect(server.requests[0]?.path).toBe("/v3/football/fixtures/multi/1");
    expect(server.requests[0]?.query.get("include")).toBe("events;lineups;lineups.details;statistics;participants;scores");
  });

  it("reads any other answer as fixturesByIds does: typed errors, retries", async () => {
    server.handle(() => ({ status: 403, body: { message: "Insufficient includes.", code: 5002 } }));
    const include = await client()
      .fixturesByIdsPiped([1], { include: ["events"] }, text)
      .catch((e: unknown) => e);
    expect(include).toBeInstanceOf(SportmonksIncludeError);
    server.handle((_, i) => (i < 2 ? { status: 503, body: { message: "busy" } } : { body: envelope([fixture(1)]) }));
    server.requests.length = 0;
    const body = await client().fixturesByIdsPiped([1], {}, text);
    expect(server.requests).toHaveLength(3);
    expect(JSON.parse(body).data[0].id).toBe(1);
  });

  it("fetches again when the sink says the body broke off, and throws the sink's own errors untouched", async () => {
    server.handle(() => ({ body: envelope([fixture(1)]) }));
    let calls = 0;
    const flaky = async (body: ReadableStream<Uint8Array>) => {
      await text(body);
      if (++calls === 1) throw new SportmonksMalformedResponse("cut off", { endpoint: "x", status: 200 });
      return "stored";
    };
    expect(await client().fixturesByIdsPiped([1], {}, flaky)).toBe("stored");
    expect(server.requests).toHaveLength(2);
    const refused = new Error("the database said no");
    server.requests.length = 0;
    await expect(
      client().fixturesByIdsPiped([1], {}, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(server.requests).toHaveLength(1);
  });

  it("takes the answer's rate_limit back through recordRateLimit and pauses at the reserve", async () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const waits: number[] = [];
    const c = client({ now: () => now, rateLimitReserve: 10, onWait: (e) => waits.push(e.waitMs) });
    await c.recordRateLimit({ remaining: 10, resets_in_seconds: 30, requested_entity: "Fixture" });
    server.handle(() => ({ body: envelope([fixture(1)]) }));
    await c.fixturesByIdsPiped([1], {}, text);
    expect(waits).toEqual([30_000]);
    await expect(c.recordRateLimit({ remaining: 1, resets_in_seconds: -1, requested_entity: "Fixture" })).rejects.toBeInstanceOf(
      SportmonksInvalidArgument,
    );
  });

  it("keeps a rate_limit the database already saved without saving it again, and learns the schedule's entity", async () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const writes: string[] = [];
    const store = {
      load: async () => null,
      save: async (entity: string) => void writes.push(`save ${entity}`),
      saved: async (entity: string) => void writes.push(`saved ${entity}`),
    };
    const waits: SportmonksWaitEvent[] = [];
    const c = client({ now: () => now, rateLimitStore: store, rateLimitReserve: 10, onWait: (e) => waits.push(e) });
    await c.recordRateLimit({ remaining: 10, resets_in_seconds: 30, requested_entity: "Fixture" }, { saved: true });
    await c.recordRateLimit(
      { remaining: 10, resets_in_seconds: 20, requested_entity: "Season Schedule" },
      { from: "schedule", saved: true },
    );
    await c.recordRateLimit({ remaining: 50, resets_in_seconds: 30, requested_entity: "Other" });
    expect(writes).toEqual(["saved Fixture", "saved Season Schedule", "save Other"]);
    // The schedule's read waits on the entity its piped answer named.
    server.handle(() => ({ body: envelope([]) }));
    await c.seasonSchedulePiped(1, text);
    expect(server.requests[0]?.path).toBe("/v3/football/schedules/seasons/1");
    expect(waits).toMatchObject([{ entity: "Season Schedule", waitMs: 20_000 }]);
  });

  it("refuses an empty batch and more than 50 ids before any request", async () => {
    await expect(client().fixturesByIdsPiped([], {}, text)).rejects.toBeInstanceOf(SportmonksInvalidArgument);
    await expect(
      client().fixturesByIdsPiped(
        Array.from({ length: 51 }, (_, i) => i + 1),
        {},
        text,
      ),
    ).rejects.toBeInstanceOf(SportmonksInvalidArgument);
    expect(server.requests).toHaveLength(0);
  });
});

describe("fixtures/multi relayed (the database fetches through pg_net)", () => {
  /** A relay that does what pg_net does: the GET as asked; a 200 is "taken" by its store, anything else comes back. */
  function httpRelay(store: (body: string) => Promise<string> = async (body) => `stored ${body.length} bytes`): {
    relay: Relay<string>;
    asked: RelayedRequest[];
  } {
    const asked: RelayedRequest[] = [];
    const relay: Relay<string> = async (request) => {
      asked.push(request);
      const response = await fetch(request.url, { headers: request.headers });
      const body = await response.text();
      if (response.status !== 200) return { status: response.status, body, retryAfter: response.headers.get("retry-after") };
      try {
        JSON.parse(body);
      } catch {
        return { malformed: true, bytes: body.length };
      }
      return { taken: await store(body) };
    };
    return { relay, asked };
  }

  it("hands the relay the URL, the key and the timeout, and returns what it made of a 200", async () => {
    server.handle(() => ({ body: envelope([fixture(1)]) }));
    const { relay, asked } = httpRelay();
    expect(await client({ timeoutMs: 12_000 }).fixturesByIdsRelayed([1, 1], { include: FIXTURE_INCLUDES }, relay)).toMatch(
      /^stored \d+ bytes$/,
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]?.headers).toEqual({ Authorization: "test-key", Accept: "application/json" });
    expect(asked[0]?.timeoutMs).toBe(12_000);
    expect(server.requests[0]?.path).toBe("/v3/football/fixtures/multi/1");
    expect(server.requests[0]?.query.get("include")).toBe("events;lineups;lineups.details;statistics;participants;scores");
    expect(server.requests[0]?.authorization).toBe("test-key");
  });

  it("reads any other answer as fixturesByIds does: typed errors, retries", async () => {
    server.handle(() => ({ status: 403, body: { message: "Insufficient includes.", code: 5002 } }));
    const include = await client()
      .fixturesByIdsRelayed([1], { include: ["events"] }, httpRelay().relay)
      .catch((e: unknown) => e);
    expect(include).toBeInstanceOf(SportmonksIncludeError);
    server.handle((_, i) => (i < 2 ? { status: 503, body: { message: "busy" } } : { body: envelope([fixture(1)]) }));
    server.requests.length = 0;
    expect(await client().fixturesByIdsRelayed([1], {}, httpRelay().relay)).toMatch(/^stored/);
    expect(server.requests).toHaveLength(3);
  });

  it("fetches again after a malformed 200 or no answer, and throws the relay's own errors untouched", async () => {
    let calls = 0;
    const flaky: Relay<string> = async () => {
      calls++;
      if (calls === 1) return { malformed: true, bytes: 10 };
      if (calls === 2) return { failed: true, timedOut: true, error: "Timeout of 30000 ms reached" };
      if (calls === 3) return { failed: true, timedOut: false, error: "Couldn't connect to server" };
      return { taken: "stored" };
    };
    const retries: SportmonksWaitEvent[] = [];
    expect(await client({ onWait: (e) => retries.push(e) }).fixturesByIdsRelayed([1], {}, flaky)).toBe("stored");
    expect(retries.map((r) => r.error)).toEqual(["malformed", "timeout", "network"]);
    const refused = new Error("the database said no");
    calls = 0;
    await expect(
      client().fixturesByIdsRelayed([1], {}, async () => {
        calls++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
    await expect(client({ maxRetries: 0 }).fixturesByIdsRelayed([1], {}, async () => ({ malformed: true, bytes: 10 }))).rejects.toThrow(
      "fixtures/multi/{ids}: body is not JSON (10 bytes)",
    );
  });

  it("waits out a 429 by its Retry-After before asking the relay again", async () => {
    server.handle((_, i) =>
      i === 0
        ? { status: 429, headers: { "retry-after": "2" }, body: { message: "Too Many Attempts." } }
        : { body: envelope([fixture(1)]) },
    );
    const waits: SportmonksWaitEvent[] = [];
    expect(await client({ onWait: (e) => waits.push(e) }).fixturesByIdsRelayed([1], {}, httpRelay().relay)).toMatch(/^stored/);
    expect(waits[0]).toMatchObject({ reason: "rate_limited", status: 429 });
    expect(waits[0]?.waitMs).toBeGreaterThan(1_900);
  });

  it("refuses an empty batch before asking the relay", async () => {
    const { relay, asked } = httpRelay();
    await expect(client().fixturesByIdsRelayed([], {}, relay)).rejects.toBeInstanceOf(SportmonksInvalidArgument);
    expect(asked).toHaveLength(0);
  });
});

describe("argument guards (no request is made)", () => {
  it("refuses more than 50 ids", async () => {
    const ids = Array.from({ length: 51 }, (_, i) => i + 1);
    const error = await client()
      .fixturesByIds(ids)
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksInvalidArgument);
    expect(error.message).toBe("ids: 51 ids given, fixtures/multi takes at most 50; split them into batches of 50");
    expect(server.requests).toHaveLength(0);
  });

  it("accepts exactly 50 ids in one request", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    server.handle(() => ({ body: envelope(ids.map((id) => fixture(id))) }));
    expect(await client().fixturesByIds(ids)).toHaveLength(50);
    expect(server.requests).toHaveLength(1);
  });

  it("refuses bad ids and empty lists cost nothing", async () => {
    await expect(client().fixturesByIds([1, -2])).rejects.toThrow("ids[1]: -2 is not a positive integer id");
    await expect(client().fixturesByIds([])).resolves.toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a date range over 100 days, reversed or invalid dates", () => {
    const c = client();
    expect(() => c.fixturesBetween("2023-01-01", "2023-04-12")).toThrow(
      "end: 2023-01-01..2023-04-12 spans 101 days, fixtures/between allows at most 100; split the range",
    );
    expect(() => c.fixturesBetween("2023-01-01", "2023-04-11")).not.toThrow();
    expect(() => c.fixturesBetween("2023-02-01", "2023-01-01")).toThrow("end: 2023-01-01 is before start 2023-02-01; swap them");
    expect(() => c.fixturesBetween("2023-02-30", "2023-03-01")).toThrow('start: "2023-02-30" is not a date; use YYYY-MM-DD');
    expect(() => c.fixturesBetween(new Date("2023-01-01T10:00:00Z"), "2023-01-05")).not.toThrow();
    expect(server.requests).toHaveLength(0);
  });

  it("caps per_page at 50 (1000 with populate) and checks include names", () => {
    expect(() => client().leagues({ perPage: 51 })).toThrow(
      "perPage: 51 is outside 1..50; the API caps per_page at 50 (1000 with populate)",
    );
    expect(() => client().fixturesBetween("2023-01-01", "2023-01-02", { perPage: 51 })).toThrow(
      "perPage: 51 is outside 1..50; the API caps per_page at 50",
    );
    expect(() => client().seasons({ populate: true, perPage: 1000 })).not.toThrow();
    expect(() => client().seasons({ populate: true, perPage: 1001 })).toThrow(
      "perPage: 1001 is outside 1..1000; filters=populate caps per_page at 1000",
    );
    expect(() => client().fixturesBetween("2023-01-01", "2023-01-02", { include: ["events;lineups"] })).toThrow(
      'include[0]: "events;lineups" is not an include name like "events" or "lineups.player"',
    );
  });

  it("refuses idAfter that is not a positive integer id and populate that is not a boolean", () => {
    const c = client();
    expect(() => c.leagues({ idAfter: 0 })).toThrow(new SportmonksInvalidArgument("idAfter: 0 is not a positive integer id"));
    expect(() => c.seasons({ idAfter: 1.5 })).toThrow("idAfter: 1.5 is not a positive integer id");
    expect(() => c.seasons({ idAfter: "7" as unknown as number })).toThrow('idAfter: "7" is not a positive integer id');
    expect(() => c.seasons({ leagueId: -1, idAfter: 7 })).toThrow("leagueId: -1 is not a positive integer id");
    expect(() => c.leagues({ populate: "yes" as unknown as boolean })).toThrow('populate: "yes" is not true or false');
    expect(server.requests).toHaveLength(0);
  });

  it("validates the client options", () => {
    expect(() => new SportmonksClient({ apiKey: " " })).toThrow("apiKey: must be a non-empty string; set SPORTMONKS_API_KEY");
    expect(() => new SportmonksClient({ apiKey: "k", baseUrl: "ftp://x" })).toThrow("baseUrl: must be an http(s) URL");
    expect(() => new SportmonksClient({ apiKey: "k", maxRetries: -1 })).toThrow(/^maxRetries:/);
    expect(new SportmonksClient({ apiKey: "k" }).baseUrl).toBe("https://api.sportmonks.com/v3/football");
  });
});

describe("error bodies", () => {
  it("a season without a schedule (a miss) is an empty schedule, not an error", async () => {
    server.handle(() => ({ body: miss() }));
    expect(await client().seasonSchedule(999)).toEqual([]);
    expect(await client().fixturesByIds([999])).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(["/v3/football/schedules/seasons/999", "/v3/football/fixtures/multi/999"]);
  });

  it("a 404 on a schedule is still SportmonksNotFound", async () => {
    server.handle(() => ({ status: 404, body: { message: "Not found" } }));
    const error = await client()
      .seasonSchedule(999)
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksNotFound);
    expect(error.message).toBe('schedules/seasons/{id}: not found (HTTP 404): Sportmonks says "Not found"');
  });

  it.each([
    [5000, 400, SportmonksIncludeError, "include"],
    [5001, 400, SportmonksIncludeError, "include"],
    [5002, 403, SportmonksIncludeError, "include"],
    [5008, 400, SportmonksIncludeError, "include"],
    [5013, 400, SportmonksIncludeError, "include"],
    [5007, 403, SportmonksPlanError, "plan"],
    [5007, 400, SportmonksPlanError, "plan"],
    [5003, 400, SportmonksNotFound, "not_found"],
    [5005, 429, SportmonksRateLimited, "rate_limited"],
    [5999, 400, SportmonksRequestError, "request"],
  ])("in-body code %i (HTTP %i) is typed and not retried", async (code, status, type, kind) => {
    server.handle(() => ({ status, body: { message: `code ${code}`, code, rate_limit: rateLimit(0, 7200) } }));
    const error = await client({ maxRetries: 3 })
      .fixturesByIds([1], { include: ["events"] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(type);
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(code);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    [
      5000,
      "The requested include 'lineups' is not allowed on this endpoint.",
      "lineups",
      "include `lineups` is not allowed on this endpoint (HTTP 400, code 5000)",
      "; drop `lineups` from the includes",
    ],
    [
      5001,
      "The requested include 'lineup' does not exist.",
      "lineup",
      "include `lineup` does not exist (HTTP 400, code 5001)",
      "; check the include name against the endpoint's documented includes",
    ],
    [
      5002,
      "You do not have access to the 'lineups' include in your current subscription.",
      "lineups",
      "include `lineups` is not in the plan (HTTP 400, code 5002)",
      "; drop `lineups` from the includes or upgrade the plan",
    ],
    [
      5008,
      "Nested include lineups.player.country.continent exceeds the maximum depth.",
      "lineups.player.country.continent",
      "include `lineups.player.country.continent` nests too deep (HTTP 400, code 5008)",
      "; reduce nesting to at most 3 levels",
    ],
    [
      5013,
      "The include weatherreport is not available on this entity.",
      "weatherReport",
      "include `weatherReport` is not available on this entity (HTTP 400, code 5013)",
      "; drop `weatherReport` from the includes",
    ],
  ])("code %i names the include and the fix", async (code, said, include, problem, fix) => {
    server.handle(() => ({ status: 400, body: { message: said, code } }));
    const error = await client()
      .fixturesByIds([1], { include: ["events", "lineups", "lineup", "lineups.player.country.continent", "weatherReport"] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksIncludeError);
    expect(error.include).toBe(include);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`fixtures/multi/{ids}: ${problem}: Sportmonks says "${said}"${fix}`);
  });

  it("an include error that names no requested include lists the request's includes", async () => {
    server.handle(() => ({ status: 403, body: { message: "Insufficient includes.", code: 5002 } }));
    const error = await client()
      .fixturesByIds([1], { include: ["events", "lineups"] })
      .catch((e) => e);
    expect(error.include).toBeNull();
    expect(error.message).toBe(
      'fixtures/multi/{ids}: one of the includes (`events`, `lineups`) is not in the plan (HTTP 403, code 5002): Sportmonks says "Insufficient includes."; drop it from the includes or upgrade the plan',
    );
    // With a single include there is nothing to guess.
    const single = await client()
      .fixturesBetween("2023-03-01", "2023-03-02", { include: ["lineups"] })
      .toArray()
      .catch((e) => e);
    expect(single.include).toBe("lineups");
    expect(single.message).toContain("drop `lineups` from the includes or upgrade the plan");
  });

  it("code 5003 is a page that does not exist", async () => {
    server.handle(() => ({ status: 400, body: { message: "The page you are requesting does not exist.", code: 5003 } }));
    const error = await client()
      .leagues()
      .toArray()
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksNotFound);
    expect(error.message).toBe(
      'leagues: page does not exist (HTTP 400, code 5003): Sportmonks says "The page you are requesting does not exist."',
    );
  });

  it("in-body 5005 is a rate limit carrying the entity and reset time", async () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    server.handle(() => ({ status: 429, body: { message: "rate limit", code: 5005, rate_limit: rateLimit(0, 1800, "Fixture") } }));
    const error = await client({ now: () => now, maxRateLimitWaitMs: 1000 })
      .fixturesByIds([1])
      .catch((e) => e);
    expect(error).toBeInstanceOf(SportmonksRateLimited);
    expect(error.entity).toBe("Fixture");
    expect(error.resetsAt).toEqual(new Date(now + 1_800_000));
  });

  it("401 is a bad key, 403 a resource outside the plan; neither is retried", async () => {
    const cases = [
      [
        401,
        "Unauthenticated.",
        SportmonksAuthError,
        'leagues: API key rejected (HTTP 401): Sportmonks says "Unauthenticated."; check SPORTMONKS_API_KEY',
      ],
      [
        403,
        "You do not have access to this resource.",
        SportmonksPlanError,
        'leagues: not covered by the plan (HTTP 403): Sportmonks says "You do not have access to this resource."; add it to the subscription or leave it out of the collection',
      ],
    ] as const;
    for (const [status, message, type, text] of cases) {
      server.requests.length = 0;
      server.handle(() => ({ status, body: { message } }));
      const error = await client({ maxRetries: 5 })
        .leagues()
        .toArray()
        .catch((e) => e);
      expect(error).toBeInstanceOf(type);
      expect(error.message).toBe(text);
      expect(error.retryable).toBe(false);
      expect(server.requests).toHaveLength(1);
    }
    expect(new SportmonksPlanError("x")).not.toBeInstanceOf(SportmonksAuthError);
  });
});
