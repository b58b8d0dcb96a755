// The dead-man switch in the local stack's main database, where pg_cron runs:
// a pipeline started by a pg_cron schedule needs no interval configured. When
// its job is unscheduled, the missed-schedule rule fires once the schedule's
// interval plus the grace have passed, and a Slack message says why. Time is
// moved by re-recording the last completed run earlier (finished runs never
// change), and evaluate_alerts is called directly instead of waiting for pg_cron.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertRpcs, drainAlertOutbox, outboxRpcFromClient, slackWebhookPoster } from "../../packages/core/src/alerts/index.ts";
import { createRpcClient } from "../../packages/core/src/rpc/index.ts";
import { requireStackEnv } from "../../scripts/local/stack-control.ts";
import { type SlackReceiver, startSlackReceiver } from "../support/slack-receiver.ts";

const marker = `e2e-ms-${randomBytes(4).toString("hex")}`;
const job = `watermark-invoke-${marker}`;
let env: Record<string, string>;
let db: pg.Client;
let receiver: SlackReceiver;

beforeAll(async () => {
  env = requireStackEnv();
  db = new pg.Client({ connectionString: env.DATABASE_URL, application_name: "test:alerts-missed-schedule" });
  await db.connect();
  receiver = await startSlackReceiver();
  await db.query("select public.set_alert_channel($1, $2)", [marker, receiver.url]);
  // A schedule of this test's own, every minute, starting a pipeline of its own
  // (as collect starts watermark), and a rule with a 60 s grace on its own channel.
  await db.query("select public.configure_function_schedule($1, '* * * * *')", [marker]);
  await db.query("update watermark.function_schedules set pipeline = $1 where function_name = $1", [marker]);
  await db.query(
    `select public.create_alert_rule(rule_id => $1, kind => 'missed_schedule', threshold => 60, pipeline => $1,
                                     severity => 'critical', channel => $1)`,
    [marker],
  );
});

afterAll(async () => {
  if (db) {
    await db.query("select public.disable_alert_rule($1)", [marker]).catch(() => {});
    await db.query("select public.configure_function_schedule($1, '* * * * *', enabled => false)", [marker]).catch(() => {});
    await db.query("delete from watermark.function_schedules where function_name = $1", [marker]).catch(() => {});
    await db.query("select public.set_alert_channel($1, null)", [marker]).catch(() => {});
    await db.end();
  }
  await receiver?.close();
});

/** One evaluation by this test (pg_cron's own may hold the lock for a moment). */
async function evaluate(): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const { rows } = await db.query<{ r: { skipped?: boolean } }>("select public.evaluate_alerts() as r");
    if (!rows[0]?.r.skipped) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("evaluate_alerts stayed locked by another evaluation");
}

async function alertState(): Promise<{ state: string; summary: string } | undefined> {
  const { rows } = await db.query<{ state: string; summary: string }>(
    "select state, summary from watermark.alerts where fingerprint = $1",
    [`${marker}/${marker}`],
  );
  return rows[0];
}

/** The pipeline's last completed run, recorded as finished `secondsAgo` ago. */
async function completedRunFinished(secondsAgo: number): Promise<void> {
  await db.query("delete from watermark.etl_executions where pipeline = $1", [marker]);
  await db.query(
    `insert into watermark.etl_executions (execution_id, pipeline, trigger, status, started_at, finished_at, heartbeat_at)
     values ($1 || '-run', $1, 'schedule', 'COMPLETED', now() - make_interval(secs => $2 + 30),
             now() - make_interval(secs => $2), now() - make_interval(secs => $2))`,
    [marker, secondsAgo],
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

describe("missed schedule, by default from the pg_cron schedule", () => {
  it("unscheduling the job fires the rule after interval + grace, and Slack says the job is not scheduled", {
    timeout: 120_000,
  }, async () => {
    const { rows: scheduled } = await db.query<{ interval_seconds: number; cron_active: boolean }>(
      "select interval_seconds, cron_active from watermark.scheduled_pipelines() where pipeline = $1",
      [marker],
    );
    expect(scheduled).toEqual([{ interval_seconds: 60, cron_active: true }]);

    // On time: a run completed just now.
    await completedRunFinished(0);
    await evaluate();
    expect(await alertState()).toBeUndefined();

    // The job goes away, and no run completes for the interval (60 s) + grace (60 s) + 1 s.
    await db.query("select cron.unschedule($1)", [job]);
    await completedRunFinished(119);
    await evaluate();
    expect(await alertState()).toBeUndefined();
    await completedRunFinished(121);
    await evaluate();
    const alert = await alertState();
    expect(alert?.state).toBe("firing");
    expect(alert?.summary).toContain("expected every 60 s, schedule of");
    expect(alert?.summary).toContain(`pg_cron job ${job} is not scheduled`);

    const rpc = createRpcClient({
      url: env.SUPABASE_URL as string,
      apiKey: env.SUPABASE_SERVICE_ROLE_KEY as string,
      registry: alertRpcs,
    });
    await drainAlertOutbox({ rpc: outboxRpcFromClient(rpc), post: slackWebhookPoster() });
    // pg_cron's alerts function may have delivered it first: either way it reaches this receiver once.
    const messages = await waitFor(
      "the missed-schedule message",
      async () => {
        const found = receiver.messagesMentioning(`${job} is not scheduled`);
        return found.length > 0 ? found : undefined;
      },
      90_000,
    );
    expect(messages).toHaveLength(1);
    const body = JSON.stringify(messages[0]?.body);
    expect(body).toContain("FIRING");
    expect(body).toContain(marker);
  });
});
