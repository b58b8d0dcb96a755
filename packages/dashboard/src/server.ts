// Serves the web dashboard: the static page, its bundled script, and /config.json
// with the API URL and a viewer's token. Node only (the page itself runs in the browser).

import { readdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { DashboardConfig } from "./api.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(root, "src/main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    minify: true,
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output for the dashboard");
  return file.text;
}

/** The repository's newest migration: the pre-flight block compares the database's with it. */
async function newestMigration(): Promise<DashboardConfig["expectedMigration"]> {
  const dir = path.resolve(root, "../../supabase/migrations");
  const names = await readdir(dir).catch(() => [] as string[]);
  const newest = names
    .filter((n) => /^\d+_.+\.sql$/.test(n))
    .sort()
    .at(-1);
  const match = newest?.match(/^(\d+)_(.+)\.sql$/);
  return match?.[1] && match[2] ? { version: match[1], name: match[2] } : null;
}

const securityHeaders = {
  "Content-Security-Policy": "default-src 'self'; connect-src *; style-src 'self'; script-src 'self'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export async function startDashboardServer(
  config: DashboardConfig,
  opts: { port?: number; host?: string } = {},
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const files: Record<string, { type: string; body: string }> = {
    "/": { type: "text/html; charset=utf-8", body: await readFile(path.join(root, "index.html"), "utf8") },
    "/styles.css": { type: "text/css; charset=utf-8", body: await readFile(path.join(root, "styles.css"), "utf8") },
    "/app.js": { type: "text/javascript; charset=utf-8", body: await bundle() },
    "/config.json": {
      type: "application/json",
      body: JSON.stringify({ expectedMigration: await newestMigration(), ...config }),
    },
  };
  const server = createServer((req, res) => {
    const file = req.method === "GET" ? files[new URL(req.url ?? "/", "http://x").pathname] : undefined;
    if (!file) {
      res.writeHead(req.method === "GET" ? 404 : 405, { "Content-Type": "text/plain", ...securityHeaders }).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": file.type, ...securityHeaders }).end(file.body);
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
