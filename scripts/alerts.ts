// npm run alerts -- test | list | create | edit | mute | unmute | settings
//   test      queues a test message and delivers it now (same path as the alerts function)
//   list      the rules (condition, pipeline, for, repeat, channel, remediation), then firing and pending alerts
//   create    a rule: create <rule> --kind KIND --threshold N [flags]
//   edit      a rule's fields, e.g. `edit error-rate --threshold 10 --for 5m`
//   mute      silences a rule's notifications, e.g. `mute error-rate 2h` (1m..30d)
//   settings  delivery retries and when delivery-failing fires; without flags, shows them
// Credentials: SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY (or the running local stack);
// SLACK_WEBHOOK_URL is the default channel.

import { z } from "zod";
import { alertRpcs, drainAlertOutbox, outboxRpcFromClient, slackWebhookPoster } from "../packages/core/src/alerts/index.ts";
import { httpUrl, readEnv, secret } from "../packages/core/src/config/index.ts";
import { isWatermarkError } from "../packages/core/src/errors/index.ts";
import { createRpcClient, type RpcClient } from "../packages/core/src/rpc/index.ts";
import { messageWithFlag, parseWholeNumber, requireConsumed, take } from "./alerts/args.ts";
import { DURATION_FORMS, formatDuration, parseDuration } from "./alerts/duration.ts";
import { mergeParams, ruleFlagOfField, ruleFlagsUsage, takeRuleFlags } from "./alerts/rule-flags.ts";
import { resolveSupabaseEnv } from "./local/stack-control.ts";

const usage = `usage: npm run alerts -- test [--message TEXT] [--channel NAME]
       npm run alerts -- list
       npm run alerts -- create <rule> --kind KIND --threshold N [rule flags]
       npm run alerts -- edit <rule> [rule flags]
       npm run alerts -- mute <rule> <duration>     (1m to 30d)
       npm run alerts -- unmute <rule>
       npm run alerts -- settings [--max-attempts N] [--backoff-base DUR] [--backoff-max DUR]
                                  [--failing-after-failures N] [--failing-after DUR]
${ruleFlagsUsage}`;

const envSchema = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_SERVICE_ROLE_KEY: secret("service role key"),
  SLACK_WEBHOOK_URL: httpUrl.optional(),
});

type AlertsRpc = RpcClient<typeof alertRpcs>;

/** set_alert_delivery_settings' fields → the settings flags. */
const settingsFlagOfField: Record<string, string> = {
  max_attempts: "--max-attempts",
  backoff_base_seconds: "--backoff-base",
  backoff_max_seconds: "--backoff-max",
  failing_after_failures: "--failing-after-failures",
  failing_after_seconds: "--failing-after",
};

function env() {
  return readEnv(envSchema, resolveSupabaseEnv(process.env).env, {
    fix: "set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or unset all Supabase settings to use the local stack (npm run stack -- up)",
  });
}

function ruleLine(r: Record<string, unknown>): string[] {
  const flags = [
    r.enabled ? "" : "disabled",
    r.muted ? `muted until ${String(r.muted_until)}` : "",
    r.remediation ? `on firing: ${String(r.remediation)}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const params = Object.entries((r.params as Record<string, number>) ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    String(r.rule_id),
    String(r.kind),
    String(r.severity),
    `${String(r.comparison)} ${String(r.threshold)} ${String(r.unit)}${params.length ? ` (${params.join(" ")})` : ""}`,
    r.pipeline === null ? "all" : String(r.pipeline),
    formatDuration(Number(r.for_seconds)),
    r.repeat_seconds === null ? "never" : formatDuration(Number(r.repeat_seconds)),
    r.channel === null ? "default" : String(r.channel),
    flags,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function list(rpc: AlertsRpc): Promise<void> {
  const rules = await rpc.call("list_alert_rules", {});
  const header = ["RULE", "KIND", "SEVERITY", "FIRES WHEN", "PIPELINE", "FOR", "REPEAT", "CHANNEL", ""];
  console.log(table([header, ...rules.map(ruleLine)]));
  const active = await rpc.call("list_alerts", { state: "active" });
  console.log(active.length === 0 ? "\nno alerts firing or pending" : "");
  for (const a of active) console.log(`${String(a.state).padEnd(8)} ${String(a.fingerprint)}: ${String(a.summary ?? "")}`);
}

async function createRule(rpc: AlertsRpc, rest: string[]): Promise<void> {
  const [ruleId, ...flags] = rest;
  if (!ruleId || ruleId.startsWith("--"))
    throw new Error(`create needs <rule>, e.g. create collect-slow --kind run_duration --threshold 30\n${usage}`);
  const { fields, params, enabled } = takeRuleFlags(flags, "create");
  requireConsumed(flags, usage);
  if (fields.kind === undefined) throw new Error("--kind: required; e.g. --kind error_rate (see `npm run alerts -- --help`)");
  if (fields.threshold === undefined) throw new Error("--threshold: required; e.g. --threshold 5");
  const created = await rpc.call("create_alert_rule", {
    rule_id: ruleId,
    ...(fields as { kind: string; threshold: number; remediation?: "requeue_failed_chunks" | null }),
    params: mergeParams({}, params),
    ...(enabled === undefined ? {} : { enabled }),
  });
  console.log(`created ${table([ruleLine(created)])}`);
}

async function editRule(rpc: AlertsRpc, rest: string[]): Promise<void> {
  const [ruleId, ...flags] = rest;
  if (!ruleId || ruleId.startsWith("--")) throw new Error(`edit needs <rule>, e.g. edit error-rate --threshold 10\n${usage}`);
  const { fields, params, enabled } = takeRuleFlags(flags, "edit");
  requireConsumed(flags, usage);
  if (Object.keys(fields).length === 0 && Object.keys(params).length === 0 && enabled === undefined) {
    throw new Error(`edit needs at least one rule flag\n${ruleFlagsUsage}`);
  }
  let rule: Record<string, unknown> | undefined;
  if (Object.keys(params).length > 0) {
    rule = (await rpc.call("list_alert_rules", {})).find((r) => r.rule_id === ruleId);
    if (!rule) throw new Error(`<rule>: no alert rule ${ruleId}; \`npm run alerts -- list\` shows the rules`);
    fields.params = mergeParams((rule.params as Record<string, number>) ?? {}, params);
  }
  if (Object.keys(fields).length > 0) rule = await rpc.call("update_alert_rule", { rule_id: ruleId, changes: fields });
  if (enabled !== undefined) rule = await rpc.call(enabled ? "enable_alert_rule" : "disable_alert_rule", { rule_id: ruleId });
  console.log(`updated ${table([ruleLine(rule ?? {})])}`);
}

