// The client on real recorded Sportmonks payloads (`../shared/sportmonks/samples`
// beside the repository): every stage layout of a schedule parses, and
// fixtures whose include keys come back lower-cased. What a schedule holds
// (67 fixtures, 3 ties) is Postgres's to read: pgTAP 28-schedule-responses.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ScheduleStage, SportmonksClient } from "../../src/sportmonks/index.ts";
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
