// Wires the collector's dependencies from plain settings, so the CLI, the edge
// function and npm start build them the same way.

import { EtlMonitor } from "../monitoring/etl-monitor.ts";
import type { ConsoleOptions } from "../monitoring/logger.ts";
import { fetchTransport, type RpcClient, rpcClientFromTransport } from "../rpc/client.ts";
import type { ExecutionTrigger } from "../rpc/schemas.ts";
import { type FetchLike, SportmonksClient, type SportmonksClientOptions } from "../sportmonks/client.ts";
import { fixtureAnswerRelay } from "./answer-relay.ts";
import type { CollectorDeps } from "./engine.ts";
import type { ResourceProbe } from "./resource-budget.ts";
import { fixtureResponseWriter, schedulePreviewer, scheduleResponseWriter } from "./response-pipe.ts";
import { type CollectorRpcs, collectorRpcs } from "./rpcs.ts";

export interface CollectorSettings {
  supabaseUrl: string;
  serviceRoleKey: string;
  sportmonksApiKey: string;
  sportmonksBaseUrl?: string;
  trigger?: ExecutionTrigger;
  /** Console mirror of the run's logs. */
  console?: ConsoleOptions;
  /** Extra Sportmonks client options (timeouts, retries). */
  sportmonks?: Omit<SportmonksClientOptions, "apiKey" | "baseUrl" | "onRequest" | "onWait" | "rateLimitStore" | "maxRateLimitWaitMs">;
  fetch?: FetchLike;
  signal?: AbortSignal;
  onProgress?: CollectorDeps["onProgress"];
  /** CPU and memory readings (default: the runtime's, runtimeResourceProbe). */
  resources?: ResourceProbe;
  /**
   * `database`: Postgres fetches fixtures/multi answers through pg_net (fixtureAnswerRelay), so
   * their bytes never pass through this process (the edge function). Default `pipe`: they stream through it.
   */
  fixtureAnswers?: "pipe" | "database";
}

/** The collector's RPCs (work lists, leases, heartbeats, logs) as bare fetches: its CPU is metered in the function. */
export function collectorRpcClient(supabaseUrl: string, serviceRoleKey: string): RpcClient<CollectorRpcs> {
  return rpcClientFromTransport(collectorRpcs, fetchTransport({ url: supabaseUrl, apiKey: serviceRoleKey }));
}

export function createCollectorDeps(settings: CollectorSettings): CollectorDeps {
  const rpc = collectorRpcClient(settings.supabaseUrl, settings.serviceRoleKey);
  const pipe = { url: settings.supabaseUrl, serviceRoleKey: settings.serviceRoleKey };
  return {
    rpc,
    monitor: new EtlMonitor({
      rpc,
      pipeline: "watermark",
      trigger: settings.trigger ?? "manual",
      component: "collector",
      console: settings.console,
      // Fewer, larger log and metric writes: each costs the function CPU, which is capped at 2 s a request.
      // 10 s keeps a live run's logs current on the dashboard; 30 s measured no different (npm run bench -- backfill).
      batching: { maxAgeMs: 10_000 },
    }),
    sportmonks: (hooks) =>
      new SportmonksClient({
        ...settings.sportmonks,
        apiKey: settings.sportmonksApiKey,
        baseUrl: settings.sportmonksBaseUrl,
        fetch: settings.fetch ?? settings.sportmonks?.fetch,
        ...hooks,
      }),
    writeFixtureResponse: fixtureResponseWriter(pipe),
    relayFixtureAnswer: settings.fixtureAnswers === "database" ? fixtureAnswerRelay(rpc) : undefined,
    writeScheduleResponse: scheduleResponseWriter(pipe),
    previewSchedule: schedulePreviewer(pipe),
    resources: settings.resources,
    console: settings.console,
    signal: settings.signal,
    onProgress: settings.onProgress,
  };
}
