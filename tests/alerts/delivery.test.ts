// Alert delivery end to end on a private database: evaluate_alerts() in SQL, the
// outbox drained over the RPC gateway by core's drain with the real
// @slack/webhook poster, into a local receiver that fails on purpose.
import { alertRpcs, type DrainResult, drainAlertOutbox, outboxRpcFromClient, slackWebhookPoster } from "@watermark/core/alerts";
import { createRpcClient } from "@watermark/core/rpc";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SlackReceiver, startSlackReceiver } from "../support/slack-receiver.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
let receiver: SlackReceiver;
let pipelineSeq = 0;

beforeAll(async () => {
  stack = await createTestStack("alerts-delivery");
  receiver = await startSlackReceiver({ seed: 7 });
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

beforeEach(async () => {
  receiver.messages.length = 0;
  receiver.setFailureRate(0);
  receiver.up();
  // Each test starts from an empty outbox and only the rules it enables.
  await stack.query("update watermark.alert_notifications set status = 'delivered' where status <> 'delivered'");
  await stack.query("update watermark.alert_rules set enabled = false");
  await stack.query("delete from watermark.alert_channel_delivery");
});

function drainOnce(): Promise<DrainResult> {
  const rpc = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole, registry: alertRpcs });
  return drainAlertOutbox({ rpc: outboxRpcFromClient(rpc), post: slackWebhookPoster(), defaultWebhookUrl: receiver.url });
}

/** Drains until nothing is left to send, letting backoff elapse between rounds (time moves by SQL, not by waiting). */
async function drainUntilSettled(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await drainOnce();
    const [row] = await stack.query<{ n: string }>(
      "select count(*) as n from watermark.alert_notifications where status in ('pending', 'sending')",
    );
    if (row?.n === "0") return;
    await stack.query("update watermark.alert_notifications set next_attempt_at = now() where status = 'pending'");
  }
  throw new Error("outbox did not settle");
}

async function finishedRun(pipeline: string, status: "COMPLETED" | "FAILED"): Promise<string> {
  const [row] = await stack.query<{ id: string }>("select public.start_etl_execution(pipeline => $1, trigger => 'schedule') as id", [
    pipeline,
  ]);
  const id = row?.id as string;
  await stack.query("select public.finish_etl_execution($1, $2, error_message => $3)", [id, status, status === "FAILED" ? "boom" : null]);
  return id;
}

const evaluate = () => stack.query("select public.evaluate_alerts()");
const retryNow = () => stack.query("update watermark.alert_notifications set next_attempt_at = now() where status = 'pending'");
const enable = (rule: string) => stack.query("update watermark.alert_rules set enabled = true where rule_id = $1", [rule]);
const newPipeline = () => `pipe-${++pipelineSeq}-${Date.now() % 100000}`;

