// `npm run dashboard` as a user runs it: spawned against a private test stack.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertRpcs } from "../../packages/core/src/alerts/index.ts";
import { EtlMonitor } from "../../packages/core/src/monitoring/index.ts";
import { createRpcClient } from "../../packages/core/src/rpc/index.ts";
import { runDashboardCli } from "../support/dashboard-cli.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let executionId: string;

const dashboard = (args: string[], env: Record<string, string | undefined> = {}) => runDashboardCli(stack, args, env);

beforeAll(async () => {
  stack = await createTestStack("dashboard-cli");
  const rpc = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole });
  const outcome = await new EtlMonitor({ rpc, pipeline: "watermark", component: "CHUNK_PROCESSOR", console: { level: "off" } }).run(
    async ({ logger, metrics, progress }) => {
      await logger.child({ chunkId: "2451_23026" }).info("Processing chunk 1/10: 2451_23026");
      await logger.warning('slow response, with "quotes", commas');
      await logger.child({ component: "ALERT_MANAGER" }).error("Fixture 19154664 failed", { status: 500 });
      await metrics.recordMetric("chunk_duration", 45.5, { unit: "s" });
      await metrics.recordMetric("chunk_duration", 120.5, { unit: "s" });
      progress({ totalFixtures: 10, processedFixtures: 10, successfulFixtures: 9, failedFixtures: 1 });
    },
  );
  executionId = outcome.executionId;
});
afterAll(async () => {
  await stack?.close();
});

