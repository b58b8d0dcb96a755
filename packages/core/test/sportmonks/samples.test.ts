// The client on real recorded Sportmonks payloads (`../shared/sportmonks/samples`
// beside the repository): every stage layout of a schedule, and fixtures whose
// include keys come back lower-cased.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ScheduleStage, SportmonksClient, scheduleAggregates, scheduleFixtures } from "../../src/sportmonks/index.ts";
import { envelope, type FakeSportmonks, startFakeSportmonks } from "./fake-sportmonks.ts";

const SAMPLES = new URL("../../../../../shared/sportmonks/samples/", import.meta.url);
const sample = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, SAMPLES), "utf8")) as T;

type Raw = Record<string, unknown> & { id: number };
interface RawStage extends Raw {
  rounds?: Array<{ fixtures?: Raw[] }>;
  fixtures?: Raw[];
  aggregates?: Array<Raw & { fixtures?: Raw[]; fixture_ids: number[] }>;
}

/** `GET /schedules/teams/14`: 16 stages of league, cup and European competitions. */
const schedule = sample<RawStage[]>("schedule-teams-14.data.json");
/** `GET /fixtures/19135043` with participants, league, venue, state, scores, events, statistics, sidelined, weatherReport. */
const fixtureWithIncludes = sample<Raw>("fixture-19135043-with-includes.data.json");
/** The docs' `fixtures/18535517?include=events`. */
const docsFixture = sample<{ data: Raw }>("docs-fixture-18535517-events.json").data;

const ids = (fixtures: ReadonlyArray<{ id: number }> | undefined) => (fixtures ?? []).map((f) => f.id);
const rawRoundAndStageIds = schedule.flatMap((s) => [...ids(s.fixtures), ...(s.rounds ?? []).flatMap((r) => ids(r.fixtures))]);
const rawAggregateIds = schedule.flatMap((s) => (s.aggregates ?? []).flatMap((a) => ids(a.fixtures)));

let server: FakeSportmonks;
beforeAll(async () => {
  server = await startFakeSportmonks();
});
afterAll(() => server.close());
afterEach(() => {
  server.requests.length = 0;
});

const client = () => new SportmonksClient({ apiKey: "test-key", baseUrl: server.url, sleep: async () => {} });

async function readSchedule(): Promise<ScheduleStage[]> {
  server.handle(() => ({ body: envelope(schedule) }));
  return client().seasonSchedule(23620);
}

