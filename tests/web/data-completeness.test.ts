// Data completeness per league and season where users look for it: the web dashboard's Data
// page in a real browser (Debian's chromium), `npm run dashboard -- --data` and its export, all
// against a private test stack holding a known set of fixtures.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDashboardServer } from "@watermark/dashboard/server";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDashboardCli } from "../support/dashboard-cli.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let browser: Browser | undefined;

const dashboard = (args: string[]) => runDashboardCli(stack, args, { NO_COLOR: "1" });

beforeAll(async () => {
  stack = await createTestStack("data-completeness");
  // League 8, season 100: four finished fixtures collected (one complete, one without lineups,
  // two without lineups or statistics) and one finished but only registered. Season 200: one
  // complete fixture.
  await stack.query(`
    create function pg_temp.fixture(fid integer, season integer, lineups boolean, statistics boolean) returns jsonb language sql as $$
      select jsonb_build_object('id', fid, 'league_id', 8, 'season_id', season, 'state_id', 5, 'name', 'x', 'starting_at', '2025-01-01 15:00:00',
        'participants', '[{"id": 1}, {"id": 2}]'::jsonb,
        'scores', '[{"type_id": 1525, "participant_id": 1, "score": {"goals": 1}}, {"type_id": 1525, "participant_id": 2, "score": {"goals": 0}}]'::jsonb,
        'events', jsonb_build_array(jsonb_build_object('id', fid * 10, 'type_id', 14, 'participant_id', 1, 'player_id', 9)),
        'lineups', case when lineups then '[{"id": 1, "team_id": 1, "player_id": 9, "type_id": 11}]'::jsonb else '[]' end,
        'statistics', case when statistics then '[{"type_id": 45, "participant_id": 1, "data": {"value": 50}}]'::jsonb else '[]' end)
    $$;
    select public.sync_collection_catalog('[{"id": 8, "name": "Premier League"}]',
      '[{"id": 100, "league_id": 8, "name": "2024/2025"}, {"id": 200, "league_id": 8, "name": "2025/2026"}]');
    create temp table lease as select s as season_id, c ->> 'chunk_id' as chunk_id, (c ->> 'lease_token')::uuid as token
      from (select s, public.claim_chunk('t', 60, season_id => s) as c from unnest(array[100, 200]) s) x;
    select public.register_chunk_fixtures(chunk_id, token,
      '[{"id": 105, "season_id": 100, "state_id": 5, "starting_at": "2025-01-01 15:00:00"}]') from lease where season_id = 100;
    select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(101, 100, true, true),
      pg_temp.fixture(102, 100, false, true), pg_temp.fixture(103, 100, false, false), pg_temp.fixture(104, 100, false, false)), '{}')
      from lease where season_id = 100;
    select public.upsert_fixture_batch(chunk_id, token, jsonb_build_array(pg_temp.fixture(201, 200, true, true)), '{}')
      from lease where season_id = 200;
  `);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("data completeness", () => {
  it("the web dashboard's Data page shows each league and season, and its threshold filter", async () => {
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    const server = await startDashboardServer({ supabaseUrl: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken: stack.keys.viewer });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(`${server.url}#/data`);
      await page.waitForSelector("#data-quality tbody tr:has-text('2024/2025')");
      expect(await page.getAttribute("nav a[data-section='data']", "aria-current")).toBe("page");
      const row = (season: string) => page.locator(`#data-quality tbody tr:has-text('${season}')`).locator("td").allTextContents();
      // league, season, collected/known, finished, lineups, statistics, players, scores agree, complete, avg, below 80, reasons
      expect(await row("2024/2025")).toEqual([
        "Premier League",
        "2024/2025",
        "4 / 5",
        "5",
        "25.0 %",
        "50.0 %",
        "100.0 %",
        "100.0 %",
        "20.0 %",
        "75",
        "2",
        "missing lineups (2), no statistics (2)",
      ]);
      expect((await row("2025/2026"))[8]).toBe("100.0 %");
      expect(await page.locator("#data-quality th").nth(10).textContent()).toBe("below 80");
      const cards = await page.locator("#data-cards .card").allTextContents();
      expect(cards).toEqual([
        "2leagues × seasons",
        "5 / 6fixtures collected / known",
        "33.3 %finished fixtures complete",
        "2fixtures below 80",
      ]);

      // A stricter threshold counts the fixture missing only its lineups too, and stays in the URL.
      await page.selectOption("#data-below", "100");
      await page.waitForSelector("#data-quality th:has-text('below 100')");
      expect(page.url()).toMatch(/#\/data\?below=100$/);
      expect((await row("2024/2025")).slice(10)).toEqual(["3", "missing lineups (3), no statistics (2)"]);
      expect(await page.isHidden("#error")).toBe(true);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it("npm run dashboard -- --data prints it, as text or JSON, for one league or season", async () => {
    const run = await dashboard(["--data"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Data completeness per league and season/);
    expect(run.stdout).toMatch(
      /Premier League\s+2024\/2025\s+4\/5\s+5\s+25\.0 %\s+50\.0 %\s+100\.0 %\s+100\.0 %\s+20\.0 %\s+75\s+2\s+missing_lineups \(2\), no_statistics \(2\)/,
    );
    const json = await dashboard(["--data", "--season", "200", "--below", "100", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { below_score: number; seasons: Array<{ season_id: number; complete_percent: number }> };
    expect(doc.below_score).toBe(100);
    expect(doc.seasons.map((s) => [s.season_id, s.complete_percent])).toEqual([[200, 100]]);
    const bad = await dashboard(["--data", "--below", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--below: expected a whole number from 1 to 100, got "0"');
    const alone = await dashboard(["--season", "200"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--season: only applies to --data and --export --include data");
  });

  it("--export --include data writes it to the JSON document or its own CSV file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wm-export-data-"));
    const json = await dashboard(["--export", path.join(dir, "etl.json"), "--include", "data", "--league", "8"]);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(dir, "etl.json"), "utf8")) as { data: Array<Record<string, unknown>> };
    expect(doc.data.map((r) => [r.season_id, r.collected, r.fixtures])).toEqual([
      [100, 4, 5],
      [200, 1, 1],
    ]);
    const csv = await dashboard(["--export", path.join(dir, "etl.csv"), "--include", "data"]);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = readFileSync(path.join(dir, "etl.data.csv"), "utf8").split("\r\n");
    expect(lines[0]).toBe(
      "league_id,league_name,season_id,season_name,fixtures,collected,collected_percent,finished,with_lineups_percent,with_statistics_percent,events_with_players_percent,scores_agree_percent,complete_percent,avg_quality_score,min_quality_score,below_threshold,below_threshold_reasons",
    );
    expect(lines[1]).toBe(
      '8,Premier League,100,2024/2025,5,4,80,5,25,50,100,100,20,75,60,2,"[{""reason"":""missing_lineups"",""fixtures"":2},{""reason"":""no_statistics"",""fixtures"":2}]"',
    );
  });
});
