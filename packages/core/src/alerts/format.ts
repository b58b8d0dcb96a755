// Slack Block Kit messages for outbox notifications: one message per pipeline
// and evaluation, one section per alert (severity, what happened, value vs
// threshold, since when, the executions to look at), resolved notices included.
import {
  type AlertItem,
  type AlertRemediation,
  type AlertsPayload,
  alertsPayloadSchema,
  type ClaimedNotification,
  testPayloadSchema,
} from "./schemas.ts";

export interface SlackBlock {
  type: string;
  [key: string]: unknown;
}

export interface SlackMessage {
  /** Fallback for notifications and clients without Block Kit. */
  text: string;
  blocks: SlackBlock[];
}

// Slack allows 50 blocks per message; 3 per alert plus header and footer.
const MAX_ALERTS_PER_MESSAGE = 15;
const SECTION_LIMIT = 3000;

const severityIcon: Record<AlertItem["severity"], string> = { critical: "🔴", warning: "🟠", info: "🔵" };
const eventLabel: Record<AlertItem["event"], string> = { firing: "FIRING", repeat: "STILL FIRING", resolved: "RESOLVED" };

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}

function formatSeconds(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

/** `7.5 %`, `3 runs`, `25 min`. */
export function formatValue(value: number, unit: string): string {
  if (unit === "s") return formatSeconds(value);
  if (unit === "z") return `z = ${formatNumber(value)}`;
  if (unit === "%") return `${formatNumber(value)} %`;
  return `${formatNumber(value)} ${unit}`;
}

/** A Slack date token: shown in the reader's time zone, with the ISO text as fallback. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** `🔁 remediation: requeued 2 failed chunk(s) (1_10, 2_20) and 3 failed fixture(s); 250 fixture(s) due again`. */
export function describeRemediation(remediation: AlertRemediation): string {
  if (remediation.error) return `⚠️ remediation ${remediation.action} failed: ${remediation.error}`;
  if (remediation.skipped) return `🔁 remediation ${remediation.action} skipped: ${remediation.skipped}`;
  const ids = remediation.chunk_ids ?? [];
  const shown = ids.slice(0, 10).join(", ") + (ids.length > 10 ? `, …${ids.length - 10} more` : "");
  const chunks = `${remediation.chunks ?? 0} failed chunk(s)${shown ? ` (${shown})` : ""}`;
  if ((remediation.chunks ?? 0) === 0 && (remediation.failed_fixtures ?? 0) === 0) {
    return "🔁 remediation: nothing to requeue (no failed chunk or fixture)";
  }
  return `🔁 remediation: requeued ${chunks} and ${remediation.failed_fixtures ?? 0} failed fixture(s); ${remediation.fixtures ?? 0} fixture(s) due again`;
}

function alertBlocks(alert: AlertItem): SlackBlock[] {
  const icon = alert.event === "resolved" ? "✅" : severityIcon[alert.severity];
  const lines = [
    `${icon} *${eventLabel[alert.event]}* · *${escapeMrkdwn(alert.rule_id)}* · ${alert.severity}`,
    escapeMrkdwn(alert.summary ?? alert.description ?? alert.kind),
  ];
  if (alert.value !== null) {
    const verb = alert.event === "resolved" ? "now" : "value";
    lines.push(
      `${verb} *${formatValue(alert.value, alert.unit)}* (fires when ${alert.comparison} ${formatValue(alert.threshold, alert.unit)})`,
    );
  }
  if (alert.since) {
    lines.push(
      alert.event === "resolved" && alert.resolved_at
        ? `firing since ${slackDate(alert.since)}, resolved ${slackDate(alert.resolved_at)}`
        : `since ${slackDate(alert.since)}`,
    );
  }
  if (alert.remediation) lines.push(escapeMrkdwn(describeRemediation(alert.remediation)));
  const blocks: SlackBlock[] = [{ type: "section", text: { type: "mrkdwn", text: clip(lines.join("\n"), SECTION_LIMIT) } }];
  if (alert.execution_ids.length > 0) {
    blocks.push({
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: clip(`executions: ${alert.execution_ids.map((id) => `\`${escapeMrkdwn(id)}\``).join(", ")}`, SECTION_LIMIT),
        },
      ],
    });
  }
  blocks.push({ type: "divider" });
  return blocks;
}

function scopeLabel(scope: string): string {
  return scope === "*" ? "Watermark" : `pipeline ${scope}`;
}

/** Several alerts of one evaluation and pipeline in one message. */
export function formatAlertsMessage(payload: AlertsPayload, idempotencyKey: string): SlackMessage {
  const firing = payload.alerts.filter((a) => a.event !== "resolved");
  const resolved = payload.alerts.length - firing.length;
  const worst = firing.find((a) => a.severity === "critical") ?? firing[0];
  const parts = [firing.length > 0 ? `${firing.length} firing` : null, resolved > 0 ? `${resolved} resolved` : null].filter(Boolean);
  const title = `${worst ? severityIcon[worst.severity] : "✅"} ${scopeLabel(payload.scope)}: ${parts.join(", ")}`;
  const shown = payload.alerts.slice(0, MAX_ALERTS_PER_MESSAGE);
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: clip(title, 150), emoji: true } },
    ...shown.flatMap(alertBlocks),
  ];
  if (payload.alerts.length > shown.length) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `…and ${payload.alerts.length - shown.length} more: \`npm run dashboard -- --alerts\`` },
    });
  }
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: `evaluation ${payload.evaluation_id} · ref \`${escapeMrkdwn(idempotencyKey)}\`` }],
  });
  const fallback = payload.alerts
    .map(
      (a) =>
        `[${eventLabel[a.event]}] ${a.rule_id} (${a.severity}) ${scopeLabel(a.scope)}: ${a.summary ?? a.kind}` +
        (a.remediation ? ` (${describeRemediation(a.remediation)})` : ""),
    )
    .join("\n");
  return { text: clip(fallback, SECTION_LIMIT), blocks };
}

export function formatTestMessage(message: string, idempotencyKey: string): SlackMessage {
  return {
    text: message,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `🧪 ${escapeMrkdwn(clip(message, SECTION_LIMIT - 10))}` } },
      { type: "context", elements: [{ type: "mrkdwn", text: `ref \`${escapeMrkdwn(idempotencyKey)}\`` }] },
    ],
  };
}

/** The Slack message for a claimed outbox row; throws when its payload is malformed. */
export function formatNotification(notification: ClaimedNotification): SlackMessage {
  if (notification.kind === "test") {
    return formatTestMessage(testPayloadSchema.parse(notification.payload).message, notification.idempotency_key);
  }
  return formatAlertsMessage(alertsPayloadSchema.parse(notification.payload), notification.idempotency_key);
}
