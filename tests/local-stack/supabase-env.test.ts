// resolveSupabaseEnv: the one rule every CLI uses to find its Supabase project — explicit settings
// win, otherwise the running local stack's — and the dashboard's and collect's use of it.
import { describe, expect, it } from "vitest";
import { readCollectConfig } from "../../scripts/collect/config.ts";
import { resolveCredentials } from "../../scripts/dashboard/credentials.ts";
import { hasSupabaseSettings, resolveSupabaseEnv } from "../../scripts/local/stack-control.ts";

const stack = () => ({
  DATABASE_URL: "postgresql://postgres:p@127.0.0.1:1/postgres",
  SUPABASE_URL: "http://127.0.0.1:2",
  SUPABASE_ANON_KEY: "stack-anon",
  SUPABASE_SERVICE_ROLE_KEY: "stack-service",
  WATERMARK_VIEWER_JWT: "stack-viewer",
});
const noStack = () => {
  throw new Error("the local stack is not running");
};

describe("resolveSupabaseEnv", () => {
  it("uses the caller's settings as they are when any is set, without consulting the stack", () => {
    const env = { SUPABASE_URL: "https://abc.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "mine" };
    expect(resolveSupabaseEnv(env, noStack)).toEqual({ env, source: "environment" });
    // A partial set is not completed from the stack: the CLI's schema reports what is missing.
    const partial = { WATERMARK_VIEWER_JWT: "mine" };
    expect(resolveSupabaseEnv(partial, stack)).toEqual({ env: partial, source: "environment" });
  });

  it("otherwise takes the running stack's settings, keeping the caller's other variables", () => {
    const resolved = resolveSupabaseEnv({ SLACK_WEBHOOK_URL: "https://hooks.slack.com/x", SUPABASE_URL: "  " }, stack);
    expect(resolved.source).toBe("local stack");
    expect(resolved.env).toMatchObject({ ...stack(), SLACK_WEBHOOK_URL: "https://hooks.slack.com/x" });
  });

  it("says none when nothing is set and the stack is not running", () => {
    expect(resolveSupabaseEnv({ SPORTMONKS_API_KEY: "k" }, noStack)).toEqual({ env: { SPORTMONKS_API_KEY: "k" }, source: "none" });
  });

  it("counts the API settings, not unrelated variables, as explicit", () => {
    expect(hasSupabaseSettings({ DATABASE_URL: "postgresql://x", SLACK_WEBHOOK_URL: "https://x" })).toBe(false);
    expect(hasSupabaseSettings({ SUPABASE_ANON_KEY: "a" })).toBe(true);
    expect(hasSupabaseSettings({ SUPABASE_URL: "" })).toBe(false);
  });
});

describe("the CLIs apply it", () => {
  it("dashboard: the viewer JWT of whichever side wins, and a clear error with neither", () => {
    expect(resolveCredentials({}, stack)).toEqual({
      url: "http://127.0.0.1:2",
      apiKey: "stack-anon",
      accessToken: "stack-viewer",
      source: "local stack: viewer JWT",
    });
    expect(resolveCredentials({ SUPABASE_URL: "https://abc.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "s" }, stack)).toMatchObject({
      url: "https://abc.supabase.co",
      apiKey: "s",
      source: "environment: service role key",
    });
    expect(() => resolveCredentials({}, noStack)).toThrow(/^SUPABASE_URL is not set and the local stack is not running; /);
  });

  it("collect: a key without its URL is an error, not mixed with the stack's URL", () => {
    expect(() => readCollectConfig({ SPORTMONKS_API_KEY: "k", SUPABASE_SERVICE_ROLE_KEY: "mine" }, stack)).toThrow(
      "❌ Missing environment variables: SUPABASE_URL",
    );
  });
});
