// The CLI side of issue 8, spawned as a user runs it against a private test stack: the overview
// shows firing alerts; --export --include adds alerts, chunks and the access audit's changes.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDashboardCli } from "../support/dashboard-cli.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;

const dashboard = (args: string[]) => runDashboardCli(stack, args, { NO_COLOR: "1" });

beforeAll(async () => {
  stack = await createTestStack("dashboard-cli-extras");
  await stack.query(`
    select public.start_etl_execution('etl_cli_1', '{}'::jsonb, 'watermark', 'manual');
    select public.finish_etl_execution('etl_cli_1', 'FAILED', 10, 10, 9, 1, 1, 1, 'one fixture failed', 9);
    select public.set_alert_delivery_settings(failing_after_failures => 4);
    select public.evaluate_alerts();
  `);
});
afterAll(async () => {
  await stack?.close();
});

describe("dashboard CLI (issue 8)", () => {
  it("the overview lists the firing alerts", async () => {
    const run = await dashboard([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Firing alerts[\s\S]*firing\s+warning\s+min-success-rate\/watermark/);
    const json = await dashboard(["--json"]);
    const doc = JSON.parse(json.stdout) as { firing_alerts: Array<{ rule_id: string; state: string }> };
    expect(doc.firing_alerts.map((a) => a.rule_id)).toContain("min-success-rate");
    expect(doc.firing_alerts.every((a) => a.state === "firing")).toBe(true);
  });

  it("--export --include adds alerts, chunks and the audit, as JSON keys or CSV files", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wm-export-extras-"));
    const json = await dashboard(["--export", path.join(dir, "etl.json"), "--include", "alerts,chunks,audit"]);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(dir, "etl.json"), "utf8")) as Record<string, Array<Record<string, unknown>>>;
    expect(Object.keys(doc)).toEqual(["exported_at", "filters", "health", "executions", "logs", "metrics", "alerts", "chunks", "audit"]);
    expect(doc.alerts?.map((a) => a.rule_id)).toContain("min-success-rate");
    expect(doc.chunks).toEqual([]);
    expect(doc.audit?.map((a) => a.action)).toContain("set_alert_delivery_settings");

    const csv = await dashboard(["--export", path.join(dir, "etl.csv"), "--include", "audit"]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toMatch(/\d+ audit changes to .*etl\.audit\.csv/);
    const audit = readFileSync(path.join(dir, "etl.audit.csv"), "utf8").split("\r\n");
    expect(audit[0]).toBe("at,actor,action,source,target,details");
    expect(audit[1]).toContain(",set_alert_delivery_settings,audit_log,alert_delivery,");
  });

  it("--include names what it accepts", async () => {
    const bad = await dashboard(["--export", "x.json", "--include", "alerts,votes"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--include: use a comma-separated list of alerts, chunks, audit, data, got "alerts,votes"');
    const alone = await dashboard(["--include", "alerts"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--include: only applies to --export FILE");
  });
});
