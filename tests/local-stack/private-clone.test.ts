// The README's commands from a clone no other user can enter (mode 700, like /root/watermark or a
// `mktemp -d` folder) — run as root, PostgreSQL runs as the postgres user, which cannot — and the
// stack that comes back after `down` and `up` as it was: the simulator `npm start` recorded runs
// again and the collect schedule succeeds; without usable settings the schedule is paused with the
// reason, which `stack status` shows, instead of failing every minute.
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackState } from "../../scripts/local/state.ts";
import { createPrivateClone, type PrivateClone } from "../support/private-clone.ts";

interface Invocation {
  status: string;
  status_code: number | null;
  error: string | null;
  execution_id: string | null;
}

/** The clone's settings, the way a user gets them: `stack -- env`'s export lines. */
function cloneEnv(clone: PrivateClone): Record<string, string> {
  const out = clone.npm("stack", ["env"]);
  expect(out.status, out.stderr).toBe(0);
  return Object.fromEntries([...out.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
}

/** Superuser SQL on the clone's main database (the one pg_cron runs in). */
async function sql<T extends pg.QueryResultRow>(clone: PrivateClone, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: cloneEnv(clone).DATABASE_URL, application_name: "test:private-clone" });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** A collect invocation as pg_cron makes it, followed until the harvest records the function's answer. */
async function scheduledCollect(clone: PrivateClone): Promise<Invocation> {
  const [queued] = await sql<{ id: string }>(
    clone,
    `select watermark.invoke_function('collect', '{"max_chunks": 1, "time_budget_seconds": 20}'::jsonb, 'schedule')::text as id`,
  );
  for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
    await sql(clone, "select watermark.harvest_function_invocations()");
    const [row] = await sql<Invocation>(
      clone,
      "select status, status_code, error, execution_id from watermark.function_invocations where id = $1",
      [queued?.id],
    );
    if (row && row.status !== "queued") return row;
  }
  throw new Error("the scheduled collect invocation got no answer within 60 s");
}

const collectJob = async (clone: PrivateClone) =>
  (await sql(clone, "select 1 from cron.job where jobname = 'watermark-invoke-collect'")).length;

/** Runs `npm start` in the clone until its first collect invocation is queued, then interrupts it, as a user would. */
async function npmStartUntilQueued(clone: PrivateClone): Promise<void> {
  const child = spawn("npm", ["start"], { cwd: clone.dir, env: clone.env(), detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/invocation \d+ queued/.test(stderr)) resolve();
      });
      child.on("exit", (code) => reject(new Error(`npm start exited (${code}) before queuing a run:\n${stderr}`)));
    });
  } finally {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGINT");
  }
}

describe("a clone in a private directory (mode 700)", () => {
  let clone: PrivateClone;
  beforeAll(() => {
    clone = createPrivateClone();
  });
  afterAll(() => clone?.remove(), 120_000);

  it("brings the stack up, reports it, takes it down", () => {
    expect(statSync(clone.dir).mode & 0o777).toBe(0o700);
    const up = clone.npm("stack", ["up"]);
    expect(up.status, up.stderr).toBe(0);
    const status = clone.npm("stack", ["status"]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^database: running/m);
    expect(status.stdout).toMatch(/^gateway: running/m);
    const down = clone.npm("stack", ["down"]);
    expect(down.status, down.stderr).toBe(0);
    expect(clone.npm("stack", ["status"]).stdout).toMatch(/^database: stopped/m);
  }, 300_000);

  it("pauses the collect schedule, saying why, when collect has no Sportmonks settings", async () => {
    expect(clone.npm("stack", ["up"]).status).toBe(0);
    // Every minute, as npm start schedules it; the clone's environment has no SPORTMONKS_* settings.
    await sql(clone, "select public.configure_function_schedule('collect', '* * * * *')");
    const answer = await scheduledCollect(clone);
    expect(answer).toMatchObject({ status: "failed", status_code: 500 });
    expect(answer.error).toContain("server_misconfigured");
    expect(answer.error).toContain("SPORTMONKS_API_KEY");
    const [schedule] = await sql<{ paused_reason: string | null }>(
      clone,
      "select paused_reason from public.list_function_schedules() where function_name = 'collect'",
    );
    expect(schedule?.paused_reason).toContain("SPORTMONKS_API_KEY");
    // No pg_cron job left to fail every minute.
    expect(await collectJob(clone)).toBe(0);
    expect(clone.npm("stack", ["status"]).stdout).toMatch(/^schedule collect: paused since \S+: .*SPORTMONKS_API_KEY.*resume/m);
  }, 300_000);

  it("after npm start, down and up bring the simulator back and the schedule succeeds", async () => {
    await npmStartUntilQueued(clone);
    expect(await collectJob(clone)).toBe(1);

    expect(clone.npm("stack", ["down"]).status).toBe(0);
    const up = clone.npm("stack", ["up"]);
    expect(up.status, up.stderr).toBe(0);
    const answer = await scheduledCollect(clone);
    expect(answer).toMatchObject({ status: "succeeded", status_code: 202, error: null });
    expect(answer.execution_id).toMatch(/^etl_/);
    expect(await collectJob(clone)).toBe(1);

    const state = JSON.parse(readFileSync(path.join(clone.dir, ".local/stack.json"), "utf8")) as StackState;
    const health = await fetch(`http://127.0.0.1:${state.services.simulator?.port}/__health`);
    expect(health.status).toBe(200);
    const status = clone.npm("stack", ["status"]).stdout;
    expect(status).toMatch(/^simulator: running$/m);
    // pg_cron's own tick may have queued a newer invocation by now.
    expect(status).toMatch(/^schedule collect: active '\* \* \* \* \*'; last invocation \S+ (succeeded \(HTTP 202\)|queued)$/m);
  }, 400_000);
});
