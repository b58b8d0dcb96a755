import { describe, expect, it } from "vitest";
import { MAX_MULTI_IDS, NO_RESULTS_MESSAGE } from "../src/index.ts";
import { api, simulator } from "./support.ts";

describe("envelope and authentication", () => {
  it("wraps data with subscription, rate_limit and timezone", async () => {
    const sim = await simulator();
    const { status, body } = await api(sim, "leagues");
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(["data", "pagination", "subscription", "rate_limit", "timezone"]);
    expect(body.timezone).toBe("UTC");
    expect(body.rate_limit).toEqual({ resets_in_seconds: 3600, remaining: 2999, requested_entity: "League" });
    expect(body.subscription[0].meta.current_timestamp).toBe(Date.parse("2025-03-15T15:00:00Z") / 1000);
    // 4 leagues and the default cup.
    expect(body.data).toHaveLength(5);
  });

  it("accepts the key as Authorization header or api_token, and rejects anything else with 401", async () => {
    const sim = await simulator({ apiKey: "secret" });
    expect((await api(sim, "leagues", { key: null })).status).toBe(401);
    expect((await api(sim, "leagues", { key: "wrong" })).body).toEqual({ message: "Unauthenticated." });
    expect((await api(sim, "leagues?api_token=secret", { key: null })).status).toBe(200);
    expect((await api(sim, "leagues")).status).toBe(200);
    expect(sim.stats().unauthorized).toBe(2);
  });

  it("answers a miss with HTTP 200, a message and no data", async () => {
    const sim = await simulator();
    const { status, body } = await api(sim, "fixtures/1");
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.message).toBe(NO_RESULTS_MESSAGE);
    expect(body.rate_limit.requested_entity).toBe("Fixture");
  });

  it("answers unknown endpoints with 404 and does not bill them", async () => {
    const sim = await simulator();
    expect((await api(sim, "nothing/here")).status).toBe(404);
    expect(sim.stats().byEntity).toEqual({});
  });
});

