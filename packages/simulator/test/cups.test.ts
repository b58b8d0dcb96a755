// Cups in the real schedule layouts: the recorded sample (trimmed to one stage of
// each layout) is the reference for every key the simulator's schedule carries.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.ts";
import { api, simulator } from "./support.ts";

const DAY_MS = 86_400_000;
// biome-ignore lint/suspicious/noExplicitAny: schedules are inspected key by key
type Json = any;
const sample: Json[] = JSON.parse(readFileSync(new URL("./samples/schedule-three-layouts.json", import.meta.url), "utf8"));
const [sampleLeagueStage, sampleTwoLegStage, sampleFinalStage] = sample;

const keys = (o: object) => Object.keys(o).sort();

async function currentCupSchedule(sim: Simulator): Promise<{ seasonId: number; stages: Json[] }> {
  const cup = (await api(sim, "leagues?include=currentSeason")).body.data.find((l: Json) => l.type === "cup");
  const { body } = await api(sim, `schedules/seasons/${cup.currentseason.id}`);
  return { seasonId: cup.currentseason.id, stages: body.data };
}

const fixturesOf = (stage: Json): Json[] => [
  ...stage.rounds.flatMap((r: Json) => r.fixtures),
  ...(stage.fixtures ?? []),
  ...(stage.aggregates ?? []).flatMap((a: Json) => a.fixtures),
];

