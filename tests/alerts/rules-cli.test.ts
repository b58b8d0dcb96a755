// `npm run alerts` as an operator runs it: spawned against a private test stack.
// Rules are created and edited from flags, `list` shows for / repeat / channel,
// delivery settings change, and every bad flag is named with what it accepts.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
let stack: TestStack;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function alerts(...args: string[]): Promise<Run> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("SUPABASE_") && !k.startsWith("WATERMARK_") && k !== "SLACK_WEBHOOK_URL"),
  );
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/alerts.ts", ...args], {
    cwd: repoRoot,
    env: { ...base, SUPABASE_URL: stack.supabaseUrl, SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole, NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function rule(id: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await stack.query<Record<string, unknown>>(
    `select kind, threshold, pipeline, severity, window_seconds, for_seconds, repeat_seconds, channel, description, params, enabled
       from watermark.alert_rules where rule_id = $1`,
    [id],
  );
  return row;
}

beforeAll(async () => {
  stack = await createTestStack("alerts-cli");
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("npm run alerts: rules", () => {
  it("create takes every field of a rule as a flag", { timeout: 60_000 }, async () => {
    const run = await alerts(
      "create",
      "collect-slow",
      "--kind",
      "run_duration",
      "--threshold",
      "30",
      "--pipeline",
      "watermark",
      "--severity",
      "critical",
      "--window",
      "2h",
      "--for",
      "5m",
      "--repeat",
      "1h30m",
      "--channel",
      "ops",
      "--description",
      "Collection takes over 30 min",
      "--param",
      "min_samples=2",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /created collect-slow\s+run_duration\s+critical\s+> 30 min \(min_samples=2\)\s+watermark\s+5m\s+1h30m\s+ops/,
    );
    expect(await rule("collect-slow")).toEqual({
      kind: "run_duration",
      threshold: 30,
      pipeline: "watermark",
      severity: "critical",
      window_seconds: 7200,
      for_seconds: 300,
      repeat_seconds: 5400,
      channel: "ops",
      description: "Collection takes over 30 min",
      params: { min_samples: 2 },
      enabled: true,
    });
    const [audit] = await stack.query<{ actor: string }>(
      "select actor from watermark.audit_log where action = 'create_alert_rule' and target = 'collect-slow'",
    );
    expect(audit?.actor).toBe("service_role");
  });

  it("edit changes only what its flags name, and list shows for, repeat and channel", { timeout: 60_000 }, async () => {
    await alerts("create", "edit-me", "--kind", "error_rate", "--threshold", "5", "--param", "min_samples=3");
    const run = await alerts(
      "edit",
      "edit-me",
      "--threshold",
      "12.5",
      "--for",
      "10m",
      "--repeat",
      "never",
      "--channel",
      "default",
      "--param",
      "samples=7",
      "--disable",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await rule("edit-me")).toMatchObject({
      threshold: 12.5,
      for_seconds: 600,
      repeat_seconds: null,
      channel: null,
      params: { min_samples: 3, samples: 7 },
      enabled: false,
      severity: "warning",
    });

    const list = await alerts("list");
    expect(list.code).toBe(0);
    const lines = list.stdout.split("\n");
    expect(lines[0]).toMatch(/^RULE\s+KIND\s+SEVERITY\s+FIRES WHEN\s+PIPELINE\s+FOR\s+REPEAT\s+CHANNEL$/);
    expect(lines.find((l) => l.startsWith("edit-me "))).toMatch(
      /^edit-me\s+error_rate\s+warning\s+> 12\.5 %.*\s+all\s+10m\s+never\s+default\s+disabled$/,
    );
    expect(lines.find((l) => l.startsWith("error-rate "))).toMatch(/\s+all\s+0s\s+4h\s+default$/);
  });

  it("--remediation turns a rule's requeue of failed chunks on and off, and list shows it", { timeout: 60_000 }, async () => {
    const remediation = async (id: string) =>
      (await stack.query<{ remediation: string | null }>("select remediation from watermark.alert_rules where rule_id = $1", [id]))[0]
        ?.remediation;
    expect(await remediation("consecutive-failures")).toBeNull();
    const on = await alerts("edit", "consecutive-failures", "--remediation", "requeue_failed_chunks");
    expect(on.stderr).toBe("");
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^updated consecutive-failures\s.*\son firing: requeue_failed_chunks$/m);
    expect(await remediation("consecutive-failures")).toBe("requeue_failed_chunks");
    const [audit] = await stack.query<{ details: unknown }>(
      "select details from watermark.audit_log where action = 'update_alert_rule' and target = 'consecutive-failures' order by audit_id desc limit 1",
    );
    expect(audit?.details).toEqual({ remediation: "requeue_failed_chunks" });
    const list = await alerts("list");
    expect(list.stdout.split("\n").find((l) => l.startsWith("consecutive-failures "))).toMatch(
      /\s+all\s+0s\s+4h\s+default\s+on firing: requeue_failed_chunks$/,
    );

    const off = await alerts("edit", "consecutive-failures", "--remediation", "none");
    expect(off.code).toBe(0);
    expect(await remediation("consecutive-failures")).toBeNull();

    const created = await alerts(
      "create",
      "collect-fails",
      "--kind",
      "consecutive_failures",
      "--threshold",
      "2",
      "--pipeline",
      "watermark",
      "--remediation",
      "requeue_failed_chunks",
    );
    expect(created.stderr).toBe("");
    expect(await remediation("collect-fails")).toBe("requeue_failed_chunks");

    const unknown = await alerts("edit", "consecutive-failures", "--remediation", "restart");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('--remediation: "restart" is not a remediation; use requeue_failed_chunks or none');
    const global = await alerts("edit", "delivery-failing", "--remediation", "requeue_failed_chunks");
    expect(global.code).toBe(1);
    expect(global.stderr.trim()).toBe(
      "--remediation: requeue_failed_chunks requeues the collection chunks of pipeline watermark; a delivery_failing rule has none",
    );
    expect(await remediation("delivery-failing")).toBeNull();
  });

  it("a bad duration names the flag and the accepted forms", { timeout: 60_000 }, async () => {
    const run = await alerts("edit", "error-rate", "--for", "5x");
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('--for: duration "5x": use 30s, 5m, 2h, 1d (or combined, e.g. 1h30m)');
    const range = await alerts("create", "r2", "--kind", "error_rate", "--threshold", "5", "--repeat", "10s");
    expect(range.stderr.trim()).toBe('--repeat: duration "10s" is out of range: use 1m to 30d');
    const mute = await alerts("mute", "error-rate", "soon");
    expect(mute.stderr.trim()).toBe('duration "soon": use 30s, 5m, 2h, 1d (or combined, e.g. 1h30m)');
    expect(await rule("r2")).toBeUndefined();
  });

  it("what the database refuses is reported under the flag that set it", { timeout: 60_000 }, async () => {
    const kind = await alerts("create", "r3", "--kind", "nope", "--threshold", "1");
    expect(kind.code).toBe(1);
    expect(kind.stderr.trim()).toMatch(
      /^--kind: unknown kind 'nope'; use one of consecutive_failures, data_completeness, data_freshness, /,
    );
    const threshold = await alerts("edit", "error-rate", "--threshold", "150");
    expect(threshold.stderr.trim()).toBe("--threshold: is a percentage: use 0 to 100");
    const notNumber = await alerts("edit", "error-rate", "--threshold", "lots");
    expect(notNumber.stderr.trim()).toBe('--threshold: "lots" is not a number; e.g. 5 or 2.5');
    const param = await alerts("edit", "volume-anomaly", "--param", "bogus=1");
    expect(param.stderr.trim()).toBe("--param bogus: unknown parameter; use min_samples, samples or interval_seconds");
    const severity = await alerts("edit", "error-rate", "--severity", "loud");
    expect(severity.stderr.trim()).toBe('--severity: "loud" is not a severity; use info, warning or critical');
    const missing = await alerts("create", "r4", "--threshold", "1");
    expect(missing.stderr.trim()).toBe("--kind: required; e.g. --kind error_rate (see `npm run alerts -- --help`)");
    const kindChange = await alerts("edit", "error-rate", "--kind", "run_duration");
    expect(kindChange.stderr.trim()).toBe("--kind: a rule's kind cannot change; create a new rule with `npm run alerts -- create`");
    expect(await rule("error-rate")).toMatchObject({ threshold: 5, severity: "warning" });
  });
});

describe("npm run alerts: data completeness", () => {
  it("creates a data_completeness rule for a league and season from --league and --season", { timeout: 60_000 }, async () => {
    await stack.query(`select public.sync_collection_catalog('[{"id": 8, "name": "Premier League"}]',
                                                             '[{"id": 23614, "league_id": 8, "name": "2024/2025"}]')`);
    const run = await alerts(
      "create",
      "epl-complete",
      "--kind",
      "data_completeness",
      "--threshold",
      "95",
      "--league",
      "8",
      "--season",
      "23614",
      "--for",
      "1h",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await rule("epl-complete")).toMatchObject({
      kind: "data_completeness",
      threshold: 95,
      pipeline: null,
      for_seconds: 3600,
      params: { league_id: 8, season_id: 23614 },
    });
    const edit = await alerts("edit", "epl-complete", "--season", "all");
    expect(edit.code).toBe(0);
    expect((await rule("epl-complete"))?.params).toEqual({ league_id: 8 });
    const list = await alerts("list");
    expect(list.stdout.split("\n").find((l) => l.startsWith("epl-complete "))).toMatch(/< 95 % \(league_id=8\)\s+all\s+1h/);
  });

  it("its flags are checked: ids, no pipeline, and no league on other kinds", { timeout: 60_000 }, async () => {
    const notId = await alerts("create", "c1", "--kind", "data_completeness", "--threshold", "90", "--season", "2024/25");
    expect(notId.stderr.trim()).toBe('--season: "2024/25" is not a whole number; e.g. 3');
    const zero = await alerts("create", "c1", "--kind", "data_completeness", "--threshold", "90", "--league", "0");
    expect(zero.stderr.trim()).toBe("--league: must be a positive id (list_chunks shows the leagues and seasons)");
    const pipeline = await alerts("create", "c1", "--kind", "data_completeness", "--threshold", "90", "--pipeline", "watermark");
    expect(pipeline.stderr.trim()).toMatch(/^--pipeline: data_completeness rules watch leagues and seasons, not pipelines/);
    const otherKind = await alerts("edit", "error-rate", "--league", "8");
    expect(otherKind.stderr.trim()).toBe("--league: only data_completeness rules take a league or season; error_rate rules do not");
    expect(await rule("c1")).toBeUndefined();
  });
});

describe("npm run alerts: delivery settings", () => {
  it("settings shows and changes retries, backoff and when delivery-failing fires", { timeout: 60_000 }, async () => {
    const shown = await alerts("settings");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("max attempts            10 per notification, then dead");
    expect(shown.stdout).toContain("backoff                 30s doubling, at most 30m");
    expect(shown.stdout).toContain("delivery-failing fires  after 3 failed attempts in a row, or 10m without a delivery");

    const changed = await alerts(
      "settings",
      "--max-attempts",
      "6",
      "--backoff-base",
      "10s",
      "--backoff-max",
      "5m",
      "--failing-after-failures",
      "2",
      "--failing-after",
      "4m",
    );
    expect(changed.stderr).toBe("");
    expect(changed.stdout).toContain("max attempts            6 per notification, then dead");
    expect(changed.stdout).toContain("backoff                 10s doubling, at most 5m");
    expect(changed.stdout).toContain("after 2 failed attempts in a row, or 4m without a delivery");
    const [audit] = await stack.query<{ details: unknown }>(
      "select details from watermark.audit_log where action = 'set_alert_delivery_settings' order by audit_id desc limit 1",
    );
    expect(audit?.details).toEqual({
      max_attempts: 6,
      backoff_base_seconds: 10,
      backoff_max_seconds: 300,
      failing_after_failures: 2,
      failing_after_seconds: 240,
    });

    const bad = await alerts("settings", "--max-attempts", "0");
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("--max-attempts: must be between 1 and 100: attempts per notification before it is dead (default 10)");
    const order = await alerts("settings", "--backoff-max", "5s");
    expect(order.stderr.trim()).toBe("--backoff-max: must be at least backoff_base_seconds (10); raise it or lower backoff_base_seconds");
    const duration = await alerts("settings", "--failing-after", "30s");
    expect(duration.stderr.trim()).toBe('--failing-after: duration "30s" is out of range: use 1m to 1d');
  });
});
