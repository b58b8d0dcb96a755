// A typed RPC client: arguments checked by zod before sending, results parsed
// on the way back, every failure thrown as WatermarkError (or Error with cause).
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { z } from "zod";
import { fromApiError, WatermarkError } from "../errors/index.ts";
import { monitoringRpcs } from "./schemas.ts";

export interface RpcSpec {
  args: z.ZodType<Record<string, unknown>>;
  result: z.ZodType;
}
export type RpcRegistry = Record<string, RpcSpec>;

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The arguments were already checked against this RPC's schema piece by piece
   * (the monitoring SDK checks each event as it is logged): skip the second pass,
   * which costs as much as the HTTP round trip for a 1000-event batch.
   */
  prevalidated?: boolean;
  /**
   * A user JWT for this call only, sent as `Authorization: Bearer` in place of
   * the client's: one client per process can then act for each caller.
   */
  accessToken?: string;
}

/** Sends already-validated arguments and returns the raw result, or throws. */
export type RpcTransport = (name: string, args: Record<string, unknown>, options: CallOptions) => Promise<unknown>;

export type RpcArgs<R extends RpcRegistry, N extends keyof R> = z.input<R[N]["args"]>;
export type RpcResult<R extends RpcRegistry, N extends keyof R> = z.output<R[N]["result"]>;

export interface RpcClient<R extends RpcRegistry = typeof monitoringRpcs> {
  readonly registry: R;
  call<N extends keyof R & string>(name: N, args: RpcArgs<R, N>, options?: CallOptions): Promise<RpcResult<R, N>>;
}

/** `["events", 3, "level"]` → `events[3].level`, the form the database's messages use. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  return out;
}

export interface InvalidParameterOptions {
  /** What the caller got wrong, for the hint (default `argument`). */
  what?: string;
  /** The field named when the problem is the whole object, e.g. an unknown key (default `(arguments)`). */
  root?: string;
  /** Replaces the hint (default `<source>: fix the <what>; it was rejected before sending`). */
  hint?: string;
}

/** A zod failure as the API's own WM001, so callers branch on one error type. */
export function invalidParameter(source: string, error: z.ZodError, options: InvalidParameterOptions = {}): WatermarkError {
  const { what = "argument", root = "(arguments)" } = options;
  const issue = error.issues[0];
  const field = (issue && formatPath(issue.path)) || root;
  return new WatermarkError({
    code: "WM001",
    message: `${field}: ${issue?.message ?? "is invalid"}`,
    hint: options.hint ?? `${source}: fix the ${what}; it was rejected before sending`,
    cause: error,
  });
}

export function rpcClientFromTransport<R extends RpcRegistry>(registry: R, transport: RpcTransport): RpcClient<R> {
  return {
    registry,
    async call(name, args, options = {}) {
      const spec = registry[name];
      if (!spec) throw new Error(`unknown RPC ${name}: add it to the registry this client was built with`);
      let checked = args as Record<string, unknown>;
      if (!options.prevalidated) {
        const parsed = spec.args.safeParse(args);
        if (!parsed.success) throw invalidParameter(name, parsed.error);
        checked = parsed.data;
      }
      const raw = await transport(name, checked, options);
      const result = spec.result.safeParse(raw);
      if (!result.success) {
        throw new Error(
          `${name} returned an unexpected result (${formatPath(result.error.issues[0]?.path ?? [])}: ${result.error.issues[0]?.message}); is the database migrated and are the types regenerated?`,
          {
            cause: result.error,
          },
        );
      }
      return result.data as RpcResult<R, typeof name>;
    },
  };
}

/** supabase-js as the transport: `POST /rest/v1/rpc/<name>`. */
export function supabaseTransport(supabase: SupabaseClient): RpcTransport {
  return async (name, args, options) => {
    let request = supabase.rpc(name, args);
    if (options.signal) request = request.abortSignal(options.signal);
    if (options.accessToken) request = request.setHeader("Authorization", `Bearer ${options.accessToken}`);
    const { data, error, status } = await request;
    if (error) throw fromApiError(error, status);
    return data;
  };
}

/**
 * A bare fetch as the transport: the same `POST /rest/v1/rpc/<name>` and the
 * same errors as supabaseTransport (PostgREST's error body → WatermarkError
 * with its code: WM001, WM004 lease_lost…), for a caller whose CPU is
 * metered: supabase-js costs about 0.65 ms CPU a call in Deno, a bare fetch
 * about 0.35 ms (the collect function's hot path).
 */
export function fetchTransport(options: Omit<RpcClientOptions<RpcRegistry>, "registry">): RpcTransport {
  const base = `${options.url.replace(/\/+$/, "")}/rest/v1/rpc/`;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  return async (name, args, call) => {
    let response: Response;
    try {
      response = await send(base + name, {
        method: "POST",
        headers: {
          apikey: options.apiKey,
          Authorization: `Bearer ${call.accessToken ?? options.accessToken ?? options.apiKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(args),
        signal: call.signal,
      });
    } catch (error) {
      throw new Error(`${name}: the request failed (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`, {
        cause: error,
      });
    }
    // A void function answers 204 with no body: null, as supabase-js gives it.
    const text = await response.text();
    let body: unknown = null;
    try {
      if (text !== "") body = JSON.parse(text);
    } catch {
      throw new Error(`${name}: HTTP ${response.status} with a body that is not JSON (${text.slice(0, 200)})`);
    }
    if (!response.ok) throw fromApiError(body, response.status);
    return body;
  };
}

export interface RpcClientOptions<R extends RpcRegistry> {
  /** SUPABASE_URL. */
  url: string;
  /** The project API key (anon or service role): sent as `apikey`. */
  apiKey: string;
  /** A user JWT (viewer/operator); defaults to the API key itself. */
  accessToken?: string;
  registry?: R;
  fetch?: typeof fetch;
}

/** Realtime is never used here, and Node 20 has no global WebSocket: a stand-in that explains itself if ever opened. */
class NoRealtimeSocket {
  constructor() {
    throw new Error("the Watermark RPC client does not use Realtime; create your own supabase-js client for it");
  }
}

/** supabase-js set up for server-side RPC calls: no session, no Realtime socket. */
export function createSupabaseClient(
  url: string,
  apiKey: string,
  options: { accessToken?: string; fetch?: typeof fetch } = {},
): SupabaseClient {
  const headers: Record<string, string> = options.accessToken ? { Authorization: `Bearer ${options.accessToken}` } : {};
  return createClient(url, apiKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers, ...(options.fetch ? { fetch: options.fetch } : {}) },
    realtime: { transport: NoRealtimeSocket as never },
  });
}

export function createRpcClient<R extends RpcRegistry = typeof monitoringRpcs>(options: RpcClientOptions<R>): RpcClient<R> {
  const supabase = createSupabaseClient(options.url, options.apiKey, options);
  return rpcClientFromTransport((options.registry ?? monitoringRpcs) as R, supabaseTransport(supabase));
}
