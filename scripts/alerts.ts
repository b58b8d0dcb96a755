// npm run alerts -- test [--message TEXT] [--channel NAME] | mute <rule> <duration> | unmute <rule> | list
//   test    queues a test message and delivers it now (same path as the alerts function)
//   mute    silences a rule's notifications, e.g. `mute error-rate 2h` (1m..30d)
//   list    the rules, then firing and pending alerts
// Credentials: SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY (or the running local stack);
// SLACK_WEBHOOK_URL is the default channel.

import { z } from "zod";
import { alertRpcs, drainAlertOutbox, outboxRpcFromClient, slackWebhookPoster } from "../packages/core/src/alerts/index.ts";
import { httpUrl, readEnv, secret } from "../packages/core/src/config/index.ts";
import { createRpcClient } from "../packages/core/src/rpc/index.ts";
import { parseDuration } from "./alerts/duration.ts";
import { resolveSupabaseEnv } from "./local/stack-control.ts";

const usage = `usage: npm run alerts -- test [--message TEXT] [--channel NAME]
       npm run alerts -- mute <rule> <duration>     (duration: 30m, 2h, 1d …)
       npm run alerts -- unmute <rule>
       npm run alerts -- list`;

const envSchema = z.object({
  SUPABASE_URL: httpUrl,
  SUPABASE_SERVICE_ROLE_KEY: secret("service role key"),
  SLACK_WEBHOOK_URL: httpUrl.optional(),
});

function env() {
  return readEnv(envSchema, resolveSupabaseEnv(process.env).env, {
    fix: "set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or unset all Supabase settings to use the local stack (npm run stack -- up)",
  });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name}: needs a value`);
  args.splice(i, 2);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const e = env();
  const rpc = createRpcClient({ url: e.SUPABASE_URL, apiKey: e.SUPABASE_SERVICE_ROLE_KEY, registry: alertRpcs });
  switch (command) {
    case "test": {
      const message = option(rest, "--message");
      const channel = option(rest, "--channel") ?? "default";
      if (rest.length > 0) throw new Error(`unexpected argument ${rest[0]}\n${usage}`);
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
    case "mute": {
      const [rule, duration, extra] = rest;
      if (!rule || !duration || extra) throw new Error(`mute needs <rule> <duration>\n${usage}`);
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
    case "list": {
      if (rest.length > 0) throw new Error(`unexpected argument ${rest[0]}\n${usage}`);
      for (const r of await rpc.call("list_alert_rules", {})) {
        const flags = [r.enabled ? "" : "disabled", r.muted ? `muted until ${String(r.muted_until)}` : ""].filter(Boolean).join(", ");
        console.log(
          `${String(r.rule_id).padEnd(22)} ${String(r.kind).padEnd(21)} ${String(r.severity).padEnd(8)} ${r.comparison} ${r.threshold} ${r.unit}` +
            `${r.pipeline ? ` pipeline=${String(r.pipeline)}` : ""}${flags ? `  (${flags})` : ""}`,
        );
      }
      const active = await rpc.call("list_alerts", { state: "active" });
      console.log(active.length === 0 ? "\nno alerts firing or pending" : "");
      for (const a of active) console.log(`${String(a.state).padEnd(8)} ${String(a.fingerprint)}: ${String(a.summary ?? "")}`);
      return;
    }
    default:
      throw new Error(command ? `unknown command ${command}\n${usage}` : usage);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
