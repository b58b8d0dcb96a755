// Draining the notification outbox: claim due rows (SKIP LOCKED), post each,
// and record the outcome.
//
// Exactly one message per transition comes from the outbox, not from Slack:
// Slack does NOT deduplicate incoming-webhook posts, so every extra POST that
// Slack accepts is a visible duplicate. A row is marked delivered only after a
// confirmed 200, and a delivered row is never claimed again; a failed post
// (4xx/5xx/network) is retried later with backoff. The one window left is a
// post that Slack accepted whose 200 we never saw (timeout, crash before
// mark_delivered): that row is retried and may show twice. We accept that
// (at-least-once) rather than mark "sent" before posting (at-most-once), which
// would silently lose an alert whenever the function dies mid-post. The
// idempotency key is printed in the message footer so a reader can tell a
// duplicate from a new alert.

import type { RpcClient } from "../rpc/index.ts";
import { formatNotification } from "./format.ts";
import type { alertRpcs, ClaimedNotification } from "./schemas.ts";
import type { WebhookPoster } from "./webhook.ts";

/** The calls the drain needs; `RpcClient<typeof alertRpcs>` satisfies it. */
export interface OutboxRpc {
  claim(args: { batch_size: number; lease_seconds: number; default_webhook_configured: boolean }): Promise<ClaimedNotification[]>;
  markDelivered(args: { notification_id: number; claim_token: string }): Promise<boolean>;
  markFailed(args: {
    notification_id: number;
    claim_token: string;
    error: string;
    status_code?: number | null;
    retry_after_seconds?: number | null;
  }): Promise<{ status: string }>;
}

export interface DrainOptions {
  rpc: OutboxRpc;
  post: WebhookPoster;
  /** SLACK_WEBHOOK_URL: the default channel's webhook when the database names none. */
  defaultWebhookUrl?: string;
  batchSize?: number;
  /** Claim batches until none is left or this many were handled. */
  maxNotifications?: number;
  leaseSeconds?: number;
}

export interface DrainResult {
  claimed: number;
  delivered: number;
  failed: number;
  dead: number;
  /** Posted (200) but the claim was lost before marking: may be posted again. */
  unconfirmed: number;
}

export async function drainAlertOutbox(options: DrainOptions): Promise<DrainResult> {
  const result: DrainResult = { claimed: 0, delivered: 0, failed: 0, dead: 0, unconfirmed: 0 };
  const batchSize = options.batchSize ?? 20;
  const max = options.maxNotifications ?? 200;
  while (result.claimed < max) {
    const batch = await options.rpc.claim({
      batch_size: Math.min(batchSize, max - result.claimed),
      lease_seconds: options.leaseSeconds ?? 120,
      default_webhook_configured: Boolean(options.defaultWebhookUrl),
    });
    if (batch.length === 0) break;
    result.claimed += batch.length;
    for (const notification of batch) await deliverOne(notification, options, result);
  }
  return result;
}

async function deliverOne(n: ClaimedNotification, options: DrainOptions, result: DrainResult): Promise<void> {
  const url = n.webhook_url ?? options.defaultWebhookUrl;
  const fail = async (error: string, status?: number, retryAfter?: number) => {
    const outcome = await options.rpc.markFailed({
      notification_id: n.notification_id,
      claim_token: n.claim_token,
      error,
      status_code: status ?? null,
      retry_after_seconds: retryAfter ?? null,
    });
    if (outcome.status === "dead") result.dead++;
    else result.failed++;
  };
  if (!url) return fail(`channel ${n.channel} has no webhook: set SLACK_WEBHOOK_URL or set_alert_channel('${n.channel}', url)`);
  let message: ReturnType<typeof formatNotification>;
  try {
    message = formatNotification(n);
  } catch (err) {
    return fail(`payload cannot be formatted: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
  }
  const posted = await options.post(url, message);
  if (!posted.ok) return fail(posted.error, posted.status, posted.retryAfterSeconds);
  if (await options.rpc.markDelivered({ notification_id: n.notification_id, claim_token: n.claim_token })) result.delivered++;
  else result.unconfirmed++;
}

/** Adapts the typed RPC client (`createRpcClient({ registry: alertRpcs, … })`) to the drain. */
export function outboxRpcFromClient(client: RpcClient<typeof alertRpcs>): OutboxRpc {
  return {
    claim: (args) => client.call("claim_alert_notifications", args),
    markDelivered: (args) => client.call("mark_alert_notification_delivered", args),
    markFailed: (args) => client.call("mark_alert_notification_failed", args),
  };
}
