// The sports data as a new user meets it: a real collection from the simulator,
// then every SQL block of docs/data.md, the read RPCs over HTTP as a viewer and
// as anon, a correction after full time, and the rebuild command.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectorRpcs } from "../../packages/core/src/collector/index.ts";
import { createRpcClient } from "../../packages/core/src/rpc/index.ts";
import { createSportsReader } from "../../packages/core/src/sports/index.ts";
import { type CollectionEnv, collectionEnv, LEAGUES_ONLY } from "../collection/support.ts";

type Row = Record<string, unknown>;

/** The fenced sql blocks of docs/data.md, in page order. */
const blocks = [...readFileSync(new URL("../../docs/data.md", import.meta.url), "utf8").matchAll(/```sql\n([\s\S]*?)```/g)].map(
  (m) => m[1] as string,
);
const blockWith = (marker: string): string => {
  const found = blocks.filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`docs/data.md: expected one sql block with ${marker}, found ${found.length}`);
  return found[0] as string;
};
const QUERIES = {
  grant: blockWith("to anon"),
  leagueTable: blockWith("with sides as"),
  topScorers: blockWith("as penalties"),
  lastFive: blockWith("limit 5"),
  matchEvents: blockWith("e.fixture_id = :fixture_id"),
  possession: blockWith("avg_possession"),
  quality: blockWith("f.quality_reasons as reasons"),
};

/** psql-style `:name` variables, as docs/data.md runs them with `psql -v`. */
function bind(sql: string, vars: Record<string, number>): string {
  return sql.replace(/(?<!:):([a-z_]+)\b/g, (_whole, name: string) => {
    if (!(name in vars)) throw new Error(`docs/data.md uses :${name}, which the test does not bind`);
    return String(vars[name]);
  });
}

const MODEL_TABLES = [
  "teams",
  "players",
  "stages",
  "rounds",
  "fixture_participants",
  "fixture_scores",
  "fixture_events",
  "fixture_lineups",
  "fixture_statistics",
];