describe("exactly one message per transition", () => {
  it("three failed runs fire once and a later success resolves once, with a receiver failing half the time", async () => {
    await enable("consecutive-failures");
    receiver.setFailureRate(0.5);
    const pipeline = newPipeline();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await finishedRun(pipeline, "FAILED"));
    await evaluate();
    await evaluate(); // a second evaluation changes nothing
    await drainUntilSettled();
    const firing = receiver.messagesMentioning(`consecutive-failures`);
    expect(firing).toHaveLength(1);
    expect(JSON.stringify(firing[0]?.body)).toContain("FIRING");
    for (const id of ids) expect(JSON.stringify(firing[0]?.body)).toContain(id);
    expect(receiver.attempts).toBeGreaterThan(1);

    await finishedRun(pipeline, "COMPLETED");
    await evaluate();
    await evaluate();
    await drainUntilSettled();
    const all = receiver.messagesMentioning(`consecutive-failures`);
    expect(all).toHaveLength(2);
    expect(JSON.stringify(all[1]?.body)).toContain("RESOLVED");
    const [alert] = await stack.query<{ state: string; notifications_sent: number }>(
      "select state, notifications_sent from watermark.alerts where fingerprint = $1",
      [`consecutive-failures/${pipeline}`],
    );
    expect(alert).toEqual({ state: "resolved", notifications_sent: 2 });
  });

  it("a rule with a remediation requeues the collector's failed chunk when it fires, and its message says so", async () => {
    await stack.query(
      `insert into watermark.leagues (id, name) values (7001, 'Remedy league');
       insert into watermark.seasons (id, league_id, name) values (70010, 7001, 'Remedy season');
       insert into watermark.chunks (chunk_id, league_id, season_id, status, attempts, next_attempt_at, last_error)
       values ('7001_70010', 7001, 70010, 'failed', 2, now() + interval '1 hour', 'HTTP 500 from fixtures/multi')`,
    );
    await stack.query(
      "select public.create_alert_rule(rule_id => 'collect-remedy', kind => 'consecutive_failures', threshold => 1, pipeline => 'watermark', remediation => 'requeue_failed_chunks')",
    );
    await finishedRun("watermark", "FAILED");
    await evaluate();
    await evaluate(); // still firing: not requeued again
    await drainUntilSettled();
    const [message] = receiver.messagesMentioning("collect-remedy");
    expect(JSON.stringify(message?.body)).toContain("remediation: requeued 1 failed chunk(s) (7001_70010) and 0 failed fixture(s)");
    const [chunk] = await stack.query<{ status: string }>("select status from watermark.chunks where chunk_id = '7001_70010'");
    expect(chunk?.status).toBe("pending");
    const audit = await stack.query<{ actor: string }>(
      "select actor from watermark.chunk_audit where chunk_id = '7001_70010' and action = 'requeue'",
    );
    expect(audit).toEqual([{ actor: "alert-rule:collect-remedy" }]);
    await stack.query("update watermark.alert_rules set enabled = false where rule_id = 'collect-remedy'");
  });

  it("Slack down for a while, then up: nothing lost, nothing duplicated", async () => {
    await enable("consecutive-failures");
    const pipeline = newPipeline();
    for (let i = 0; i < 3; i++) await finishedRun(pipeline, "FAILED");
    receiver.down();
    await evaluate();
    for (let i = 0; i < 4; i++) {
      const result = await drainOnce();
      expect(result.delivered).toBe(0);
      await stack.query("update watermark.alert_notifications set next_attempt_at = now() where status = 'pending'");
    }
    const [waiting] = await stack.query<{ attempts: number; status: string; last_status_code: number }>(
      "select attempts, status, last_status_code from watermark.alert_notifications where scope_key = $1",
      [pipeline],
    );
    expect(waiting).toEqual({ attempts: 4, status: "pending", last_status_code: 503 });
    expect(receiver.messages).toHaveLength(0);

    receiver.up();
    await drainUntilSettled();
    await drainOnce();
    expect(receiver.messagesMentioning(pipeline)).toHaveLength(1);
  });

  it("three failed attempts in a row raise delivery-failing long before anything is dead; the resolution says what recovered", async () => {
    await enable("consecutive-failures");
    await enable("delivery-failing");
    const pipeline = newPipeline();
    for (let i = 0; i < 3; i++) await finishedRun(pipeline, "FAILED");
    receiver.down();
    await evaluate();
    const viewer = createRpcClient({
      url: stack.supabaseUrl,
      apiKey: stack.keys.anon,
      accessToken: stack.keys.viewer,
      registry: alertRpcs,
    });
    const firingRules = async () => (await viewer.call("list_alerts", { state: "firing" })).map((a) => a.fingerprint);
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await firingRules()).not.toContain("delivery-failing/*");
      await drainOnce();
      await retryNow();
      await evaluate();
    }
    expect(await firingRules()).toContain("delivery-failing/*");
    const [waiting] = await stack.query<{ attempts: number; status: string }>(
      "select attempts, status from watermark.alert_notifications where scope_key = $1",
      [pipeline],
    );
    expect(waiting).toEqual({ attempts: 3, status: "pending" });
    const undelivered = await viewer.call("list_alert_notifications", { status: "undelivered" });
    expect(undelivered.length).toBeGreaterThanOrEqual(2);

    // Slack is back: the backlog goes out, then one resolved message says what recovered.
    receiver.up();
    await drainUntilSettled();
    await evaluate();
    await drainUntilSettled();
    const resolved = receiver.messagesMentioning("Slack delivery recovered");
    expect(resolved).toHaveLength(1);
    const text = JSON.stringify(resolved[0]?.body);
    expect(text).toContain("RESOLVED");
    expect(text).toMatch(/Slack delivery recovered: 2 notification\(s\) delivered after 3 failure\(s\) over \d+ s/);
    expect(text).not.toContain("failed attempt(s) in a row");
  });

  it("the attempt limit and the backoff are operator settings", async () => {
    const operator = createRpcClient({
      url: stack.supabaseUrl,
      apiKey: stack.keys.anon,
      accessToken: stack.keys.operator,
      registry: alertRpcs,
    });
    await operator.call("set_alert_delivery_settings", { max_attempts: 2, backoff_base_seconds: 5, backoff_max_seconds: 5 });
    try {
      await enable("consecutive-failures");
      const pipeline = newPipeline();
      for (let i = 0; i < 3; i++) await finishedRun(pipeline, "FAILED");
      receiver.failNext({ status: 404 }, { status: 404 });
      await evaluate();
      await drainOnce();
      const [retry] = await stack.query<{ wait: number }>(
        "select extract(epoch from next_attempt_at - now())::int as wait from watermark.alert_notifications where scope_key = $1",
        [pipeline],
      );
      expect(retry?.wait).toBeLessThanOrEqual(5);
      await retryNow();
      expect((await drainOnce()).dead).toBe(1);
      const [dead] = await stack.query<{ status: string; last_error: string; max_attempts: number }>(
        "select status, last_error, max_attempts from watermark.alert_notifications where scope_key = $1",
        [pipeline],
      );
      expect(dead).toEqual({ status: "dead", last_error: "no_service", max_attempts: 2 });
    } finally {
      await operator.call("set_alert_delivery_settings", { max_attempts: 10, backoff_base_seconds: 30, backoff_max_seconds: 1800 });
    }
  });

  it("without a webhook, notifications stay pending and are listed, not lost", async () => {
    await enable("consecutive-failures");
    const pipeline = newPipeline();
    for (let i = 0; i < 3; i++) await finishedRun(pipeline, "FAILED");
    await evaluate();
    const rpc = createRpcClient({ url: stack.supabaseUrl, apiKey: stack.keys.serviceRole, registry: alertRpcs });
    const result = await drainAlertOutbox({ rpc: outboxRpcFromClient(rpc), post: slackWebhookPoster() });
    expect(result.claimed).toBe(0);
    const [row] = await stack.query<{ status: string; attempts: number }>(
      "select status, attempts from watermark.alert_notifications where scope_key = $1",
      [pipeline],
    );
    expect(row).toEqual({ status: "pending", attempts: 0 });
  });
});

