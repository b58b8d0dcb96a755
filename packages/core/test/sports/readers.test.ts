import { describe, expect, it } from "vitest";
import { WatermarkError } from "../../src/errors/index.ts";
import { type RpcTransport, rpcClientFromTransport } from "../../src/rpc/index.ts";
import { sportsReaderFromClient, sportsRpcs } from "../../src/sports/index.ts";

function recording(result: unknown): { calls: [string, Record<string, unknown>][]; transport: RpcTransport } {
  const calls: [string, Record<string, unknown>][] = [];
  return {
    calls,
    transport: async (name, args) => {
      calls.push([name, args]);
      return result;
    },
  };
}

const detail = {
  fixture: {
    id: 7,
    league_id: 1,
    season_id: 10,
    stage_id: null,
    round_id: 3,
    aggregate_id: null,
    leg: "1/1",
    name: "A vs B",
    starting_at: "2025-01-01T15:00:00",
    state_id: 5,
    result_info: null,
    is_final: true,
    collected_at: "2025-01-01T17:00:00+00:00",
  },
  participants: [{ team_id: 1, name: "A", short_code: "AAA", location: "home", winner: true, position: null }],
  scores: [{ team_id: 1, type_id: 1525, description: "CURRENT", goals: 1, location: "home" }],
  events: [],
  lineups: [],
  statistics: [{ team_id: 1, type_id: 45, type: "Ball Possession %", value: 55, location: "home" }],
  quality: { score: 60, reasons: ["missing_lineups", "no_statistics"] },
};

describe("sports readers", () => {
  it("send the database's argument names and leave out the defaults", async () => {
    const { calls, transport } = recording([]);
    const reader = sportsReaderFromClient(rpcClientFromTransport(sportsRpcs, transport));
    await reader.topScorers(10);
    await reader.teamForm(3, 5);
    await reader.dataQuality({ seasonId: 10 });
    expect(calls).toEqual([
      ["get_top_scorers", { season_id: 10 }],
      ["get_team_form", { team_id: 3, last_n: 5 }],
      ["get_data_quality", { season_id: 10 }],
    ]);
  });

  it("reject a bad argument before sending, naming the field", async () => {
    const { calls, transport } = recording([]);
    const reader = sportsReaderFromClient(rpcClientFromTransport(sportsRpcs, transport));
    const error = await reader.topScorers(10, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WatermarkError);
    expect((error as WatermarkError).message).toMatch(/^max_rows: /);
    expect(calls).toEqual([]);
  });

  it("parse a fixture detail with its quality, and null for an unknown fixture", async () => {
    const reader = sportsReaderFromClient(rpcClientFromTransport(sportsRpcs, recording(detail).transport));
    const parsed = await reader.fixtureDetail(7);
    expect(parsed?.quality.reasons).toEqual(["missing_lineups", "no_statistics"]);
    const none = sportsReaderFromClient(rpcClientFromTransport(sportsRpcs, recording(null).transport));
    expect(await none.fixtureDetail(8)).toBeNull();
  });

  it("refuse a result the schema does not know, pointing at the migration", async () => {
    const bad = { ...detail, quality: { score: 60, reasons: ["sunspots"] } };
    const reader = sportsReaderFromClient(rpcClientFromTransport(sportsRpcs, recording(bad).transport));
    await expect(reader.fixtureDetail(7)).rejects.toThrow(/get_fixture_detail returned an unexpected result \(quality\.reasons\[0\]/);
  });
});