describe("the sports data of a real collection", () => {
  let env: CollectionEnv;
  let vars: { season_id: number; league_id: number; team_id: number; fixture_id: number; max_score: number };
  /** Finished fixtures' CURRENT goals, read from the raw payload (not the model). */
  const rawGoals = async () =>
    Number(
      (
        await env.stack.query<{ n: string }>(
          `select coalesce(sum((s -> 'score' ->> 'goals')::int), 0) as n
             from watermark.fixtures f, jsonb_array_elements(f.scores) s
            where f.state_id in (5, 7, 8) and (s ->> 'type_id')::int = 1525`,
        )
      )[0]?.n,
    );
  const model = async () => {
    const out: Record<string, Row[]> = {};
    for (const t of MODEL_TABLES) out[t] = await env.stack.query(`select to_jsonb(x) as r from watermark.${t} x order by 1`);
    return out;
  };

  beforeAll(async () => {
    env = await collectionEnv("sports data", { ...LEAGUES_ONLY, leagues: 1, seasonsPerLeague: 1, teamsPerLeague: 6, cups: 0 });
    const result = await env.run();
    expect(result.errors).toEqual([]);
    const [fixture] = await env.stack.query<{ id: string; season_id: string; league_id: string; team_id: string }>(
      `select f.id, f.season_id, f.league_id, p.team_id
         from watermark.fixtures f join watermark.fixture_participants p on p.fixture_id = f.id and p.location = 'home'
        where f.state_id = 5 and exists (select from watermark.fixture_events e where e.fixture_id = f.id and e.type_id = 14)
        order by f.starting_at desc, f.id limit 1`,
    );
    if (!fixture) throw new Error("the simulated season has no finished fixture with a goal yet");
    vars = {
      season_id: Number(fixture.season_id),
      league_id: Number(fixture.league_id),
      team_id: Number(fixture.team_id),
      fixture_id: Number(fixture.id),
      max_score: 100,
    };
  }, 300_000);

  afterAll(async () => {
    await env?.close();
  });

  it("a viewer reads a fixture with its events, lineups and statistics over HTTP; anon gets nothing", async () => {
    const viewer = createSportsReader({ url: env.stack.supabaseUrl, apiKey: env.stack.keys.anon, accessToken: env.stack.keys.viewer });
    const detail = await viewer.fixtureDetail(vars.fixture_id);
    const [raw] = await env.stack.query<{ events: number; lineups: number; statistics: number }>(
      `select jsonb_array_length(events) as events, jsonb_array_length(lineups) as lineups, jsonb_array_length(statistics) as statistics
         from watermark.fixtures where id = $1`,
      [vars.fixture_id],
    );
    expect(detail?.events.length).toBe(raw?.events);
    expect(detail?.lineups.length).toBe(raw?.lineups);
    expect(detail?.statistics.length).toBe(raw?.statistics);
    expect(detail?.events.length).toBeGreaterThan(0);
    expect(detail?.lineups.length).toBeGreaterThan(0);
    expect(detail?.participants.map((p) => p.location)).toEqual(["home", "away"]);
    expect(detail?.quality).toEqual({ score: 100, reasons: [] });

    const anon = createSportsReader({ url: env.stack.supabaseUrl, apiKey: env.stack.keys.anon });
    await expect(anon.fixtureDetail(vars.fixture_id)).rejects.toThrow(/permission denied/);
    const response = await fetch(`${env.stack.supabaseUrl}/rest/v1/rpc/get_league_table`, {
      method: "POST",
      headers: { apikey: env.stack.keys.anon, Authorization: `Bearer ${env.stack.keys.anon}`, "Content-Type": "application/json" },
      body: JSON.stringify({ season_id: vars.season_id }),
    });
    expect(response.ok).toBe(false);
    expect(JSON.stringify(await response.json())).not.toContain('"points"');
  });

  it("a goal removed after full time leaves the events and the league table", async () => {
    const viewer = createSportsReader({ url: env.stack.supabaseUrl, apiKey: env.stack.keys.anon, accessToken: env.stack.keys.viewer });
    const tableBefore = await viewer.leagueTable(vars.season_id);
    const eventsBefore = await viewer.matchEvents(vars.fixture_id);
    const [stored] = await env.stack.query<{ payload: Row }>(
      `select to_jsonb(f) - 'collected_at' - 'content_hash' as payload from watermark.fixtures f where id = $1`,
      [vars.fixture_id],
    );
    const payload = stored?.payload as Row & { id: number; league_id: number; season_id: number; events: Row[]; scores: Row[] };
    const goal = [...payload.events].reverse().find((e) => e.type_id === 14) as Row;
    // The provider's correction: the goal is gone, and the scores that counted it go down.
    payload.events = payload.events.filter((e) => e.id !== goal.id);
    payload.scores = payload.scores.map((s) => {
      const counted =
        s.participant_id === goal.participant_id &&
        (s.type_id === 1525 ||
          (s.type_id === 1 && (goal.minute as number) <= 45) ||
          s.type_id === 2 ||
          (s.type_id === 48996 && (goal.minute as number) > 45));
      const score = s.score as { goals: number };
      return counted ? { ...s, score: { ...score, goals: score.goals - 1 } } : s;
    });
    const service = createRpcClient({ url: env.stack.supabaseUrl, apiKey: env.stack.keys.serviceRole, registry: collectorRpcs });
    await service.call("requeue_collection", { fixture_ids: [vars.fixture_id], reason: "test: a correction after full time" });
    const lease = await service.call("claim_chunk", { owner: "sports-test", season_id: vars.season_id });
    if (!lease) throw new Error("the requeued chunk could not be claimed");
    await service.call("upsert_fixture_batch", {
      chunk_id: lease.chunk_id,
      lease_token: lease.lease_token,
      fixtures: [payload],
      checkpoint: {},
    });
    await service.call("release_chunk", { chunk_id: lease.chunk_id, lease_token: lease.lease_token, outcome: "done" });

    const eventsAfter = await viewer.matchEvents(vars.fixture_id);
    expect(eventsAfter.map((e) => e.event_id)).toEqual(eventsBefore.map((e) => e.event_id).filter((id) => id !== goal.id));
    expect(eventsAfter.map((e) => e.ordinal)).toEqual(eventsAfter.map((_, i) => i + 1));
    const tableAfter = await viewer.leagueTable(vars.season_id);
    const team = (rows: typeof tableBefore) => rows.find((r) => r.team_id === goal.participant_id);
    expect(team(tableAfter)?.goals_for).toBe((team(tableBefore)?.goals_for ?? 0) - 1);
    expect(tableAfter.reduce((n, r) => n + r.goals_for, 0)).toBe(tableBefore.reduce((n, r) => n + r.goals_for, 0) - 1);
    expect((await viewer.fixtureDetail(vars.fixture_id))?.quality.reasons).toEqual([]);
  });

  it("every SQL block of docs/data.md runs and answers sensibly", async () => {
    expect(blocks).toHaveLength(Object.keys(QUERIES).length);
    // One fixture loses its lineups, so the quality query has something to explain.
    const [other] = await env.stack.query<{ id: string }>(
      `select id from watermark.fixtures where state_id = 5 and id <> $1 and jsonb_array_length(lineups) > 0 order by id limit 1`,
      [vars.fixture_id],
    );
    await env.stack.query(`update watermark.fixtures set lineups = '[]' where id = $1`, [other?.id]);
    const run = (sql: string) => env.stack.query<Row>(bind(sql, vars));

    const table = await run(QUERIES.leagueTable);
    expect(table).toHaveLength(6);
    for (const r of table) {
      expect(Number(r.points)).toBe(3 * Number(r.won) + Number(r.drawn));
      expect(Number(r.played)).toBe(Number(r.won) + Number(r.drawn) + Number(r.lost));
    }
    const sum = (rows: Row[], k: string) => rows.reduce((n, r) => n + Number(r[k]), 0);
    expect(sum(table, "goals_for")).toBe(await rawGoals());
    expect(sum(table, "goals_against")).toBe(sum(table, "goals_for"));
    const [finished] = await env.stack.query<{ n: string }>(
      `select count(*) as n from watermark.fixtures where season_id = $1 and state_id in (5, 7, 8)`,
      [vars.season_id],
    );
    expect(sum(table, "played")).toBe(2 * Number(finished?.n));
    const rpcTable = await createSportsReader({
      url: env.stack.supabaseUrl,
      apiKey: env.stack.keys.anon,
      accessToken: env.stack.keys.viewer,
    }).leagueTable(vars.season_id);
    expect(rpcTable.map((r) => [r.team_id, r.points, r.goal_difference])).toEqual(
      table.map((r) => [Number(r.team_id), Number(r.points), Number(r.goal_difference)]),
    );

    const scorers = await run(QUERIES.topScorers);
    expect(scorers.length).toBeGreaterThan(0);
    expect(scorers.length).toBeLessThanOrEqual(10);
    const rawScorers = await env.stack.query<{ player: string; n: string }>(
      `select e ->> 'player_id' as player, count(*) as n
         from watermark.fixtures f, jsonb_array_elements(f.events) e
        where f.season_id = $1 and (e ->> 'type_id')::int in (14, 16) group by 1`,
      [vars.season_id],
    );
    const rawByPlayer = new Map(rawScorers.map((r) => [Number(r.player), Number(r.n)]));
    for (const r of scorers) expect(Number(r.goals)).toBe(rawByPlayer.get(Number(r.player_id)));
    expect(Number(scorers[0]?.goals)).toBe(Math.max(...rawByPlayer.values()));

    const form = await run(QUERIES.lastFive);
    expect(form.length).toBeGreaterThan(0);
    expect(form.length).toBeLessThanOrEqual(5);
    for (const r of form) {
      const [gf, ga] = [Number(r.goals_for), Number(r.goals_against)];
      expect(r.result).toBe(gf > ga ? "W" : gf < ga ? "L" : "D");
    }
    const kickoffs = form.map((r) => new Date(r.starting_at as string).getTime());
    expect(kickoffs).toEqual([...kickoffs].sort((a, b) => b - a));

    const events = await run(QUERIES.matchEvents);
    const [count] = await env.stack.query<{ n: number }>(`select jsonb_array_length(events) as n from watermark.fixtures where id = $1`, [
      vars.fixture_id,
    ]);
    expect(events).toHaveLength(count?.n ?? -1);
    expect(events.map((e) => Number(e.ordinal))).toEqual(events.map((_, i) => i + 1));
    const minutes = events.map((e) => Number(e.minute));
    expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
    expect(events.every((e) => typeof e.type === "string" && typeof e.team === "string")).toBe(true);

    const possession = await run(QUERIES.possession);
    expect(possession).toHaveLength(6);
    for (const r of possession) expect(Number(r.avg_possession)).toBeGreaterThan(0);
    for (const r of possession) expect(Number(r.avg_possession)).toBeLessThan(100);
    const [statRows] = await env.stack.query<{ n: string }>(
      `select count(*) as n from watermark.fixtures f, jsonb_array_elements(f.statistics) s
        where f.season_id = $1 and (s ->> 'type_id')::int = 45`,
      [vars.season_id],
    );
    expect(sum(possession, "fixtures")).toBe(Number(statRows?.n));

    const quality = await run(QUERIES.quality);
    expect(quality.map((r) => Number(r.fixture_id))).toEqual([Number(other?.id)]);
    expect(quality[0]).toMatchObject({ score: 80, reasons: ["missing_lineups"] });
  });

  it("docs/data.md's statement opens the sports data, and only that, to anon", async () => {
    const anon = createSportsReader({ url: env.stack.supabaseUrl, apiKey: env.stack.keys.anon });
    await expect(anon.leagueTable(vars.season_id)).rejects.toThrow(/permission denied/);
    await env.stack.query(QUERIES.grant);
    expect(await anon.leagueTable(vars.season_id)).toHaveLength(6);
    expect((await anon.fixtureDetail(vars.fixture_id))?.events.length).toBeGreaterThan(0);
    const collection = createRpcClient({ url: env.stack.supabaseUrl, apiKey: env.stack.keys.anon, registry: collectorRpcs });
    await expect(collection.call("list_chunks", {})).rejects.toThrow(/permission denied/);
  });

  it("npm run rebuild:sports reproduces the model exactly", async () => {
    const before = await model();
    await env.stack.query(
      "delete from watermark.fixture_events; delete from watermark.fixture_lineups; delete from watermark.fixture_scores",
    );
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", "scripts/rebuild-sports-data.ts", "--json"], {
        env: { ...process.env, SUPABASE_URL: env.stack.supabaseUrl, SUPABASE_SERVICE_ROLE_KEY: env.stack.keys.serviceRole },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        err += c.toString();
      });
      child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`rebuild:sports exited ${code}: ${err}`))));
    });
    const report = JSON.parse(output) as { seasons: { season_id: number; counts: Record<string, number> }[] };
    expect(report.seasons.map((s) => s.season_id)).toEqual([vars.season_id]);
    expect(report.seasons[0]?.counts.events).toBe(before.fixture_events?.length);
    expect(await model()).toEqual(before);
  });
});