describe("stuck runs", () => {
  it("a run left without heartbeat is reaped (ABANDONED, lease released, logged) and alerted on", async () => {
    await enable("stuck-run");
    const pipeline = newPipeline();
    const [row] = await stack.query<{ id: string }>(
      "select public.start_etl_execution(pipeline => $1, heartbeat_timeout_seconds => 30) as id",
      [pipeline],
    );
    const id = row?.id as string;
    await stack.query("update watermark.etl_executions set heartbeat_at = now() - interval '5 minutes' where execution_id = $1", [id]);
    const [reaped] = await stack.query<{ r: { reaped: number; execution_ids: string[] } }>("select public.reap_stale_executions() as r");
    expect(reaped?.r.execution_ids).toEqual([id]);
    const [execution] = await stack.query<{ status: string }>("select status from watermark.etl_executions where execution_id = $1", [id]);
    expect(execution?.status).toBe("ABANDONED");
    const logs = await stack.query("select 1 from watermark.etl_logs where execution_id = $1 and component = 'REAPER'", [id]);
    expect(logs).toHaveLength(1);

    await evaluate();
    await drainUntilSettled();
    const messages = receiver.messagesMentioning(id);
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]?.body)).toContain("stuck-run");
  });
});

describe("health function", () => {
  it("serves every caller from one instance's clients, with each caller's own token deciding access", async () => {
    Object.assign(process.env, {
      SUPABASE_URL: stack.supabaseUrl,
      SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole,
      SUPABASE_ANON_KEY: stack.keys.anon,
    });
    const health = (await import("../../functions/health/index.ts")).default;
    const ask = async (token?: string) => {
      const response = await health.fetch(
        new Request("http://localhost/functions/v1/health", token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
      );
      return { status: response.status, body: (await response.json()) as { status?: string; error?: { code: string } } };
    };
    const readable = (a: { body: { status?: string } }) => ["healthy", "degraded", "unhealthy"].includes(String(a.body.status));

    const viewer = await ask(stack.keys.viewer);
    expect(readable(viewer)).toBe(true);
    // A JWT without a Watermark role is refused by the database, not let through by the previous caller's token.
    expect(await ask(stack.keys.user)).toMatchObject({ body: { error: { code: expect.stringMatching(/^(forbidden|unauthorized)$/) } } });
    expect(await ask(stack.keys.anon)).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    expect(await ask()).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    // And the next viewer still gets in: no caller's token sticks to the shared client.
    expect(readable(await ask(stack.keys.operator))).toBe(true);
    expect(readable(await ask(stack.keys.serviceRole))).toBe(true);
  });
});
