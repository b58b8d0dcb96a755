// alerts: drains the alert notification outbox to Slack. Invoked every minute by
// pg_cron through watermark.invoke_function (trigger credential) or by an
// operator with the service role key. Without any webhook configured the
// notifications stay in the outbox (and in the dashboard).
import { alertRpcs, drainAlertOutbox, outboxRpcFromClient, slackWebhookPoster } from "@watermark/core/alerts";
import { httpUrl, serviceEnvSchema } from "@watermark/core/config";
import { createRpcClient } from "@watermark/core/rpc";
import { z } from "zod";
import { envReader, jsonResponse, readJsonBody, requireMethod, triggerAuthenticator, withErrorHandling } from "../_shared/index.ts";

const env = envReader(serviceEnvSchema.extend({ SLACK_WEBHOOK_URL: httpUrl.optional() }));

const bodySchema = z.strictObject({
  max_notifications: z.number().int().min(1).max(500).optional(),
});

const post = slackWebhookPoster();

// Built once per instance, on the first request (after the environment is read).
let authenticate: ReturnType<typeof triggerAuthenticator> | undefined;
let outboxRpc: ReturnType<typeof outboxRpcFromClient> | undefined;

export default {
  fetch: withErrorHandling("alerts", async (request) => {
    requireMethod(request, "POST");
    const { SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, SLACK_WEBHOOK_URL } = env();
    authenticate ??= triggerAuthenticator({ supabaseUrl: SUPABASE_URL, serviceRoleKey: SUPABASE_SERVICE_ROLE_KEY });
    await authenticate(request);
    const body = await readJsonBody(request, bodySchema);
    outboxRpc ??= outboxRpcFromClient(createRpcClient({ url: SUPABASE_URL, apiKey: SUPABASE_SERVICE_ROLE_KEY, registry: alertRpcs }));
    const result = await drainAlertOutbox({
      rpc: outboxRpc,
      post,
      defaultWebhookUrl: SLACK_WEBHOOK_URL,
      maxNotifications: body.max_notifications,
    });
    return jsonResponse({ ok: true, default_webhook_configured: Boolean(SLACK_WEBHOOK_URL), ...result });
  }),
};
