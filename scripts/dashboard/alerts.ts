// `npm run dashboard -- --alerts`: firing and pending alerts, then the
// notifications Slack has not (yet) received, so alerts stay visible when
// delivery is down or no webhook is configured.
import type { DashboardContext } from "./context.ts";
import { heading, statusText, table, time } from "./style.ts";

interface AlertRow {
  fingerprint: string;
  state: string;
  severity: string;
  summary: string | null;
  value: number | null;
  threshold: number;
  comparison: string;
  unit: string;
  firing_since: string | null;
  pending_since: string | null;
  muted: boolean;
}

interface NotificationRow {
  notification_id: number;
  scope_key: string;
  channel: string;
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
}

async function rpc<T>(ctx: DashboardContext, name: string, args: Record<string, unknown>): Promise<T[]> {
  const { data, error } = await ctx.supabase.rpc(name, args);
  if (error) throw new Error(`${name} failed: ${error.message}`, { cause: error });
  return (data ?? []) as T[];
}

export async function renderAlerts(ctx: DashboardContext): Promise<void> {
  const alerts = await rpc<AlertRow>(ctx, "list_alerts", { state: "active", max_rows: 200 });
  const undelivered = await rpc<NotificationRow>(ctx, "list_alert_notifications", { status: "undelivered", max_rows: 50 });
  if (ctx.args.json) {
    ctx.printJson({ alerts, undelivered_notifications: undelivered });
    return;
  }
  const { style } = ctx;
  const lines = [...heading(style, "🚨 Alerts")];
  if (alerts.length === 0) {
    lines.push(style.green("✅ No alerts firing or pending"));
  } else {
    lines.push(
      ...table(
        style,
        ["state", "severity", "alert", "value", "threshold", "since", "what happened"],
        alerts.map((a) => [
          a.state === "firing" ? style.red(`${a.state}${a.muted ? " (muted)" : ""}`) : style.yellow(a.state),
          a.severity === "critical" ? style.red(a.severity) : a.severity,
          a.fingerprint,
          a.value === null ? "—" : `${Math.round(a.value * 100) / 100} ${a.unit}`,
          `${a.comparison} ${a.threshold} ${a.unit}`,
          time(a.firing_since ?? a.pending_since),
          a.summary ?? "",
        ]),
      ),
    );
  }
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
