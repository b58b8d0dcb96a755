// End to end in the local stack's main database (pg_cron runs only there):
// pg_cron runs watermark.invoke_function → the pg_net stand-in POSTs to the
// gateway's /functions/v1/collect → the collect function (Deno, the built
// bundle) verifies the trigger credential, starts an execution against the
// simulator → pg_cron's harvest job records what really happened in
// function_invocations — a success with its execution id, and a failure (the
// function's 400) that cron.job_run_details alone would call "succeeded".
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireStackEnv, stackUp } from "../../scripts/local/stack-control.ts";
import { localSimulator, simulatorPort } from "../../scripts/start/simulator.ts";

const marker = `e2e_scheduling_${randomBytes(4).toString("hex")}`;
const jobs = { ok: `${marker}_ok`, rejected: `${marker}_rejected` };
let db: pg.Client;

interface Invocation {
  id: string;
  job: string;
  status: string;
  status_code: number | null;
  error: string | null;
  execution_id: string | null;
}

beforeAll(async () => {
  // The stack's standard setup, as npm start leaves it: the simulator running, collect served against it
  // (restarted only if it ran with other settings), the schedules pointed at the gateway.
  const simulator = localSimulator(await simulatorPort());
  await stackUp(undefined, { buildFunctions: false, services: [simulator.service] });
  const env = requireStackEnv();
  db = new pg.Client({ connectionString: env.DATABASE_URL, application_name: "test:cron-to-function" });
  await db.connect();
  // Which invocations our cron jobs made: each job's command records the id invoke_function returns.
  await db.query(`create schema ${marker}`);
  await db.query(`create table ${marker}.invocations (job text not null, invocation_id bigint not null)`);
  const schedule = (job: string, body: Record<string, unknown>) =>
    db.query("select cron.schedule($1, '* * * * *', $2)", [
      job,
      `insert into ${marker}.invocations select '${job}', watermark.invoke_function('collect', '${JSON.stringify(body)}'::jsonb)`,
    ]);
  await schedule(jobs.ok, { max_chunks: 1, time_budget_seconds: 20 });
  // The function rejects unknown fields: pg_net gets a 400 that pg_cron never sees.
  await schedule(jobs.rejected, { max_chunks: 1, e2e_unknown_field: true });
});

afterAll(async () => {
  if (!db) return;
  await db.query("select cron.unschedule(jobid) from cron.job where jobname = any($1)", [Object.values(jobs)]);
  await db.query(`drop schema if exists ${marker} cascade`);
  await db.end();
});

async function outcomes(): Promise<Invocation[]> {
  const { rows } = await db.query<Invocation>(
    `select i.id::text, m.job, i.status, i.status_code, i.error, i.execution_id
       from ${marker}.invocations m join watermark.function_invocations i on i.id = m.invocation_id
      order by i.id`,
  );
  return rows;
}

describe("pg_cron → pg_net → collect → function_invocations", () => {
  it("records what each scheduled invocation really did", { timeout: 240_000 }, async () => {
    // pg_cron fires on the next minute; the harvest job copies the responses on the minute after.
    const deadline = Date.now() + 200_000;
    let rows: Invocation[] = [];
    for (;;) {
      rows = await outcomes();
      const harvested = (job: string) => rows.some((r) => r.job === job && r.status !== "queued");
      if (harvested(jobs.ok) && harvested(jobs.rejected)) break;
      if (Date.now() > deadline) throw new Error(`invocations not harvested in time: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    const ok = rows.find((r) => r.job === jobs.ok && r.status !== "queued");
    expect(ok).toMatchObject({ status: "succeeded", status_code: 202, error: null });
    expect(ok?.execution_id).toMatch(/^etl_\d{8}_\d{6}_[0-9a-f]{6}$/);
    const { rows: executions } = await db.query<{ trigger: string; correlation_id: string }>(
      "select trigger, correlation_id from watermark.etl_executions where execution_id = $1",
      [ok?.execution_id],
    );
    expect(executions).toEqual([{ trigger: "schedule", correlation_id: `invocation:${ok?.id}` }]);

    const rejected = rows.find((r) => r.job === jobs.rejected && r.status !== "queued");
    expect(rejected).toMatchObject({ status: "failed", status_code: 400, execution_id: null });
    expect(rejected?.error).toMatch(/^HTTP 400: invalid_body: .*e2e_unknown_field/);

    // pg_cron itself only saw the request being queued.
    const { rows: runs } = await db.query<{ status: string }>(
      `select d.status from cron.job_run_details d join cron.job j using (jobid) where j.jobname = $1`,
      [jobs.rejected],
    );
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
  });
});