async function settings(rpc: AlertsRpc, flags: string[]): Promise<void> {
  const whole = (flag: string) => {
    const v = take(flags, flag);
    return v === undefined ? undefined : parseWholeNumber(v, flag);
  };
  const duration = (flag: string, min: number, max: number) => {
    const v = take(flags, flag);
    return v === undefined ? undefined : parseDuration(v, { min, max }, flag);
  };
  const changes = {
    max_attempts: whole("--max-attempts"),
    backoff_base_seconds: duration("--backoff-base", 1, 3600),
    backoff_max_seconds: duration("--backoff-max", 1, 86400),
    failing_after_failures: whole("--failing-after-failures"),
    failing_after_seconds: duration("--failing-after", 60, 86400),
  };
  requireConsumed(flags, usage);
  const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length > 0) await rpc.call("set_alert_delivery_settings", given);
  const s = await rpc.call("get_alert_delivery_settings", {});
  console.log(`max attempts            ${s.max_attempts} per notification, then dead`);
  console.log(
    `backoff                 ${formatDuration(s.backoff_base_seconds)} doubling, at most ${formatDuration(s.backoff_max_seconds)}`,
  );
  console.log(
    `delivery-failing fires  after ${s.failing_after_failures} failed attempts in a row, or ${formatDuration(s.failing_after_seconds)} without a delivery while notifications wait`,
  );
  for (const c of s.channels) {
    console.log(
      `channel ${c.channel}: ${c.consecutive_failures} failed attempt(s) in a row` +
        `${c.last_delivered_at ? `, last delivered ${c.last_delivered_at}` : ""}${c.last_error ? `, last error: ${c.last_error}` : ""}`,
    );
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "help") {
    console.log(usage);
    return;
  }
  const e = env();
  const rpc = createRpcClient({ url: e.SUPABASE_URL, apiKey: e.SUPABASE_SERVICE_ROLE_KEY, registry: alertRpcs });
  switch (command) {
    case "test": {
      const message = take(rest, "--message");
      const channel = take(rest, "--channel") ?? "default";
      requireConsumed(rest, usage);
      const id = await rpc.call("send_test_alert", { channel, message: message ?? null });
      const result = await drainAlertOutbox({
        rpc: outboxRpcFromClient(rpc),
        post: slackWebhookPoster(),
        defaultWebhookUrl: e.SLACK_WEBHOOK_URL,
      });
      const [row] = (await rpc.call("list_alert_notifications", { max_rows: 50 })).filter((n) => n.notification_id === id);
      if (row?.status === "delivered") console.log(`test message ${id} delivered to channel ${channel}`);
      else if (result.claimed === 0)
        throw new Error(
          `test message ${id} is queued but channel ${channel} has no webhook: set SLACK_WEBHOOK_URL or call set_alert_channel`,
        );
      else throw new Error(`test message ${id} was not delivered (${String(row?.last_error ?? "unknown error")}); it will be retried`);
      return;
    }
    case "list":
      requireConsumed(rest, usage);
      return list(rpc);
    case "create":
      return createRule(rpc, rest);
    case "edit":
      return editRule(rpc, rest);
    case "mute": {
      const [rule, duration, extra] = rest;
      if (!rule || !duration || extra) throw new Error(`mute needs <rule> <duration> (${DURATION_FORMS})\n${usage}`);
      const result = await rpc.call("mute_alert_rule", { rule_id: rule, duration_seconds: parseDuration(duration) });
      console.log(`${rule} muted until ${String(result.muted_until)}`);
      return;
    }
    case "unmute": {
      const [rule, extra] = rest;
      if (!rule || extra) throw new Error(`unmute needs <rule>\n${usage}`);
      await rpc.call("unmute_alert_rule", { rule_id: rule });
      console.log(`${rule} unmuted`);
      return;
    }
    case "settings":
      return settings(rpc, rest);
    default:
      throw new Error(`unknown command ${command}\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(isWatermarkError(err) ? messageWithFlag(message, { ...ruleFlagOfField, ...settingsFlagOfField }) : message);
  process.exitCode = 1;
});