describe("cups", () => {
  it("lays a cup season out in the real schedule's three layouts, key for key", async () => {
    const sim = await simulator();
    const { stages } = await currentCupSchedule(sim);
    expect(stages.map((s: Json) => [s.name, s.type_id])).toEqual([
      ["Group Stage", 223],
      ["Quarter-finals", 224],
      ["Semi-finals", 224],
      ["Final", 224],
    ]);
    const [group, quarter, semi, final] = stages;
    expect(Object.keys(group)).toEqual(Object.keys(sampleLeagueStage));
    expect(Object.keys(quarter)).toEqual(Object.keys(sampleTwoLegStage));
    expect(Object.keys(semi)).toEqual(Object.keys(sampleTwoLegStage));
    expect(Object.keys(final)).toEqual(Object.keys(sampleFinalStage));
    expect(group.aggregates).toEqual([]);
    expect(quarter.rounds).toEqual([]);
    expect(final.rounds).toEqual([]);
    expect(keys(group.rounds[0])).toEqual(keys(sampleLeagueStage.rounds[0]));
    expect(keys(quarter.aggregates[0])).toEqual(keys(sampleTwoLegStage.aggregates[0]));

    const sampleFixture = sampleLeagueStage.rounds[0].fixtures[0];
    for (const fixture of stages.flatMap(fixturesOf)) {
      expect(keys(fixture)).toEqual(keys(sampleFixture));
      expect(keys(fixture.participants[0])).toEqual(keys(sampleFixture.participants[0]));
      expect(keys(fixture.participants[0].meta)).toEqual(keys(sampleFixture.participants[0].meta));
      for (const score of fixture.scores) expect(keys(score)).toEqual(keys(sampleFixture.scores[0]));
    }
    expect(fixturesOf(group)).toHaveLength(48);
    expect(fixturesOf(quarter)).toHaveLength(8);
    expect(fixturesOf(semi)).toHaveLength(4);
    expect(fixturesOf(final)).toHaveLength(1);
  });

  it("sets stage, group, aggregate, round and leg like the real data, and serves every stage's fixtures by id, multi and between", async () => {
    const sim = await simulator();
    const { stages } = await currentCupSchedule(sim);
    const [group, quarter, , final] = stages;
    for (const f of fixturesOf(group)) {
      expect(f).toMatchObject({ stage_id: group.id, aggregate_id: null, leg: "1/1" });
      expect(f.group_id).toEqual(expect.any(Number));
      expect(f.round_id).toEqual(expect.any(Number));
    }
    for (const aggregate of quarter.aggregates) {
      expect(aggregate.fixture_ids).toEqual(aggregate.fixtures.map((f: Json) => f.id));
      expect(aggregate.fixtures.map((f: Json) => f.leg)).toEqual(["1/2", "2/2"]);
      for (const f of aggregate.fixtures)
        expect(f).toMatchObject({ stage_id: quarter.id, aggregate_id: aggregate.id, round_id: null, group_id: null });
      // The same teams, home and away swapped.
      const [one, two] = aggregate.fixtures;
      expect(two.participants.map((p: Json) => p.id)).toEqual([...one.participants.map((p: Json) => p.id)].reverse());
    }
    expect(final.fixtures[0]).toMatchObject({ stage_id: final.id, aggregate_id: null, round_id: null, group_id: null, leg: "1/1" });

    const picked = [fixturesOf(group)[0], quarter.aggregates[0].fixtures[1], final.fixtures[0]];
    const fields = (f: Json) => ({
      id: f.id,
      stage_id: f.stage_id,
      group_id: f.group_id,
      aggregate_id: f.aggregate_id,
      round_id: f.round_id,
      leg: f.leg,
    });
    for (const f of picked) {
      expect(fields((await api(sim, `fixtures/${f.id}`)).body.data)).toEqual(fields(f));
      const day = f.starting_at.slice(0, 10);
      const between = (await api(sim, `fixtures/between/${day}/${day}?per_page=50`)).body.data;
      expect(between.map(fields)).toContainEqual(fields(f));
    }
    const multi = (await api(sim, `fixtures/multi/${picked.map((f) => f.id).join(",")}`)).body.data;
    expect(multi.map(fields)).toEqual(picked.map(fields).sort((a, b) => a.id - b.id));
  });

  it("gives an aggregate its result and winner from the legs once the second leg is final, null before", async () => {
    const sim = await simulator();
    const before = (await currentCupSchedule(sim)).stages[1].aggregates;
    for (const aggregate of before) expect(aggregate).toMatchObject({ result: null, detail: null, winner_participant_id: null });

    sim.advanceTime(20 * DAY_MS); // past both quarter-final legs
    const { stages } = await currentCupSchedule(sim);
    const goals = (f: Json, location: string) =>
      f.scores.find((s: Json) => s.description === "CURRENT" && s.score.participant === location).score.goals;
    for (const aggregate of stages[1].aggregates) {
      const [one, two] = aggregate.fixtures;
      expect([one.state_id, two.state_id]).toEqual([5, 5]);
      const first = goals(one, "home") + goals(two, "away");
      const second = goals(one, "away") + goals(two, "home");
      expect(first).not.toBe(second);
      expect(aggregate.result).toBe(`${first}-${second}`);
      expect(aggregate.detail).toBe("After Full Time");
      const [firstTeam, secondTeam] = one.participants.map((p: Json) => p.id);
      expect(aggregate.winner_participant_id).toBe(first > second ? firstTeam : secondTeam);
    }
    // The quarter-final winners meet in the semi-finals.
    const winners = new Set(stages[1].aggregates.map((a: Json) => a.winner_participant_id));
    const semiTeams = stages[2].aggregates.flatMap((a: Json) => a.fixtures[0].participants.map((p: Json) => p.id));
    expect(new Set(semiTeams)).toEqual(winners);
    // The truth carries the same ties.
    const truth = sim.truth().aggregates;
    for (const aggregate of stages[1].aggregates) expect(truth).toContainEqual(aggregate);
  });

  it("keeps the default world modest and can leave cups out", async () => {
    const sim = await simulator();
    expect(sim.truth().fixtures.length).toBeLessThan(1000);
    const none = await simulator({ cups: 0 });
    expect((await api(none, "leagues")).body.data.every((l: Json) => l.type === "league")).toBe(true);
    expect(none.truth().aggregates).toEqual([]);
  });
});
