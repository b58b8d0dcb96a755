// End to end in the local stack's main database, where pg_cron runs: nothing here
// calls the reaper, the evaluator or the alerts function. pg_cron reaps the run that
// stopped sending heartbeats, evaluates the rules, and invokes `alerts` through
// pg_net; the function posts to a local incoming-webhook receiver.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireStackEnv } from "../../scripts/local/stack-control.ts";
import { type SlackReceiver, startSlackReceiver } from "../support/slack-receiver.ts";

const marker = `e2e_alerts_${randomBytes(4).toString("hex")}`;
let db: pg.Client;
let receiver: SlackReceiver;

beforeAll(async () => {
  db = new pg.Client({ connectionString: requireStackEnv().DATABASE_URL, application_name: "test:alerts-cron" });
  await db.connect();
  receiver = await startSlackReceiver();
  // A rule and channel of this test's own, so the shared stack's other alerts stay out of it.
  await db.query("select public.set_alert_channel($1, $2)", [marker, receiver.url]);
  await db.query(
    "select public.create_alert_rule(rule_id => $1, kind => 'stuck_run', threshold => 1, pipeline => $1, severity => 'critical', channel => $1)",
    [marker],
  );
});

afterAll(async () => {
  if (db) {
    await db.query("select public.disable_alert_rule($1)", [marker]).catch(() => {});
    await db.query("select public.set_alert_channel($1, null)", [marker]).catch(() => {});
    await db.end();
  }
  await receiver?.close();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

describe("pg_cron end to end", () => {
  it("reaps a run without heartbeat, then one Slack message about it arrives", { timeout: 300_000 }, async () => {
    const { rows } = await db.query<{ id: string }>(
      "select public.start_etl_execution(pipeline => $1, heartbeat_timeout_seconds => 30) as id",
      [marker],
    );
    const id = rows[0]?.id as string;
    // The collector died five minutes ago: its last heartbeat is that old.
    await db.query("update watermark.etl_executions set heartbeat_at = now() - interval '5 minutes' where execution_id = $1", [id]);

    const status = await waitFor(
      "pg_cron's reaper to mark the run ABANDONED",
      async () => {
        const r = await db.query<{ status: string }>("select status from watermark.etl_executions where execution_id = $1", [id]);
        return r.rows[0]?.status === "ABANDONED" ? r.rows[0].status : undefined;
      },
      150_000,
    );
    expect(status).toBe("ABANDONED");

    const messages = await waitFor(
      "the alerts function to post the firing alert",
      async () => {
        const found = receiver.messagesMentioning(id);
        return found.length > 0 ? found : undefined;
      },
      200_000,
    );
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]?.body)).toContain(marker);

    // The delivery went through pg_net: the invocation that carried it is recorded as succeeded.
    const { rows: invocations } = await db.query<{ n: number }>(
      `select count(*)::int as n from watermark.function_invocations
        where function_name = 'alerts' and status = 'succeeded' and requested_at > now() - interval '10 minutes'`,
    );
    expect(invocations[0]?.n).toBeGreaterThan(0);
  });
});
