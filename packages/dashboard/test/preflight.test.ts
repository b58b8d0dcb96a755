// The pre-flight block's pg_cron line: a job that has not run yet right after the
// database starts is not a failure; an inactive or failed one is.
import { describe, expect, it } from "vitest";
import { preflightChecks } from "../src/preflight.ts";
import type { HealthReport } from "../src/types.ts";

const now = Date.parse("2026-12-02T03:00:00Z");

function health(jobs: Array<{ job: string; active: boolean; last_run_at: string | null; last_status: string | null }>): HealthReport {
  return {
    services: {
      database: { server_version: "15", connections: 1, max_connections: 100 },
      scheduler: { pg_cron: true, jobs: jobs.map((j) => ({ schedule: "* * * * *", last_message: null, ...j })), functions: [] },
      source_api: { last_call_at: null, calls_1h: 0 },
      alert_delivery: { channels_configured: [], backlog: 0, dead_letters_24h: 0, last_delivered_at: null, oldest_undelivered_at: null },
    },
  } as unknown as HealthReport;
}

const cronLine = (report: HealthReport) =>
  preflightChecks({ health: report, migrations: [], schedules: [], expected: null, now }).find(
    (c) => c.name === "pg_cron jobs scheduled and running",
  );

describe("pre-flight: pg_cron jobs", () => {
  it("is unknown, not failing, while no job has run yet (a database just started)", () => {
    const line = cronLine(health([{ job: "watermark-evaluate-alerts", active: true, last_run_at: null, last_status: null }]));
    expect(line?.state).toBe("UNKNOWN");
    expect(line?.reason).toContain("none has run yet");
  });

  it("fails when a job is inactive, even if others have not run yet", () => {
    const line = cronLine(
      health([
        { job: "watermark-evaluate-alerts", active: false, last_run_at: null, last_status: null },
        { job: "watermark-invoke-collect", active: true, last_run_at: null, last_status: null },
      ]),
    );
    expect(line?.state).toBe("FAILING");
    expect(line?.reason).toContain("watermark-evaluate-alerts is inactive");
  });

  it("is OK when the jobs ran recently", () => {
    const line = cronLine(
      health([
        { job: "watermark-evaluate-alerts", active: true, last_run_at: new Date(now - 30_000).toISOString(), last_status: "succeeded" },
      ]),
    );
    expect(line?.state).toBe("OK");
  });
});
