// `npm run collect` flag parsing: the seed's flags, strict values, contradictions.
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../scripts/collect/args.ts";
import { ConfigError, readCollectConfig } from "../../scripts/collect/config.ts";

describe("parseArgs", () => {
  it("maps the seed's flags to collect options", () => {
    const args = parseArgs(
      [
        "--league-id",
        "82",
        "--season-id=23026",
        "--max-fixtures",
        "10",
        "--max-chunks",
        "2",
        "--batch-size",
        "10",
        "--min-fixtures",
        "0",
        "--clear-checkpoint",
        "--verbose",
        "--track-performance",
        "--export-metrics",
        "m.json",
        "--json",
        "--time-budget",
        "90",
      ],
      "me",
    );
    expect(args).toMatchObject({ json: true, verbose: true, exportMetrics: "m.json" });
    expect(args.options).toEqual({
      owner: "me",
      timeBudgetMs: 90_000,
      leagueId: 82,
      seasonId: 23026,
      maxFixtures: 10,
      maxChunks: 2,
      batchSize: 10,
      minFixtures: 0,
      clearCheckpoint: true,
      trackPerformance: true,
    });
  });
  it("rejects what it cannot run", () => {
    expect(() => parseArgs(["--batch-size", "51"], "me")).toThrow(
      '--batch-size: "51" is not valid; use 1-50: fixtures/multi takes at most 50 ids',
    );
    expect(() => parseArgs(["--batch-size", "0"], "me")).toThrow(UsageError);
    expect(() => parseArgs(["--league-id"], "me")).toThrow("--league-id: needs a value");
    expect(() => parseArgs(["--league-id", "--dry-run"], "me")).toThrow("--league-id: needs a value");
    expect(() => parseArgs(["--bogus"], "me")).toThrow("unknown option --bogus");
    expect(() => parseArgs(["--continue", "--clear-checkpoint"], "me")).toThrow("contradict");
    expect(() => parseArgs(["--dry-run", "--clear-checkpoint"], "me")).toThrow("--dry-run writes nothing");
    expect(() => parseArgs(["--requeue"], "me")).toThrow("--requeue: say what to collect again with --league-id or --season-id");
    expect(() => parseArgs(["--requeue-fixtures", "12,x"], "me")).toThrow(
      '--requeue-fixtures: "12,x" is not valid; use fixture ids separated by commas',
    );
    expect(() => parseArgs(["--dry-run", "--requeue-fixtures", "12"], "me")).toThrow("cannot requeue");
  });

  it("maps the requeue flags", () => {
    expect(parseArgs(["--season-id", "7", "--requeue"], "me").options).toMatchObject({ seasonId: 7, requeue: true });
    expect(parseArgs(["--requeue-fixtures", "12, 13"], "me").options).toMatchObject({ requeueFixtureIds: [12, 13] });
  });
});

describe("readCollectConfig", () => {
  const noStack = () => {
    throw new Error("not running");
  };
  it("names every missing variable and its fix (seed 001's troubleshooting)", () => {
    expect(() => readCollectConfig({}, noStack)).toThrow(ConfigError);
    expect(() => readCollectConfig({}, noStack)).toThrow(
      "❌ Missing environment variables: SPORTMONKS_API_KEY, SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY",
    );
  });
  it("falls back to the running local stack for Supabase only", () => {
    const config = readCollectConfig({ SPORTMONKS_API_KEY: "k" }, () => ({
      SUPABASE_URL: "http://127.0.0.1:1",
      SUPABASE_SERVICE_ROLE_KEY: "s",
    }));
    expect(config).toMatchObject({ supabaseUrl: "http://127.0.0.1:1", serviceRoleKey: "s", supabaseSource: "local stack" });
  });
  it("rejects a base URL that is not http(s)", () => {
    expect(() =>
      readCollectConfig({
        SPORTMONKS_API_KEY: "k",
        SPORTMONKS_BASE_URL: "ftp://x",
        SUPABASE_URL: "http://a",
        SUPABASE_SERVICE_ROLE_KEY: "s",
      }),
    ).toThrow("SPORTMONKS_BASE_URL must be an http(s) URL");
  });
});
