// The shapes the alert RPCs exchange with the delivery side (the alerts
// function, the CLI), checked at the boundary like every other RPC.
import { z } from "zod";

export const severities = ["info", "warning", "critical"] as const;
export type Severity = (typeof severities)[number];

export const remediations = ["requeue_failed_chunks"] as const;

/** What a rule's remediation did (built by watermark.run_alert_remediation). */
export const alertRemediationSchema = z.object({
  action: z.enum(remediations),
  at: z.string(),
  chunks: z.number().optional(),
  chunk_ids: z.array(z.string()).optional(),
  fixtures: z.number().optional(),
  failed_fixtures: z.number().optional(),
  skipped: z.string().optional(),
  error: z.string().optional(),
});
export type AlertRemediation = z.infer<typeof alertRemediationSchema>;

/** One alert transition inside a grouped notification (built by watermark.alert_notification_item). */
export const alertItemSchema = z.object({
  event: z.enum(["firing", "repeat", "resolved"]),
  alert_id: z.number(),
  fingerprint: z.string(),
  rule_id: z.string(),
  kind: z.string(),
  description: z.string().nullable(),
  severity: z.enum(severities),
  scope: z.string(),
  state: z.string(),
  value: z.number().nullable(),
  threshold: z.number(),
  comparison: z.string(),
  unit: z.string(),
  summary: z.string().nullable(),
  since: z.string().nullable(),
  resolved_at: z.string().nullable(),
  execution_ids: z.array(z.string()),
  channel: z.string(),
  /** What the rule's remediation did when the alert started firing (firing events only). */
  remediation: alertRemediationSchema.nullable().optional(),
});
export type AlertItem = z.infer<typeof alertItemSchema>;

export const alertsPayloadSchema = z.object({
  scope: z.string(),
  evaluation_id: z.number(),
  evaluated_at: z.string(),
  alerts: z.array(alertItemSchema).min(1),
});
export type AlertsPayload = z.infer<typeof alertsPayloadSchema>;

export const testPayloadSchema = z.object({
  message: z.string(),
  requested_by: z.string().nullable().optional(),
  requested_at: z.string().optional(),
});

export const claimedNotificationSchema = z.object({
  notification_id: z.number(),
  idempotency_key: z.string(),
  kind: z.enum(["alerts", "test"]),
  channel: z.string(),
  webhook_url: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  attempts: z.number(),
  claim_token: z.string(),
});
export type ClaimedNotification = z.infer<typeof claimedNotificationSchema>;

/** How alert delivery retries and when it counts as failing (set_alert_delivery_settings). */
export const alertDeliverySettingsSchema = z.object({
  max_attempts: z.number(),
  backoff_base_seconds: z.number(),
  backoff_max_seconds: z.number(),
  failing_after_failures: z.number(),
  failing_after_seconds: z.number(),
  updated_at: z.string(),
  updated_by: z.string().nullable(),
});
export type AlertDeliverySettings = z.infer<typeof alertDeliverySettingsSchema>;

/** One channel's delivery state: failed attempts in a row and the last recovery. */
export const channelDeliverySchema = z.object({
  channel: z.string(),
  consecutive_failures: z.number(),
  failing_since: z.string().nullable(),
  last_error: z.string().nullable(),
  last_delivered_at: z.string().nullable(),
  recovered_at: z.string().nullable(),
});

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be a rule id such as error-rate (see `npm run alerts -- list`)");

/** The alert RPCs the delivery side and the CLI call (see the alerts migration). */
export const alertRpcs = {
  claim_alert_notifications: {
    args: z.object({
      batch_size: z.number().int().min(1).max(100).optional(),
      lease_seconds: z.number().int().min(10).max(900).optional(),
      default_webhook_configured: z.boolean().optional(),
    }),
    result: z.array(claimedNotificationSchema),
  },
  mark_alert_notification_delivered: {
    args: z.object({ notification_id: z.number().int(), claim_token: z.string() }),
    result: z.boolean(),
  },
  mark_alert_notification_failed: {
    args: z.object({
      notification_id: z.number().int(),
      claim_token: z.string(),
      error: z.string().min(1),
      status_code: z.number().int().nullable().optional(),
      retry_after_seconds: z.number().int().min(0).max(86400).nullable().optional(),
    }),
    result: z.object({ status: z.string() }).passthrough(),
  },
  send_test_alert: {
    args: z.object({ channel: z.string().optional(), message: z.string().max(2000).nullable().optional() }),
    result: z.number(),
  },
  mute_alert_rule: {
    args: z.object({ rule_id: ruleId, duration_seconds: z.number().int().min(60).max(2_592_000) }),
    result: z.record(z.string(), z.unknown()),
  },
  unmute_alert_rule: { args: z.object({ rule_id: ruleId }), result: z.record(z.string(), z.unknown()) },
  create_alert_rule: {
    args: z.object({
      rule_id: z.string(),
      kind: z.string(),
      threshold: z.number(),
      pipeline: z.string().nullable().optional(),
      severity: z.enum(severities).optional(),
      window_seconds: z.number().int().nullable().optional(),
      for_seconds: z.number().int().optional(),
      repeat_seconds: z.number().int().nullable().optional(),
      channel: z.string().nullable().optional(),
      description: z.string().nullable().optional(),
      params: z.record(z.string(), z.number()).optional(),
      enabled: z.boolean().optional(),
      remediation: z.enum(remediations).nullable().optional(),
    }),
    result: z.record(z.string(), z.unknown()),
  },
  update_alert_rule: {
    args: z.object({ rule_id: ruleId, changes: z.record(z.string(), z.unknown()) }),
    result: z.record(z.string(), z.unknown()),
  },
  set_alert_delivery_settings: {
    args: z.object({
      max_attempts: z.number().int().nullable().optional(),
      backoff_base_seconds: z.number().int().nullable().optional(),
      backoff_max_seconds: z.number().int().nullable().optional(),
      failing_after_failures: z.number().int().nullable().optional(),
      failing_after_seconds: z.number().int().nullable().optional(),
    }),
    result: alertDeliverySettingsSchema,
  },
  get_alert_delivery_settings: {
    args: z.object({}),
    result: alertDeliverySettingsSchema.extend({ channels: z.array(channelDeliverySchema) }),
  },
  enable_alert_rule: { args: z.object({ rule_id: ruleId }), result: z.record(z.string(), z.unknown()) },
  disable_alert_rule: { args: z.object({ rule_id: ruleId }), result: z.record(z.string(), z.unknown()) },
  list_alert_rules: { args: z.object({}), result: z.array(z.record(z.string(), z.unknown())) },
  list_alerts: {
    args: z.object({
      state: z.enum(["inactive", "pending", "firing", "resolved", "active"]).nullable().optional(),
      pipeline: z.string().nullable().optional(),
      max_rows: z.number().int().min(1).max(1000).optional(),
    }),
    result: z.array(z.record(z.string(), z.unknown())),
  },
  list_alert_notifications: {
    args: z.object({
      status: z.enum(["pending", "sending", "delivered", "dead", "undelivered"]).nullable().optional(),
      max_rows: z.number().int().min(1).max(1000).optional(),
    }),
    result: z.array(z.record(z.string(), z.unknown())),
  },
  get_health_report: { args: z.object({}), result: z.record(z.string(), z.unknown()) },
};