describe("dashboard CLI", () => {
  it("prints the health overview as plain text when not on a TTY", async () => {
    const run = await dashboard([]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ETL health");
    expect(run.stdout).toMatch(/Executions:\s+1/);
    expect(run.stdout).toMatch(/Completed:\s+1/);
    expect(run.stdout).toContain("Fixture 19154664 failed");
    expect(run.stdout).toContain("chunk_duration");
    expect(run.stdout).not.toContain("\x1b[");
  });

  it("shows each schedule's state: active, paused with its reason and how to resume, disabled", async () => {
    await stack.query(
      `update watermark.function_schedules set paused_at = now(), paused_reason = 'HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY'
        where function_name = 'collect'`,
    );
    await stack.query("update watermark.function_schedules set enabled = false where function_name = 'alerts'");
    try {
      const run = await dashboard([]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^\s*alerts\s+\* \* \* \* \*\s+disabled\b/m);
      expect(run.stdout).toMatch(/^\s*collect\s+\S+ \* \* \* \*\s+paused\b/m);
      expect(run.stdout).toMatch(
        /^\s+collect paused since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY; fix it, then resume_function_schedule\('collect'\)$/m,
      );
      const json = JSON.parse((await dashboard(["--json"])).stdout);
      expect(json.schedules.map((s: { function_name: string; state: string }) => [s.function_name, s.state])).toEqual(
        expect.arrayContaining([
          ["alerts", "disabled"],
          ["collect", "paused"],
        ]),
      );
      await stack.query("select public.resume_function_schedule('collect')");
      await stack.query("update watermark.function_schedules set enabled = true where function_name = 'alerts'");
      expect((await dashboard([])).stdout).toMatch(/^\s*collect\s+\S+ \* \* \* \*\s+active\b/m);
    } finally {
      await stack.query("update watermark.function_schedules set paused_at = null, paused_reason = null, enabled = true");
    }
  });

  it("--json gives machine output", async () => {
    const run = await dashboard(["--json"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.health).toMatchObject({ total_executions: 1, completed: 1 });
    expect(doc.executions[0].execution_id).toBe(executionId);
    expect(doc.metrics[0]).toMatchObject({ metric_name: "chunk_duration", samples: 2, max: 120.5 });
  });

  it("shows the collection backlog: chunks and calls needing work, workers, the time to drain it", async () => {
    const idle = await dashboard([]);
    expect(idle.stdout).toContain("Nothing to collect now");
    await stack.query("insert into watermark.leagues (id) values (901)");
    await stack.query("insert into watermark.seasons (id, league_id) values (9011, 901), (9012, 901)");
    await stack.query(
      "insert into watermark.chunks (chunk_id, league_id, season_id) values ('901_9011', 901, 9011), ('901_9012', 901, 9012)",
    );
    try {
      const run = await dashboard([]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^\s+chunks needing work\s+2 claimable · 0 being worked · 2 not yet discovered$/m);
      expect(run.stdout).toMatch(/^\s+workers\s+0 running · 0 starting \/ 1 allowed$/m);
      expect(run.stdout).toMatch(/^\s+time to drain\s+\S+ expected \(rate-limit bound/m);
      const json = JSON.parse((await dashboard(["--json"])).stdout);
      expect(json.backlog).toMatchObject({ chunks_claimable: 2, chunks_undiscovered: 2, calls_needed: 2, workers: { max: 1 } });
    } finally {
      await stack.query("delete from watermark.chunks where league_id = 901");
      await stack.query("delete from watermark.seasons where league_id = 901");
      await stack.query("delete from watermark.leagues where id = 901");
    }
  });

  it("--execution-id shows the summary and its logs", async () => {
    const run = await dashboard(["--execution-id", executionId]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Execution ${executionId}`);
    expect(run.stdout).toMatch(/Status:\s+COMPLETED/);
    expect(run.stdout).toMatch(/Success rate:\s+90%/);
    expect(run.stdout).toContain("chunk:2451_23026");
  });

  it("--execution-id of an unknown run fails with the API's message", async () => {
    const run = await dashboard(["--execution-id", "etl_missing"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("WM002: execution_id: execution 'etl_missing' not found");
  });

  it("--logs filters by level, component and limit", async () => {
    const run = await dashboard(["--logs", "--level", "warning", "--json"]);
    expect(JSON.parse(run.stdout).map((l: { level: string }) => l.level)).toEqual(["ERROR", "WARNING"]);
    const byComponent = await dashboard(["--logs", "--component", "ALERT_MANAGER", "--limit", "5", "--json"]);
    expect(JSON.parse(byComponent.stdout).map((l: { message: string }) => l.message)).toEqual(["Fixture 19154664 failed"]);
    const limited = await dashboard(["--logs", "--limit", "1"]);
    expect(limited.stdout).toContain("Fixture 19154664 failed");
    expect(limited.stdout).not.toContain("Processing chunk");
  });

  it("--metrics --hours summarises metrics", async () => {
    const run = await dashboard(["--metrics", "--hours", "1"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/chunk_duration\s+s\s+2\s+83/);
  });

  it("--alerts shows active alerts and undelivered notifications, read through the alert RPCs", async () => {
    const alerts = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole, registry: alertRpcs });
    // No webhook in this private database: the test message waits in the outbox.
    const id = await alerts.call("send_test_alert", { channel: "default", message: "dashboard probe" });
    const run = await dashboard(["--alerts"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Alerts");
    expect(run.stdout).toContain("Undelivered notifications");
    expect(run.stdout).toMatch(new RegExp(`^\\s*${id}\\s+\\S+\\s+default\\s+pending\\s+0/\\d+\\s.*waiting for a webhook`, "m"));
    const json = await dashboard(["--alerts", "--json"]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(Array.isArray(doc.alerts)).toBe(true);
    expect(doc.undelivered_notifications.map((n: { notification_id: number }) => n.notification_id)).toContain(id);
  });

  it("--export writes JSON, and CSV per kind", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wm-export-"));
    const json = await dashboard(["--export", path.join(dir, "etl.json")]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(dir, "etl.json"), "utf8"));
    expect(Object.keys(doc)).toEqual(["exported_at", "filters", "health", "executions", "logs", "metrics"]);
    expect(doc.logs).toHaveLength(3);

    const csv = await dashboard(["--export", path.join(dir, "etl.csv")]);
    expect(csv.code).toBe(0);
    const logs = readFileSync(path.join(dir, "etl.logs.csv"), "utf8").split("\r\n");
    expect(logs[0]).toBe(
      "log_id,timestamp,level,component,message,details,execution_id,chunk_id,fixture_id,duration_ms,correlation_id,pipeline",
    );
    expect(logs.some((l) => l.includes('"slow response, with ""quotes"", commas"'))).toBe(true);
    expect(readFileSync(path.join(dir, "etl.executions.csv"), "utf8")).toContain(executionId);
    expect(readFileSync(path.join(dir, "etl.metrics.csv"), "utf8")).toContain("chunk_duration");
  });

  it.each([
    [["--bogus"], 'unknown flag "--bogus"'],
    [["--logs", "--limit", "abc"], "--limit: expected a whole number from 1 to 1000"],
    [["--metrics", "--hours", "-1"], "--hours: expected a number of hours above 0"],
    [["--logs", "--level", "NOTICE"], '--level: unknown level "NOTICE"'],
    [["--logs", "--metrics"], "choose one view at a time"],
    [["--export"], "--export: needs a value"],
    [["--format", "xml", "--export", "x"], "--format: use json or csv"],
  ])("%j exits 2 naming the flag", async (args, message) => {
    const run = await dashboard(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe("");
  });

  it("names the missing variable and the fix when credentials are incomplete", async () => {
    const run = await dashboard([], { WATERMARK_VIEWER_JWT: undefined, SUPABASE_ANON_KEY: undefined });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("SUPABASE_SERVICE_ROLE_KEY is not set");
    expect(run.stderr).toContain("npm run stack -- up");
  });

  it("tells a user without viewer rights what is needed", async () => {
    const run = await dashboard([], { WATERMARK_VIEWER_JWT: stack.keys.user });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("42501: permission denied");
    expect(run.stderr).toContain("needs a viewer JWT");
  });

  it("works with the service role key too", async () => {
    const run = await dashboard(["--logs", "--json"], {
      WATERMARK_VIEWER_JWT: undefined,
      SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(3);
  });
});