describe("a real schedule", () => {
  it("parses all 16 stages in their three layouts", async () => {
    const stages = await readSchedule();
    expect(stages).toHaveLength(16);
    const layouts = stages.map((s) => [s.type_id, s.rounds.length > 0, s.fixtures.length > 0, s.aggregates.length > 0]);
    expect(layouts.filter(([type, rounds]) => type === 223 && rounds)).toHaveLength(3);
    expect(layouts.filter(([type, , fixtures]) => type === 224 && fixtures)).toHaveLength(10);
    expect(layouts.filter(([type, , , aggregates]) => type === 224 && aggregates)).toHaveLength(3);
  });

  it("finds all 67 fixtures once each, the 6 two-legged ones under aggregates included", async () => {
    const stages = await readSchedule();
    const fixtures = scheduleFixtures(stages);
    expect(fixtures).toHaveLength(67);
    expect(new Set(ids(fixtures))).toEqual(new Set([...rawRoundAndStageIds, ...rawAggregateIds]));
    // The six legs live only under aggregates: rounds and stage fixtures alone miss them.
    expect(rawAggregateIds).toHaveLength(6);
    expect(rawAggregateIds.filter((id) => rawRoundAndStageIds.includes(id))).toEqual([]);
    expect(scheduleFixtures(stages.map((s) => ({ ...s, aggregates: [] })))).toHaveLength(61);
  });

  it("keeps where each fixture sits: stage, group, aggregate, round, leg, details", async () => {
    const fixtures = scheduleFixtures(await readSchedule());
    const leg = fixtures.find((f) => f.id === 19380922);
    expect(leg).toMatchObject({ stage_id: 77471325, group_id: null, aggregate_id: 58610, round_id: null, leg: "2/2", details: null });
    expect(leg?.participants).toHaveLength(2);
    expect(Array.isArray(leg?.scores)).toBe(true);
    // Nothing is dropped or added on the way.
    const raw = new Map(
      schedule
        .flatMap((s) => [
          ...(s.fixtures ?? []),
          ...(s.rounds ?? []).flatMap((r) => r.fixtures ?? []),
          ...(s.aggregates ?? []).flatMap((g) => g.fixtures ?? []),
        ])
        .map((f) => [f.id, f]),
    );
    for (const fixture of fixtures) expect(fixture).toEqual(raw.get(fixture.id));
  });

  it("reads the two-legged ties as aggregate rows whose fixture_ids are their legs", async () => {
    const stages = await readSchedule();
    const rows = scheduleAggregates(stages);
    expect(rows).toEqual([
      {
        id: 58610,
        season_id: 23620,
        stage_id: 77471325,
        name: "Real Sociedad vs Manchester United",
        fixture_ids: [19380921, 19380922],
        result: "2-5",
        detail: "After Full Time",
        winner_participant_id: 14,
      },
      {
        id: 58762,
        season_id: 23620,
        stage_id: 77471324,
        name: "Olympique Lyonnais vs Manchester United",
        fixture_ids: [19391333, 19391334],
        result: "6-7",
        detail: "After Extra Time",
        winner_participant_id: 14,
      },
      {
        id: 58758,
        season_id: 23620,
        stage_id: 77471323,
        name: "Athletic Club vs Manchester United",
        fixture_ids: [19391325, 19391326],
        result: "1-7",
        detail: "After Full Time",
        winner_participant_id: 14,
      },
    ]);
    const fixtures = scheduleFixtures(stages);
    for (const row of rows) {
      const legs = fixtures.filter((f) => f.aggregate_id === row.id).map((f) => f.id);
      expect([...row.fixture_ids].sort()).toEqual(legs.sort());
    }
    // Every fixture that belongs to a tie has its row.
    const tied = fixtures.filter((f) => f.aggregate_id != null).map((f) => f.aggregate_id);
    expect(new Set(tied)).toEqual(new Set(rows.map((r) => r.id)));
  });

  it("takes season and stage from the stage when an aggregate lacks them, and adds legs missing from fixture_ids", async () => {
    const stage = schedule.find((s) => (s.aggregates ?? []).length > 0) as RawStage;
    const [aggregate] = stage.aggregates ?? [];
    const { season_id: _season, stage_id: _stage, ...bare } = aggregate as Raw;
    server.handle(() => ({ body: envelope([{ ...stage, aggregates: [{ ...bare, fixture_ids: [19380921] }] }]) }));
    const rows = scheduleAggregates(await client().seasonSchedule(23620));
    expect(rows).toEqual([expect.objectContaining({ id: 58610, season_id: 23620, stage_id: 77471325, fixture_ids: [19380921, 19380922] })]);
  });
});

describe("real fixtures with includes", () => {
  it("keeps every include, under the lower-cased keys the API sends", async () => {
    server.handle(() => ({ body: envelope([fixtureWithIncludes]) }));
    const [fixture] = await client().fixturesByIds([19135043], {
      include: ["participants", "league", "venue", "state", "scores", "events.type", "statistics.type", "sidelined", "weatherReport"],
    });
    expect(fixture).toEqual(fixtureWithIncludes);
    const kept = fixture as Record<string, unknown>;
    expect(kept.weatherreport).toMatchObject({ fixture_id: 19135043, venue_id: 206 });
    expect(kept.weatherReport).toBeUndefined();
    expect(fixture?.events).toHaveLength(17);
    expect(fixture?.statistics).toHaveLength(24);
    expect(kept.sidelined).toHaveLength(2);
    expect(fixture?.lineups).toBeUndefined();
  });

  it("reads the documentation's fixture with events", async () => {
    server.handle(() => ({ body: envelope([docsFixture]) }));
    const [fixture] = await client().fixturesByIds([18535517], { include: ["events"] });
    expect(fixture).toEqual(docsFixture);
    expect(fixture).toMatchObject({ league_id: 501, season_id: 19735, round_id: 274719, aggregate_id: null, leg: "1/1" });
    expect(fixture?.events).toHaveLength(4);
  });
});
