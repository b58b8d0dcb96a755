// Detached background processes of the local stack (gateway, pg_net worker, function servers).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { bundlePath, FUNCTION_SERVICE_PREFIX, functionServerSpec } from "./functions-server.ts";
import { logDir, repoRoot } from "./paths.ts";
import { freePort } from "./ports.ts";
import type { ServiceRecord, StackState } from "./state.ts";

export interface ServiceSpec {
  name: string;
  /** Node entry (run with tsx) relative to the repo root, or a full command line. */
  entry?: string;
  command?: string[];
  port?: number;
  /** Its settings, on top of the few variables every process needs (serviceBaseEnv). */
  env: Record<string, string>;
  /** Fingerprint of the settings a caller asked for (settingsFingerprint): a copy running with others is restarted. */
  settings?: string;
  /** Settings it gives function servers, by function: the simulator gives collect where to find it and its key. */
  provides?: Record<string, Record<string, string>>;
}

export interface ServicePlan {
  /** pg_net is not installable: run the stand-in's worker. */
  pgNetStandIn: boolean;
  /** Edge functions with a bundle under supabase/functions. */
  functions: string[];
  /** Settings asked for per function (StackUpOptions.functionEnv); undefined: the variable is absent. */
  functionEnv?: Record<string, Record<string, string | undefined>>;
}

/** The services `up` starts, in order: the gateway first (function servers call it). Each reads its settings from env. */
export async function serviceSpecs(state: StackState, env: Record<string, string>, plan: ServicePlan): Promise<ServiceSpec[]> {
  const specs: ServiceSpec[] = [{ name: "gateway", entry: "scripts/local/gateway.ts", port: state.gatewayPort, env: {} }];
  if (plan.pgNetStandIn) specs.push({ name: "pg_net-worker", entry: "scripts/local/pgnet-worker-service.ts", env: {} });
  for (const fn of plan.functions) {
    const running = state.services[`${FUNCTION_SERVICE_PREFIX}${fn}`];
    const port = running?.port && isRunning(running, bundlePath(fn)) ? running.port : await freePort();
    const settings = plan.functionEnv?.[fn];
    specs.push({ ...functionServerSpec(fn, port, env, settings), ...(settings ? { settings: settingsFingerprint(settings) } : {}) });
  }
  return specs;
}

/** The argument of a service's command line that identifies it: its entry, or the file its command runs (a bundle). */
export function serviceMarker(spec: Pick<ServiceSpec, "entry" | "command">): string {
  const marker = spec.entry ?? spec.command?.at(-1);
  if (!marker) throw new Error("a service needs an entry or a command");
  return marker;
}

/** Order-independent fingerprint of requested settings (never the values themselves: they may be secrets). */
export function settingsFingerprint(settings: Record<string, string | undefined>): string {
  const entries = Object.entries(settings).sort(([a], [b]) => a.localeCompare(b));
  return createHash("sha256").update(JSON.stringify(entries)).digest("hex").slice(0, 16);
}

/**
 * True while the recorded process is still the one we started: its pid exists and its command line
 * has our marker. After a reboot a recorded pid may belong to anybody; that process is not ours.
 * `marker` stands in for a record written before records carried one.
 */
export function isRunning(record: Pick<ServiceRecord, "pid" | "marker">, marker = record.marker): boolean {
  if (!marker) return false;
  try {
    return readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0").includes(marker);
  } catch {
    return false;
  }
}

/** Variables every service inherits from the caller: what node, tsx and deno need to run and fetch (paths, caches, locale, proxies, CAs). */
const INHERITED = [
  /^(PATH|HOME|USER|LOGNAME|SHELL|TZ|TMPDIR|TMP|TEMP|LANG|LANGUAGE)$/,
  /^LC_[A-Z]+$/,
  /^XDG_(CACHE|CONFIG|DATA|RUNTIME)_(HOME|DIR)$/,
  // Deno's own settings: DENO_DIR (its cache), DENO_CERT, DENO_TLS_CA_STORE, DENO_AUTH_TOKENS …
  /^DENO_[A-Z_]+$/,
  /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR)$/,
  /^(HTTP_PROXY|HTTPS_PROXY|NO_PROXY|ALL_PROXY|http_proxy|https_proxy|no_proxy|all_proxy)$/,
  // Where deno fetches npm: specifiers from.
  /^(NPM_CONFIG_REGISTRY|npm_config_registry)$/,
];

/** The part of `env` a service inherits; everything else it gets from its spec. */
export function serviceBaseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && INHERITED.some((re) => re.test(k))) base[k] = v;
  return base;
}

export function startService(spec: ServiceSpec): ServiceRecord {
  mkdirSync(logDir, { recursive: true });
  const log = openSync(path.join(logDir, `${spec.name.replace(/[^a-z0-9_-]+/gi, "-")}.log`), "a");
  const marker = serviceMarker(spec);
  const [cmd, ...args] = spec.command ?? [process.execPath, "--import", "tsx", marker];
  if (!cmd) throw new Error(`service ${spec.name} has an empty command`);
  const child = spawn(cmd, args, {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...serviceBaseEnv(), ...spec.env },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${spec.name}`);
  return { pid: child.pid, port: spec.port, marker, ...(spec.settings ? { settings: spec.settings } : {}) };
}

/** Stops a recorded service and its process group, if it is still ours (see isRunning). */
export async function stopService(record: Pick<ServiceRecord, "pid" | "marker">, marker = record.marker): Promise<void> {
  const ours = () => isRunning(record, marker);
  if (!ours()) return;
  try {
    process.kill(-record.pid, "SIGTERM"); // the whole process group: tsx, deno children
  } catch {
    process.kill(record.pid, "SIGTERM");
  }
  for (let i = 0; i < 50 && ours(); i++) await new Promise((r) => setTimeout(r, 100));
  if (ours()) process.kill(-record.pid, "SIGKILL");
}
