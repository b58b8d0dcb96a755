// Request options and in-body error codes: idAfter and populate filters, leagues
// outside the plan (5007), include depth (5008) and includes on an endpoint that
// takes none (5013).
import { describe, expect, it } from "vitest";
import { NO_RESULTS_MESSAGE } from "../src/index.ts";
import { api, simulator } from "./support.ts";

// biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
type Json = any;

describe("filters", () => {
  it("idAfter keeps only higher ids on leagues and seasons, and chains with other filters by ';'", async () => {
    const sim = await simulator();
    const leagues = (await api(sim, "leagues")).body.data.map((l: Json) => l.id);
    const after = (await api(sim, `leagues?filters=idAfter:${leagues[1]}`)).body.data.map((l: Json) => l.id);
    expect(after).toEqual(leagues.slice(2));
    const seasons = (await api(sim, "seasons?per_page=50")).body.data;
    const pivot = seasons[3].id;
    const later = (await api(sim, `seasons?per_page=50&filters=idAfter:${pivot}`)).body.data;
    expect(later.map((s: Json) => s.id)).toEqual(seasons.filter((s: Json) => s.id > pivot).map((s: Json) => s.id));
    const league = later[0].league_id;
    const chained = (await api(sim, `seasons?per_page=50&filters=seasonLeagues:${league};idAfter:${pivot}`)).body.data;
    expect(chained.map((s: Json) => s.id)).toEqual(later.filter((s: Json) => s.league_id === league).map((s: Json) => s.id));
    const none = await api(sim, `leagues?filters=idAfter:${Math.max(...leagues)}`);
    expect([none.status, none.body.message]).toEqual([200, NO_RESULTS_MESSAGE]);
  });

  it("populate drops includes and pages up to 1,000 records", async () => {
    const sim = await simulator();
    const plain = await api(sim, "fixtures?per_page=1000");
    expect(plain.body.pagination.per_page).toBe(50);
    const populated = await api(sim, "fixtures?per_page=1000&filters=populate&include=events");
    expect(populated.body.pagination).toMatchObject({ per_page: 1000, has_more: false });
    expect(populated.body.data).toHaveLength(sim.truth().fixtures.length);
    expect(populated.body.data[0].events).toBeUndefined();
    const leagues = (await api(sim, "leagues?filters=populate;idAfter:0&include=seasons")).body.data;
    expect(leagues).toHaveLength(5);
    expect(leagues[0].seasons).toBeUndefined();
  });
});

describe("leagues outside the plan", () => {
  it("are listed with their seasons, but their schedules and fixtures answer 403 with code 5007 and the truth leaves them out", async () => {
    const sim = await simulator({ leaguesOutsidePlan: 1 });
    const truth = sim.truth();
    expect(truth.leaguesOutsidePlan).toHaveLength(1);
    const outside = truth.leaguesOutsidePlan[0] as number;
    const listed = (await api(sim, "leagues")).body.data.map((l: Json) => l.id);
    expect(listed).toContain(outside);
    const seasons = (await api(sim, `seasons?filters=seasonLeagues:${outside}`)).body.data;
    expect(seasons.length).toBeGreaterThan(0);
    const schedule = await api(sim, `schedules/seasons/${seasons[0].id}`);
    expect([schedule.status, schedule.body.code]).toEqual([403, 5007]);
    expect(schedule.body.data).toBeUndefined();
    const hidden = sim.dataset.fixtureList.find((f) => f.leagueId === outside);
    const fixture = await api(sim, `fixtures/${hidden?.id}`);
    expect([fixture.status, fixture.body.code]).toEqual([403, 5007]);
    expect(truth.fixtures.some((f) => f.league_id === outside)).toBe(false);
    const all = (await api(sim, "fixtures?filters=populate&per_page=1000")).body.data;
    expect(all.some((f: Json) => f.league_id === outside)).toBe(false);
  });

  it("refuses more leagues than the world has names for, naming the option", async () => {
    await expect(simulator({ leagues: 20, leaguesOutsidePlan: 1 })).rejects.toThrow(/^simulator option leaguesOutsidePlan:/);
    await expect(simulator({ correctionDelayMinutes: { min: 60, max: 30 } })).rejects.toThrow(/^simulator option correctionDelayMinutes:/);
  });
});

describe("include errors", () => {
  it("answers nesting deeper than three levels with 5008 and includes on an endpoint that takes none with 5013", async () => {
    const sim = await simulator();
    const id = sim.truth().fixtures[0]?.id;
    const deep = await api(sim, `fixtures/${id}?include=events.player.country.region`);
    expect([deep.status, deep.body.code]).toEqual([400, 5008]);
    const season = sim.truth().seasons[0]?.id;
    const none = await api(sim, `schedules/seasons/${season}?include=participants`);
    expect([none.status, none.body.code]).toEqual([400, 5013]);
    const nested = await api(sim, `fixtures/${id}?include=events.player`);
    expect([nested.status, nested.body.code]).toEqual([403, 5002]);
  });
});
