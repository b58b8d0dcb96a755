// health: GET → the health report (get_health_report RPC). 200 when healthy or
// degraded, 503 when unhealthy or when the database cannot be asked. Callers:
// a viewer/operator JWT or the service role key (Authorization: Bearer), or a
// trigger credential (x-watermark-trigger). The anon key gets 401.
import { alertRpcs } from "@watermark/core/alerts";
import { secret, serviceEnvSchema } from "@watermark/core/config";
import { isWatermarkError } from "@watermark/core/errors";
import { createRpcClient, type RpcClient } from "@watermark/core/rpc";
import {
  envReader,
  HttpError,
  jsonResponse,
  requireMethod,
  TRIGGER_HEADER,
  triggerAuthenticator,
  withErrorHandling,
} from "../_shared/index.ts";

const env = envReader(serviceEnvSchema.extend({ SUPABASE_ANON_KEY: secret("anon key (Project Settings → API)") }));

type HealthRpc = RpcClient<typeof alertRpcs>;
// Built once per instance, on the first request (after the environment is read).
let clients: { authenticate: ReturnType<typeof triggerAuthenticator>; service: HealthRpc; anon: HealthRpc } | undefined;

function instanceClients(): NonNullable<typeof clients> {
  if (clients) return clients;
  const { SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_ANON_KEY } = env();
  clients = {
    authenticate: triggerAuthenticator({ supabaseUrl: SUPABASE_URL, serviceRoleKey: SUPABASE_SERVICE_ROLE_KEY }),
    service: createRpcClient({ url: SUPABASE_URL, apiKey: SUPABASE_SERVICE_ROLE_KEY, registry: alertRpcs }),
    anon: createRpcClient({ url: SUPABASE_URL, apiKey: SUPABASE_ANON_KEY, registry: alertRpcs }),
  };
  return clients;
}

/** The caller's own token is used, so the database decides who may read health. */
async function callerClient(request: Request): Promise<{ rpc: HealthRpc; accessToken?: string }> {
  const { authenticate, service, anon } = instanceClients();
  if (request.headers.has(TRIGGER_HEADER)) {
    await authenticate(request);
    return { rpc: service };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!bearer) {
    throw new HttpError(
      "unauthorized",
      `send a viewer JWT or the service role key as Authorization: Bearer, or a trigger credential in ${TRIGGER_HEADER}`,
    );
  }
  return { rpc: anon, accessToken: bearer };
}

export default {
  fetch: withErrorHandling("health", async (request) => {
    requireMethod(request, "GET");
    const { rpc, accessToken } = await callerClient(request);
    let report: Record<string, unknown>;
    try {
      report = await rpc.call("get_health_report", {}, { accessToken });
    } catch (err) {
      if (isWatermarkError(err, "insufficient_privilege") || (isWatermarkError(err) && (err.status === 401 || err.status === 403))) {
        throw new HttpError(
          err.status === 403 ? "forbidden" : "unauthorized",
          "health needs a viewer or operator JWT, the service role key or a trigger credential",
        );
      }
      console.error("health: get_health_report failed", err);
      return jsonResponse(
        { status: "unhealthy", reasons: ["database: the health report could not be read"], timestamp: new Date().toISOString() },
        503,
      );
    }
    return jsonResponse(report, report.status === "unhealthy" ? 503 : 200, { "Cache-Control": "no-store" });
  }),
};
