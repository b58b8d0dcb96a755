// Who may invoke a Watermark function: pg_cron with a trigger credential
// (x-watermark-trigger, checked by the verify_trigger_token RPC), or a caller
// holding the service role key. pg_net's queued headers are readable, so cron
// never sends the service key.
import { fetchTransport, type RpcClient, rpcClientFromTransport } from "@watermark/core/rpc";
import { z } from "zod";
import { HttpError } from "./http.ts";

export const TRIGGER_HEADER = "x-watermark-trigger";
/** Sent by watermark.invoke_function(): the function_invocations id of this request. */
export const INVOCATION_HEADER = "x-watermark-invocation-id";

export const triggerRpcs = {
  verify_trigger_token: {
    args: z.object({ token: z.string() }),
    result: z.string().nullable(),
  },
};

export type Caller = { kind: "service_role" } | { kind: "trigger"; credential: string; invocationId?: number };

export interface TriggerAuthOptions {
  supabaseUrl: string;
  serviceRoleKey: string;
  fetch?: typeof fetch;
}

/** Compares two secrets in time independent of where they differ. */
function sameSecret(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

function invocationId(request: Request): number | undefined {
  const raw = request.headers.get(INVOCATION_HEADER);
  return raw && /^\d{1,18}$/.test(raw) ? Number(raw) : undefined;
}

export type TriggerAuthenticator = (request: Request) => Promise<Caller>;

/** Builds the check once per instance; it throws HttpError 401/503, or returns who called. */
export function triggerAuthenticator(options: TriggerAuthOptions): TriggerAuthenticator {
  // A bare fetch, not supabase-js: building a supabase-js client costs a function instance's first request ~10 ms CPU.
  const rpc: RpcClient<typeof triggerRpcs> = rpcClientFromTransport(
    triggerRpcs,
    fetchTransport({ url: options.supabaseUrl, apiKey: options.serviceRoleKey, fetch: options.fetch }),
  );
  return async (request) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (bearer && sameSecret(bearer, options.serviceRoleKey)) return { kind: "service_role" };
    const token = request.headers.get(TRIGGER_HEADER)?.trim();
    if (!token) {
      throw new HttpError(
        "unauthorized",
        `send a trigger credential in ${TRIGGER_HEADER} or the service role key as Authorization: Bearer`,
      );
    }
    let credential: string | null;
    try {
      credential = await rpc.call("verify_trigger_token", { token });
    } catch (err) {
      console.error("verify_trigger_token failed", err);
      throw new HttpError("upstream_unavailable", "could not verify the trigger credential; try again later", { cause: err });
    }
    if (!credential) throw new HttpError("unauthorized", `the ${TRIGGER_HEADER} credential is unknown or revoked`);
    return { kind: "trigger", credential, invocationId: invocationId(request) };
  };
}
