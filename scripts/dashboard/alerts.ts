// `npm run dashboard -- --alerts`: firing and pending alerts, then the
// notifications Slack has not (yet) received, so alerts stay visible when
// delivery is down or no webhook is configured.
import { z } from "zod";
import type { DashboardContext } from "./context.ts";
import { heading, statusText, table, time } from "./style.ts";

// alertRpcs types these rows as JSON objects (the RPCs return jsonb): the fields this view prints are checked here.
const alertView = z.object({
  fingerprint: z.string(),
  state: z.string(),
  severity: z.string(),
  summary: z.string().nullable(),
  value: z.number().nullable(),
  threshold: z.number(),
  comparison: z.string(),
  unit: z.string(),
  firing_since: z.string().nullable(),
  pending_since: z.string().nullable(),
  muted: z.boolean(),
});

const notificationView = z.object({
  notification_id: z.number(),
  scope_key: z.string(),
  channel: z.string(),
  status: z.string(),
  attempts: z.number(),
  max_attempts: z.number(),
  next_attempt_at: z.string(),
  last_error: z.string().nullable(),
});

function rows<T>(rpc: string, schema: z.ZodType<T>, data: Record<string, unknown>[]): T[] {
  const parsed = z.array(schema).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${rpc} returned an unexpected row (${issue?.path.join(".")}: ${issue?.message}); is the database migrated?`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The alerts as a table (state, severity, alert, value, threshold, since, what happened). */
export function alertTable(ctx: DashboardContext, alertRows: Record<string, unknown>[]): string[] {
  const { style } = ctx;
  return table(
    style,
    ["state", "severity", "alert", "value", "threshold", "since", "what happened"],
    rows("list_alerts", alertView, alertRows).map((a) => [
      a.state === "firing" ? style.red(`${a.state}${a.muted ? " (muted)" : ""}`) : style.yellow(a.state),
      a.severity === "critical" ? style.red(a.severity) : a.severity,
      a.fingerprint,
      a.value === null ? "—" : `${Math.round(a.value * 100) / 100} ${a.unit}`,
      `${a.comparison} ${a.threshold} ${a.unit}`,
      time(a.firing_since ?? a.pending_since),
      a.summary ?? "",
    ]),
  );
}

export async function renderAlerts(ctx: DashboardContext): Promise<void> {
  const [alertRows, notificationRows] = await Promise.all([
    ctx.alerts.call("list_alerts", { state: "active", max_rows: 200 }),
    ctx.alerts.call("list_alert_notifications", { status: "undelivered", max_rows: 50 }),
  ]);
  if (ctx.args.json) {
    ctx.printJson({ alerts: alertRows, undelivered_notifications: notificationRows });
    return;
  }
  const undelivered = rows("list_alert_notifications", notificationView, notificationRows);
  const { style } = ctx;
  const lines = [...heading(style, "🚨 Alerts")];
  if (alertRows.length === 0) lines.push(style.green("✅ No alerts firing or pending"));
  else lines.push(...alertTable(ctx, alertRows));
  lines.push("", ...heading(style, "📨 Undelivered notifications"));
  if (undelivered.length === 0) {
    lines.push(style.green("✅ Every notification was delivered"));
  } else {
    lines.push(
      ...table(
        style,
        ["id", "scope", "channel", "status", "attempts", "next attempt", "last error"],
        undelivered.map((n) => [
          String(n.notification_id),
          n.scope_key,
          n.channel,
          statusText(style, n.status === "dead" ? "FAILED" : "RUNNING").replace(/FAILED|RUNNING/, n.status),
          `${n.attempts}/${n.max_attempts}`,
          n.status === "dead" ? "—" : time(n.next_attempt_at),
          n.last_error ?? (n.attempts === 0 ? "waiting for a webhook (SLACK_WEBHOOK_URL or set_alert_channel)" : ""),
        ]),
      ),
    );
  }
  ctx.print(lines);
}
