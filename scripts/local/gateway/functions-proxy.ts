// `/functions/v1/<name>` → the local Deno server of that function, like Supabase's API gateway:
// the JWT is checked first unless the function sets `verify_jwt = false` in supabase/config.toml.

import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { repoRoot } from "../paths.ts";
import { bearerToken, verifyJwt } from "./jwt-verify.ts";

/** Where each function is served: name → loopback port. */
export type FunctionPorts = () => Record<string, number>;

/** `[functions.<name>] verify_jwt = false` from supabase/config.toml (defaults to true, as Supabase does). */
function verifiesJwt(name: string, configPath = path.join(repoRoot, "supabase/config.toml")): boolean {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch {
    return true;
  }
  let inSection = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      inSection = section[1]?.trim() === `functions.${name}`;
      continue;
    }
    const setting = /^verify_jwt\s*=\s*(true|false)$/.exec(line);
    if (inSection && setting) return setting[1] === "true";
  }
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"]);

export async function proxyFunction(req: IncomingMessage, res: ServerResponse, subPath: string, ports: FunctionPorts, jwtSecret: string) {
  const name = subPath.split("/")[0] ?? "";
  const port = ports()[name];
  if (!port) {
    sendJson(res, 404, { code: "NOT_FOUND", message: `Requested function ${name} was not found` });
    return;
  }
  if (verifiesJwt(name)) {
    const token = typeof req.headers.authorization === "string" ? bearerTokenOrUndefined(req) : undefined;
    if (!token) {
      sendJson(res, 401, { code: 401, message: "Missing authorization header" });
      return;
    }
    try {
      verifyJwt(token, jwtSecret);
    } catch {
      sendJson(res, 401, { code: 401, message: "Invalid JWT" });
      return;
    }
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || hopByHop.has(k)) continue;
    headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const query = req.url?.includes("?") ? req.url.slice(req.url.indexOf("?")) : "";
  let upstream: Response;
  try {
    upstream = await fetch(`http://127.0.0.1:${port}/${subPath}${query}`, {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
      // @ts-expect-error Node's fetch needs duplex for streamed request bodies
      duplex: "half",
      redirect: "manual",
    });
  } catch {
    sendJson(res, 502, { code: "BOOT_ERROR", message: `Function ${name} is not reachable on its local server` });
    return;
  }
  const out: Record<string, string> = {};
  upstream.headers.forEach((v, k) => {
    if (!hopByHop.has(k) && k !== "content-encoding") out[k] = v;
  });
  res.writeHead(upstream.status, out);
  if (upstream.body) for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
  res.end();
}

function bearerTokenOrUndefined(req: IncomingMessage): string | undefined {
  try {
    return bearerToken({ authorization: req.headers.authorization });
  } catch {
    return undefined;
  }
}
