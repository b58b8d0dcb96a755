// npm start decides where it runs from the environment alone, before starting
// anything, and says exactly what to set when the configuration is partial; its
// summary reports the simulator's rate-limit use truthfully.
import { describe, expect, it } from "vitest";
import { parseStartArgs, resolveStartMode, StartConfigError } from "../../scripts/start/config.ts";
import { simulatorRateLimitLine } from "../../scripts/start/summary.ts";

const gateway = "http://127.0.0.1:54321";

describe("npm start configuration", () => {
  it("uses the local stack and the simulator with no configuration", () => {
    expect(resolveStartMode({})).toEqual({ kind: "local", sportmonks: null });
  });

  it("treats the local stack's own env (stack -- env) as local", () => {
    expect(resolveStartMode({ SUPABASE_URL: `${gateway}/`, SUPABASE_SERVICE_ROLE_KEY: "k" }, gateway)).toEqual({
      kind: "local",
      sportmonks: null,
    });
  });

  it("collects the real API into the local stack with only SPORTMONKS_API_KEY", () => {
    expect(resolveStartMode({ SPORTMONKS_API_KEY: "token" })).toEqual({ kind: "local", sportmonks: { apiKey: "token" } });
  });

  it("runs against a project when all three are set", () => {
    expect(
      resolveStartMode(
        { SUPABASE_URL: "https://abc.supabase.co/", SUPABASE_SERVICE_ROLE_KEY: "service", SPORTMONKS_API_KEY: "token" },
        gateway,
      ),
    ).toEqual({ kind: "remote", supabaseUrl: "https://abc.supabase.co", serviceRoleKey: "service" });
  });

  it("names what is missing when the project configuration is partial", () => {
    const fix =
      "set SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SPORTMONKS_API_KEY to run against your project, or unset SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY to use the local stack and simulator";
    expect(() => resolveStartMode({ SUPABASE_URL: "https://abc.supabase.co" })).toThrow(
      new StartConfigError(`SUPABASE_SERVICE_ROLE_KEY is not set; SPORTMONKS_API_KEY is not set; ${fix}`),
    );
    expect(() => resolveStartMode({ SUPABASE_SERVICE_ROLE_KEY: "service", SPORTMONKS_API_KEY: "token" })).toThrow(
      new StartConfigError(`SUPABASE_URL is not set; ${fix}`),
    );
    expect(() => resolveStartMode({ SUPABASE_URL: "not a url", SUPABASE_SERVICE_ROLE_KEY: "s", SPORTMONKS_API_KEY: "t" })).toThrow(
      /^SUPABASE_URL must be an http\(s\) URL/,
    );
  });

  it("takes any Supabase setting as asking for a project, like every other CLI (resolveSupabaseEnv)", () => {
    expect(() => resolveStartMode({ SUPABASE_ANON_KEY: "anon" }, gateway)).toThrow(
      /^SUPABASE_URL is not set; SUPABASE_SERVICE_ROLE_KEY is not set; SPORTMONKS_API_KEY is not set; /,
    );
    expect(resolveStartMode({ DATABASE_URL: "postgresql://x", SLACK_WEBHOOK_URL: "https://x" })).toEqual({
      kind: "local",
      sportmonks: null,
    });
  });

  it("rejects a base URL without a token, and a bad base URL", () => {
    expect(() => resolveStartMode({ SPORTMONKS_BASE_URL: "http://127.0.0.1:9/v3/football" })).toThrow(
      "SPORTMONKS_BASE_URL is set but SPORTMONKS_API_KEY is not: set the API token too, or unset SPORTMONKS_BASE_URL to use the simulator",
    );
    expect(() => resolveStartMode({ SPORTMONKS_API_KEY: "t", SPORTMONKS_BASE_URL: "ftp://x" })).toThrow(
      /^SPORTMONKS_BASE_URL must be an http\(s\) URL/,
    );
  });

  it("validates its flags", () => {
    expect(parseStartArgs([])).toEqual({ timeoutMinutes: 30, help: false });
    expect(parseStartArgs(["--timeout-minutes", "5"])).toEqual({ timeoutMinutes: 5, help: false });
    expect(() => parseStartArgs(["--timeout-minutes", "0"])).toThrow(
      "--timeout-minutes 0: give a whole number of minutes between 1 and 1440",
    );
    expect(() => parseStartArgs(["--bogus"])).toThrow(StartConfigError);
  });
});

describe("npm start summary", () => {
  it("reports the simulator's current hourly windows, not its calls since it started", () => {
    const line = simulatorRateLimitLine({
      rateLimits: {
        League: { used: 3, limit: 3000, remaining: 2997, resetsInSeconds: 3540 },
        Fixture: { used: 150, limit: 3000, remaining: 2850, resetsInSeconds: 61 },
      },
      rateLimited: 2,
    });
    expect(line).toBe(
      "rate limits:  Fixture 150/3000 (5.0 %, resets in 2 min), League 3/3000 (0.1 %, resets in 59 min) in the simulator's current hourly windows; 2 real 429s since the simulator started",
    );
    expect(simulatorRateLimitLine({ rateLimits: {}, rateLimited: 0 })).toBe(
      "rate limits:  no calls in the current hour; 0 real 429s since the simulator started",
    );
    const older = { rateLimited: 1 } as Parameters<typeof simulatorRateLimitLine>[0];
    expect(simulatorRateLimitLine(older)).toMatch(/^rate limits: {2}unknown \(the running simulator predates per-window stats/);
  });
});
