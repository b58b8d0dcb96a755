// The local stand-in for Supabase's API gateway + PostgREST: only `/rest/v1/rpc/<fn>` (POST, and
// GET/HEAD with query-string arguments) and `/functions/v1/<name>` (proxied to local Deno servers).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { fromDatabaseError, GatewayError, pgrstError } from "./errors.ts";
import { type FunctionPorts, proxyFunction } from "./functions-proxy.ts";
import { bearerToken, type JwtClaims, verifyJwt } from "./jwt-verify.ts";
import { callSql, RoutineCache } from "./rpc.ts";

export interface GatewayOptions {
  /** Connection string of the `authenticator` role on the database to serve. */
  authenticatorUrl: string;
  jwtSecret: string;
  /** 0 (default) picks a free port. */
  port?: number;
  functionPorts?: FunctionPorts;
  /** Extra schemas on every request's search_path (config.toml api.extra_search_path). */
  extraSearchPath?: string[];
  /** Role for requests whose JWT has no `role` claim (PostgREST's db-anon-role). */
  anonRole?: string;
  poolSize?: number;
}

export interface Gateway {
  url: string;
  port: number;
  /** Clients of the pool currently checked out (0 when idle; a test can assert no leak). */
  busyClients(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw pgrstError(413, "PGRST102", "Request body too large", `limit is ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseArgs(method: string, body: string, query: URLSearchParams): Record<string, unknown> {
  if (method !== "POST") {
    const args: Record<string, unknown> = {};
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      args[key] = values.length === 1 ? values[0] : values;
    }
    return args;
  }
  if (body.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", err instanceof Error ? err.message : null);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw pgrstError(400, "PGRST102", "Empty or invalid json", "the local gateway takes a JSON object of named arguments (no bulk calls)");
  }
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: string | null, headers: Record<string, string> = {}): void {
  if (body === null) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
  res.end(body);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const pool = new pg.Pool({
    connectionString: options.authenticatorUrl,
    max: options.poolSize ?? 10,
    application_name: "watermark-gateway",
  });
  // An idle client's connection dying must not kill the process; the next checkout reconnects.
  pool.on("error", () => {});
  const searchPath = [...new Set(["public", ...(options.extraSearchPath ?? ["extensions"])])].join(", ");
  const routines = new RoutineCache();
  const anonRole = options.anonRole ?? "anon";

  // Supabase's API gateway rejects requests without a key, so there is no anonymous fallback here.
  function authenticate(req: IncomingMessage): JwtClaims {
    const token = bearerToken(req.headers);
    if (!token)
      throw pgrstError(401, "PGRST302", "Anonymous access is disabled", null, "send an apikey header or Authorization: Bearer <jwt>");
    return verifyJwt(token, options.jwtSecret);
  }

  async function rpc(req: IncomingMessage, res: ServerResponse, fn: string, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    if (!["POST", "GET", "HEAD"].includes(method)) {
      throw pgrstError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
    }
    const claims = authenticate(req);
    const role = typeof claims.role === "string" && claims.role !== "" ? claims.role : anonRole;
    const authenticated = role !== anonRole;
    const query = new URLSearchParams(url.searchParams);
    query.delete("select");
    if (method === "POST" && [...query.keys()].length > 0) {
      throw pgrstError(400, "PGRST100", `the local gateway does not filter RPC results: drop the query parameter ${[...query.keys()][0]}`);
    }
    const raw = method === "POST" ? await readBody(req) : "";
    const client = await pool.connect().catch((err: unknown) => {
      throw pgrstError(503, "PGRST000", "Database client error", err instanceof Error ? err.message : String(err));
    });
    let body: string | null;
    let returnsSet = false;
    try {
      // The body goes to Postgres as it came when the function takes it whole; otherwise its keys are the arguments.
      const whole =
        method === "POST"
          ? await routines.singleJsonParam(client, fn).catch((err: unknown) => {
              throw fromDatabaseError(err, authenticated);
            })
          : null;
      const args = whole ? {} : parseArgs(method, raw, query);
      const keys = Object.keys(args);
      const routine =
        whole ??
        (await routines.resolve(client, fn, keys).catch((err: unknown) => {
          throw fromDatabaseError(err, authenticated);
        }));
      returnsSet = routine.returnsSet;
      // PostgREST runs GET and stable/immutable functions in a read-only transaction.
      const readOnly = method !== "POST" || routine.volatility !== "v";
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "authorization" && k !== "apikey"));
      const settings: Array<[string, string]> = [
        ["role", role],
        ["request.jwt.claims", JSON.stringify(claims)],
        ["request.method", method],
        ["request.path", url.pathname.replace(/^\/rest\/v1/, "")],
        ["request.headers", JSON.stringify(headers)],
        ["search_path", searchPath],
      ];
      try {
        // One round trip for the transaction and its settings, as PostgREST pipelines them.
        // Inside the try: a bad role claim must still roll back before the client goes back to the pool.
        await client.query(
          `begin isolation level read committed${readOnly ? " read only" : ""};
           select ${settings.map(([name, value]) => `set_config('${name}', ${client.escapeLiteral(value)}, true)`).join(", ")}`,
        );
        const result = whole
          ? await client.query<{ body: string | null }>(callSql(routine, [], true), [raw])
          : await client.query<{ body: string | null }>(callSql(routine, keys), keys.length > 0 ? [JSON.stringify(args)] : []);
        await client.query("commit");
        body = routine.returnsVoid ? null : (result.rows[0]?.body ?? "null");
      } catch (err) {
        await client.query("rollback").catch(() => {});
        if ((err as { code?: string }).code === "42883") routines.forget(fn);
        throw fromDatabaseError(err, authenticated);
      }
    } finally {
      client.release();
    }
    if (body === null) {
      send(res, 204, null);
      return;
    }
    // supabase-js .single(): one object instead of an array, or PGRST116.
    if ((req.headers.accept ?? "").includes("application/vnd.pgrst.object+json") && returnsSet) {
      const rows = JSON.parse(body) as unknown[];
      if (rows.length !== 1) {
        throw pgrstError(
          406,
          "PGRST116",
          "JSON object requested, multiple (or no) rows returned",
          `The result contains ${rows.length} rows`,
        );
      }
      body = JSON.stringify(rows[0]);
    }
    send(res, 200, method === "HEAD" ? "" : body, returnsSet ? { "Content-Range": "0-*/*" } : {});
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway.local");
    // Browsers (the dashboard) call from another origin: allow any, as Supabase's API does.
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Type, Content-Location, Location, Range-Unit");
    if (req.method === "OPTIONS") {
      res.writeHead(200, {
        "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD",
        "Access-Control-Allow-Headers":
          req.headers["access-control-request-headers"] ?? "authorization, x-client-info, apikey, content-type",
        "Access-Control-Max-Age": "86400",
      });
      res.end();
      return;
    }
    try {
      const rpcMatch = /^\/rest\/v1\/rpc\/([^/]+)$/.exec(url.pathname);
      if (rpcMatch) return await rpc(req, res, decodeURIComponent(rpcMatch[1] as string), url);
      const fnMatch = /^\/functions\/v1\/(.+)$/.exec(url.pathname);
      if (fnMatch) return await proxyFunction(req, res, fnMatch[1] as string, options.functionPorts ?? (() => ({})), options.jwtSecret);
      throw pgrstError(
        404,
        "PGRST125",
        `Invalid path specified in request URL: the local gateway serves only /rest/v1/rpc/<fn> and /functions/v1/<name>`,
      );
    } catch (err) {
      const error =
        err instanceof GatewayError
          ? err
          : pgrstError(500, "PGRST000", "Internal gateway error", err instanceof Error ? err.message : null);
      if (!res.headersSent) send(res, error.status, JSON.stringify(error.body), error.headers);
      else res.end();
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    busyClients: () => pool.totalCount - pool.idleCount,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