describe("pagination", () => {
  it("follows next_page until has_more is false and sees every fixture in the range once", async () => {
    const sim = await simulator();
    let url: string | null = `${sim.baseUrl}/fixtures/between/2025-02-01/2025-04-30?per_page=50`;
    const seen: number[] = [];
    let pages = 0;
    while (url) {
      const { body } = await api(sim, url);
      pages++;
      expect(body.pagination.count).toBe(body.data.length);
      expect(body.pagination.current_page).toBe(pages);
      seen.push(...body.data.map((f: { id: number }) => f.id));
      url = body.pagination.has_more ? body.pagination.next_page : null;
      if (!body.pagination.has_more) expect(body.pagination.next_page).toBeNull();
    }
    const from = Date.parse("2025-02-01T00:00:00Z") / 1000;
    const to = Date.parse("2025-05-01T00:00:00Z") / 1000;
    const expected = sim
      .truth()
      .fixtures.filter((f) => (f.starting_at_timestamp as number) >= from && (f.starting_at_timestamp as number) < to)
      .map((f) => f.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(pages).toBe(Math.ceil(expected.length / 50));
  });

  it("caps per_page at 50 and defaults to 25", async () => {
    const sim = await simulator();
    expect((await api(sim, "fixtures?per_page=100")).body.pagination.per_page).toBe(50);
    expect((await api(sim, "fixtures?per_page=100")).body.data).toHaveLength(50);
    expect((await api(sim, "fixtures")).body.pagination.per_page).toBe(25);
  });

  it("pages every list endpoint the same way: data with pagination, 5003 past the end, 'no results' when empty", async () => {
    const sim = await simulator();
    for (const path of ["leagues", "seasons", "states", "fixtures"]) {
      const first = await api(sim, `${path}?per_page=2`);
      expect(first.status, path).toBe(200);
      expect(first.body.data, path).toHaveLength(2);
      expect(first.body.pagination, path).toMatchObject({ count: 2, per_page: 2, current_page: 1, has_more: true });
      expect((await api(sim, `${path}?per_page=2&page=100000`)).body.code, path).toBe(5003);
    }
    const empty = await api(sim, "fixtures/between/1990-01-01/1990-01-02");
    expect(empty.status).toBe(200);
    expect(empty.body.data).toBeUndefined();
    expect(empty.body.message).toBe(NO_RESULTS_MESSAGE);
  });

  it("fixtures/date/D answers as fixtures/between/D/D", async () => {
    const sim = await simulator();
    const day = new Date((sim.dataset.fixtureList[0] as { kickoffMs: number }).kickoffMs).toISOString().slice(0, 10);
    const date = await api(sim, `fixtures/date/${day}?per_page=50`);
    const between = await api(sim, `fixtures/between/${day}/${day}?per_page=50`);
    expect(date.status).toBe(200);
    expect(date.body.data.length).toBeGreaterThan(0);
    expect(date.body.data).toEqual(between.body.data);
    expect((await api(sim, "fixtures/date/2025-02-30")).status).toBe(400);
  });

  it("rejects a page past the end with code 5003", async () => {
    const sim = await simulator();
    const { status, body } = await api(sim, "leagues?page=9");
    expect(status).toBe(400);
    expect(body.code).toBe(5003);
  });
});

describe("limits", () => {
  it(`serves up to ${MAX_MULTI_IDS} ids from fixtures/multi and refuses more`, async () => {
    const sim = await simulator();
    const ids = sim.dataset.fixtureList.map((f) => f.id);
    const ok = await api(sim, `fixtures/multi/${ids.slice(0, 50).join(",")}`);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toHaveLength(50);
    expect(ok.body.pagination).toBeUndefined();
    const tooMany = await api(sim, `fixtures/multi/${ids.slice(0, 51).join(",")}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.data).toBeUndefined();
    expect(tooMany.body.message).toMatch(/maximum of 50/);
  });

  it("refuses a fixtures/between range longer than 100 days and malformed dates", async () => {
    const sim = await simulator();
    expect((await api(sim, "fixtures/between/2025-01-01/2025-04-11")).status).toBe(200);
    const long = await api(sim, "fixtures/between/2025-01-01/2025-04-12");
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/100 days/);
    expect((await api(sim, "fixtures/between/2025-02-30/2025-03-01")).status).toBe(400);
  });
});

describe("includes", () => {
  it("returns events, lineups with details, statistics, participants and scores exactly as the truth has them", async () => {
    const sim = await simulator({ playerDetails: true });
    const truth = sim.truth().fixtures;
    const finished = truth.filter((f) => f.state_id === 5).slice(0, 20);
    const { body } = await api(
      sim,
      `fixtures/multi/${finished.map((f) => f.id).join(",")}?include=events;lineups.details;statistics;participants;scores`,
    );
    expect(body.data).toEqual(finished.map(({ state, league, season, ...rest }) => rest));
    for (const fixture of body.data) {
      expect(fixture.lineups).toHaveLength(36);
      // Every starter played; details are what makes a played fixture as large as a real one.
      const starters = fixture.lineups.filter((l: { type_id: number }) => l.type_id === 11);
      expect(starters.every((l: { details: unknown[] }) => l.details.length === 9)).toBe(true);
      expect(fixture.participants.map((p: { meta: { location: string } }) => p.meta.location)).toEqual(["home", "away"]);
      const goals = fixture.events.filter((e: { type_id: number }) => e.type_id === 14).length;
      const current = fixture.scores.filter((s: { description: string }) => s.description === "CURRENT");
      expect(current.reduce((sum: number, s: { score: { goals: number } }) => sum + s.score.goals, 0)).toBe(goals);
      expect(fixture.result_info).toMatch(/won after full-time|draw/);
    }
  });

  it("leaves includes out unless asked and nests fixtures with participants and scores in schedules", async () => {
    const sim = await simulator();
    const fixture = (await api(sim, `fixtures/${sim.dataset.fixtureList[0]?.id}`)).body.data;
    expect(fixture.events).toBeUndefined();
    const played = sim.truth().fixtures.find((f) => f.state_id === 5);
    const plain = (await api(sim, `fixtures/${played?.id}?include=lineups`)).body.data;
    expect(plain.lineups[0]).not.toHaveProperty("details");
    // A league without player coverage (the default world): details asked for, none to give.
    const uncovered = (await api(sim, `fixtures/${played?.id}?include=lineups.details`)).body.data;
    expect(uncovered.lineups[0].details).toEqual([]);
    const season = sim.dataset.leagues[0]?.seasons[1];
    const { body } = await api(sim, `schedules/seasons/${season?.id}`);
    expect(body.rate_limit.requested_entity).toBe("Schedule");
    const [stage] = body.data;
    expect(stage.rounds).toHaveLength(18);
    const nested = stage.rounds.flatMap((r: { fixtures: unknown[] }) => r.fixtures);
    expect(nested).toHaveLength(90);
    expect(Object.keys(nested[0])).toEqual(expect.arrayContaining(["participants", "scores", "state_id", "round_id"]));
  });

  it("answers unknown includes with 5001 and real-but-unsimulated ones with 5002", async () => {
    const sim = await simulator();
    const id = sim.dataset.fixtureList[0]?.id;
    const unknown = await api(sim, `fixtures/${id}?include=nonsense`);
    expect([unknown.status, unknown.body.code]).toEqual([400, 5001]);
    const notInPlan = await api(sim, `fixtures/${id}?include=odds`);
    expect([notInPlan.status, notInPlan.body.code]).toEqual([403, 5002]);
    const notHere = await api(sim, "leagues?include=events");
    expect([notHere.status, notHere.body.code]).toEqual([400, 5000]);
  });
});
